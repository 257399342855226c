import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@recording-vault/logger';
import type { Request, RequestHandler } from 'express';
import { type LoginOutcome, type LoginThrottleSettings, loginThrottle } from './login-throttle.ts';

export interface DashboardCredentials {
  user: string;
  password: string;
}

const challenge = 'Basic realm="Recording Vault", charset="UTF-8"';

/**
 * The credentials check itself, without Express: what an `Authorization` header amounts to. Both the user
 * and the password are compared as SHA-256 digests with `timingSafeEqual`: equal-length inputs whatever was
 * sent, so neither the length nor the first differing byte shows in the response time, and both are always
 * compared. A header that is not well-formed basic credentials counts as wrong; only its absence is
 * `missing`.
 */
export function credentialsCheck(expected: DashboardCredentials): (authorization?: string) => LoginOutcome {
  const userDigest = digest(expected.user);
  const passwordDigest = digest(expected.password);
  return (authorization) => {
    if (authorization === undefined) return 'missing';
    const sent = credentialsOf(authorization);
    if (!sent) return 'wrong';
    const userOk = timingSafeEqual(digest(sent.user), userDigest);
    const passwordOk = timingSafeEqual(digest(sent.password), passwordDigest);
    return userOk && passwordOk ? 'right' : 'wrong';
  };
}

/**
 * HTTP basic authentication in front of every path it is mounted on, behind a per-client throttle of
 * failed logins (see `loginThrottle`).
 */
export function basicAuth(
  expected: DashboardCredentials,
  logger: Logger,
  throttle: LoginThrottleSettings,
): RequestHandler[] {
  const check = credentialsCheck(expected);
  const outcomeOf = (req: Request) => check(req.headers.authorization);
  const authenticate: RequestHandler = (req, res, next) => {
    const outcome = outcomeOf(req);
    if (outcome === 'right') {
      next();
      return;
    }
    if (outcome === 'wrong') {
      // Never the credentials themselves: a mistyped password is usually most of the real one.
      logger.warn(
        { path: req.path, remoteAddress: req.socket.remoteAddress },
        'dashboard: wrong credentials',
      );
    }
    res.setHeader('WWW-Authenticate', challenge);
    res.status(401).type('text/plain').send('authentication required\n');
  };
  return [loginThrottle(throttle, outcomeOf, logger), authenticate];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function credentialsOf(header: string | undefined): DashboardCredentials | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  // The user may not contain a colon (RFC 7617); the password may.
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
