import { failureThrottle } from '@recording-vault/lifecycle';
import type { Logger } from '@recording-vault/logger';
import type { Request, RequestHandler, Response } from 'express';

export interface AuthThrottleSettings {
  /** Failed authentications a client may make per window; from the next request on it is answered 429. */
  failedAttempts: number;
  /** The window, fixed from the client's first failure; the 429s end with it. */
  windowMs: number;
}

export const defaultAuthThrottle: AuthThrottleSettings = { failedAttempts: 20, windowMs: 60_000 };

/**
 * Failed authentications counted per client address; once a client has made `failedAttempts` of them in a
 * window, every request of that client is answered with `refuse` until the window ends, right credentials
 * included. `isWrong` is the credentials check the routes make after it (see failureThrottle).
 */
export function authThrottle(
  settings: AuthThrottleSettings,
  isWrong: (req: Request, res: Response) => boolean,
  refuse: (res: Response, retryAfterSeconds: number) => void,
  logger: Logger,
): RequestHandler {
  return failureThrottle({
    failures: settings.failedAttempts,
    windowMs: settings.windowMs,
    isWrong,
    refuse,
    log: logger,
    what: 'recordings API: too many failed authentications',
  });
}
