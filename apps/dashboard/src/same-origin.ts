import type { RequestHandler } from 'express';

/** What the check reads from a request: its method and three headers, nothing else. */
export interface WriteRequest {
  method: string;
  /** The request's own host (`Host`, with its port), as the client addressed the board. */
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
}

export type SameOriginVerdict = { allowed: true } | { allowed: false; reason: string };

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request may change state. Reads pass. A write (retry, clean, add a job…) needs proof that it
 * comes from the board's own pages: `Sec-Fetch-Site: same-origin`, or an `Origin` whose host:port is the
 * request's own host. Browsers send both on every fetch that writes, so the board's UI passes; another
 * site's form or script cannot forge either, even though the browser would attach the operator's basic-auth
 * credentials to its request. The scheme is not compared: behind a TLS-terminating proxy the page is https
 * while the board itself is spoken to over http, with the same Host.
 */
export function sameOriginVerdict(request: WriteRequest): SameOriginVerdict {
  if (readMethods.has(request.method.toUpperCase())) return { allowed: true };
  const site = request.secFetchSite?.trim().toLowerCase();
  if (site === 'cross-site' || site === 'same-site') {
    return { allowed: false, reason: `cross-site write refused (Sec-Fetch-Site: ${site})` };
  }
  const ownHost = normalisedHost(request.host);
  if (request.origin !== undefined) {
    const sentHost = originHost(request.origin);
    if (!sentHost || !ownHost || sentHost !== ownHost) {
      return {
        allowed: false,
        reason: `cross-site write refused: Origin ${request.origin} is not this board (${request.host ?? 'no Host'})`,
      };
    }
    return { allowed: true };
  }
  if (site === 'same-origin') return { allowed: true };
  return {
    allowed: false,
    reason:
      `a write must show that it comes from the board: scripts must send ` +
      `Origin: http(s)://${request.host ?? '<dashboard host>'} (browsers send Origin and Sec-Fetch-Site themselves)`,
  };
}

/** Express around `sameOriginVerdict`: 403 with the reason as JSON, before anything is changed. */
export function sameOriginWrites(): RequestHandler {
  return (req, res, next) => {
    const verdict = sameOriginVerdict({
      method: req.method,
      // The Host header itself, not `req.host`, which follows X-Forwarded-Host behind a trusted proxy: one
      // header to get right. A proxy in front of the board must pass Host through unchanged.
      host: req.headers.host,
      origin: req.headers.origin,
      secFetchSite: header(req.headers['sec-fetch-site']),
    });
    if (verdict.allowed) {
      next();
      return;
    }
    res.status(403).json({ error: 'forbidden', reason: verdict.reason });
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * `host[:port]` in one spelling: lower case, and without port 80 or 443, which a browser leaves out of Host
 * and Origin alike for its scheme. Dropping both is what "host:port, not scheme" means in practice.
 */
function normalisedHost(hostAndPort: string | undefined): string | undefined {
  // Only what a Host may hold: a name, an IPv4 or a bracketed IPv6 address, and a port.
  if (!hostAndPort || !/^[a-z0-9._\-[\]:]+$/i.test(hostAndPort)) return undefined;
  try {
    const url = new URL(`http://${hostAndPort}`);
    return url.port === '443' ? url.hostname : url.host;
  } catch {
    return undefined;
  }
}

/** The host an `Origin` names; undefined for `null` and anything that is not a bare http(s) origin. */
function originHost(origin: string): string | undefined {
  if (!/^https?:\/\/[^/?#@\s]+$/i.test(origin)) return undefined;
  try {
    return normalisedHost(new URL(origin).host);
  } catch {
    return undefined;
  }
}
