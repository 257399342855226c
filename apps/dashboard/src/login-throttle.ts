import { failureThrottle } from '@recording-vault/lifecycle';
import type { Logger } from '@recording-vault/logger';
import type { Request, RequestHandler } from 'express';

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
 * Failed logins counted per client address; once a client has made `failedLogins` of them in a window,
 * every request of that client is answered 429 with `Retry-After` until the window ends, right credentials
 * included (see failureThrottle). Mount it before the credentials are checked; `outcomeOf` is that check.
 */
export function loginThrottle(
  settings: LoginThrottleSettings,
  outcomeOf: (req: Request) => LoginOutcome,
  logger: Logger,
): RequestHandler {
  const { failedLogins } = settings;
  return failureThrottle({
    failures: failedLogins,
    windowMs: settings.windowMs,
    isWrong: (req) => outcomeOf(req) === 'wrong',
    refuse: (res, seconds) => {
      res.status(429).json({
        error: 'too many failed logins',
        reason: `${failedLogins} failed logins from this address; try again in ${seconds} s`,
      });
    },
    log: logger,
    what: 'dashboard: too many failed logins',
    standardHeaders: true,
  });
}
