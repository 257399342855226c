import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, type RateLimitInfo, rateLimit } from 'express-rate-limit';

export interface FailureThrottleSettings {
  /** Failures a client may make per window; from the next request on it is refused. */
  failures: number;
  /** The window, fixed from the client's first failure; the refusals end with it. */
  windowMs: number;
}

export interface FailureThrottleOptions extends FailureThrottleSettings {
  /** Whether the request's credentials are wrong: the same check the app makes after the throttle. */
  isWrong(req: Request, res: Response): boolean;
  /** Answers a throttled client (429 with `Retry-After`, in the app's own error shape). */
  refuse(res: Response, retryAfterSeconds: number): void;
  /** Told once per client and window that it is throttled, and of express-rate-limit's own warnings. */
  log: {
    warn(details: object, message: string): void;
    error(details: object, message: string): void;
  };
  /** The warning's words, e.g. "dashboard: too many failed logins". */
  what: string;
  /** `RateLimit` headers (draft-7) on every counted answer. Default off. */
  standardHeaders?: boolean;
}

/**
 * Counts failed authentications per client address (express-rate-limit, in memory) and, once a client has
 * made `failures` of them in a window, refuses every request of that client until the window ends, right
 * credentials included, so that a guess learns nothing.
 *
 * Requests with the right credentials (or none: a browser's first try before the challenge) are skipped
 * unless the client is throttled already, rather than counted and given back when they finish
 * (`skipSuccessfulRequests` alone): a page loads dozens of assets at once, and counted while in flight they
 * would throttle someone who never mistyped. Only answers 401 count as failures: a refusal is given back,
 * so a throttled client's window does not grow. Mount it before the credentials are checked.
 */
export function failureThrottle(options: FailureThrottleOptions): RequestHandler {
  const { failures, windowMs, log } = options;
  const store = new MemoryStore();
  // IPv6 clients are counted per /56, as express-rate-limit does by default: one host has many addresses.
  const clientOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
  const isThrottled = async (client: string) => ((await store.get(client))?.totalHits ?? 0) >= failures;
  const warned = new Map<string, number>(); // client → end of the window it was reported for

  return rateLimit({
    windowMs,
    limit: failures,
    store,
    keyGenerator: clientOf,
    skip: async (req, res) => !options.isWrong(req, res) && !(await isThrottled(clientOf(req))),
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: options.standardHeaders ? 'draft-7' : false,
    legacyHeaders: false,
    handler: (req, res) => {
      const { key, resetTime } = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit ?? {
        key: clientOf(req),
      };
      const until = resetTime?.getTime() ?? Date.now() + windowMs;
      const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1_000));
      if (warned.get(key) !== until) {
        for (const [client, end] of warned) if (end <= Date.now()) warned.delete(client);
        warned.set(key, until);
        log.warn(
          { client: key, failures, retryAfterSeconds: seconds },
          `${options.what}; answering 429 to this client until its window ends`,
        );
      }
      options.refuse(res, seconds);
    },
    // express-rate-limit's own configuration warnings, into the app's log rather than onto the console.
    logger: {
      warn: (err, message) => log.warn({ err }, message ?? 'express-rate-limit'),
      error: (err, message) => log.error({ err }, message ?? 'express-rate-limit'),
    },
  });
}
