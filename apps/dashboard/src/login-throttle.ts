import type { Logger } from '@recording-vault/logger';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, type RateLimitInfo, rateLimit } from 'express-rate-limit';

/** What a request's credentials amount to: none sent, wrong, or right. */
export type LoginOutcome = 'missing' | 'wrong' | 'right';

export interface LoginThrottleSettings {
  /** Failed logins a client may make per window; from the next request on it is answered 429. */
  failedLogins: number;
  /** The window, fixed from the client's first failure; the 429s end with it. */
  windowMs: number;
}

export const defaultLoginThrottle: LoginThrottleSettings = { failedLogins: 10, windowMs: 60_000 };

/**
 * Counts failed logins per client address (express-rate-limit, in memory) and, once a client has made
 * `failedLogins` of them in a window, answers every request of that client 429 with `Retry-After` until
 * the window ends, right credentials included, so that a guess learns nothing.
 *
 * Requests with the right credentials (and requests with none, the browser's first try before the
 * challenge) are skipped unless the client is throttled already, rather than counted and given back when
 * they finish (`skipSuccessfulRequests` alone): a board page loads dozens of assets at once, and counted
 * while in flight they would throttle an operator who never mistyped. Only responses 401 count as failures:
 * a 429 is given back, so a throttled client's window does not grow.
 *
 * Mount it before the credentials are checked; `outcomeOf` is that same check.
 */
export function loginThrottle(
  settings: LoginThrottleSettings,
  outcomeOf: (req: Request) => LoginOutcome,
  logger: Logger,
): RequestHandler {
  const { failedLogins, windowMs } = settings;
  const store = new MemoryStore();
  // IPv6 clients are counted per /56, as express-rate-limit does by default: one host has many addresses.
  const clientOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
  const isThrottled = async (client: string) => ((await store.get(client))?.totalHits ?? 0) >= failedLogins;
  const warned = new Map<string, number>(); // client → end of the window it was reported for

  return rateLimit({
    windowMs,
    limit: failedLogins,
    store,
    keyGenerator: clientOf,
    skip: async (req) => outcomeOf(req) !== 'wrong' && !(await isThrottled(clientOf(req))),
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: 'draft-7',
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
        logger.warn(
          { client: key, failedLogins, retryAfterSeconds: seconds },
          'dashboard: too many failed logins; answering 429 to this client until its window ends',
        );
      }
      res.status(429).json({
        error: 'too many failed logins',
        reason: `${failedLogins} failed logins from this address; try again in ${seconds} s`,
      });
    },
    // express-rate-limit's own configuration warnings, into our log rather than onto the console.
    logger: {
      warn: (err, message) => logger.warn({ err }, message ?? 'express-rate-limit'),
      error: (err, message) => logger.error({ err }, message ?? 'express-rate-limit'),
    },
  });
}
