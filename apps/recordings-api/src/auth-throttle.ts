import type { Logger } from '@recording-vault/logger';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, type RateLimitInfo, rateLimit } from 'express-rate-limit';

export interface AuthThrottleSettings {
  /** Failed authentications a client may make per window; from the next request on it is answered 429. */
  failedAttempts: number;
  /** The window, fixed from the client's first failure; the 429s end with it. */
  windowMs: number;
}

export const defaultAuthThrottle: AuthThrottleSettings = { failedAttempts: 20, windowMs: 60_000 };

/**
 * Counts failed authentications per client address (express-rate-limit, in memory, as the dashboard does
 * for its logins) and, once a client has made `failedAttempts` of them in a window, answers every request
 * of that client with `refuse` until the window ends, right credentials included, so that guessing learns
 * nothing. Requests with right or no credentials are not counted unless the client is throttled already;
 * only answers 401 count as failures. Mount it before the credentials are checked; `isWrong` is that check.
 */
export function authThrottle(
  settings: AuthThrottleSettings,
  isWrong: (req: Request, res: Response) => boolean,
  refuse: (res: Response, retryAfterSeconds: number) => void,
  logger: Logger,
): RequestHandler {
  const { failedAttempts, windowMs } = settings;
  const store = new MemoryStore();
  // IPv6 clients are counted per /56, as express-rate-limit does by default: one host has many addresses.
  const clientOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
  const isThrottled = async (client: string) => ((await store.get(client))?.totalHits ?? 0) >= failedAttempts;
  const warned = new Map<string, number>(); // client → end of the window it was reported for

  return rateLimit({
    windowMs,
    limit: failedAttempts,
    store,
    keyGenerator: clientOf,
    skip: async (req, res) => !isWrong(req, res) && !(await isThrottled(clientOf(req))),
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: false,
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
          { client: key, failedAttempts, retryAfterSeconds: seconds },
          'recordings API: too many failed authentications; answering 429 to this client until its window ends',
        );
      }
      refuse(res, seconds);
    },
    logger: {
      warn: (err, message) => logger.warn({ err }, message ?? 'express-rate-limit'),
      error: (err, message) => logger.error({ err }, message ?? 'express-rate-limit'),
    },
  });
}
