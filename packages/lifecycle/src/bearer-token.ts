import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * True when an Authorization header carries `Bearer <token>`. Both sides are hashed first so that the
 * comparison takes the same time whatever the length or content of what was sent.
 */
export function hasBearerToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  const sent = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(sent, expected) && match !== null && token.length > 0;
}

/** What a Prometheus registry gives to serve it. */
interface MetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * `GET /metrics` for an Express app: the registry's text, behind `Authorization: Bearer <token>` when a
 * token is set (401 with a Bearer challenge otherwise).
 */
export function metricsEndpoint(registry: MetricsRegistry, token: string | undefined): RequestHandler {
  return async (req, res) => {
    if (token !== undefined && !hasBearerToken(req.get('authorization'), token)) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="metrics"')
        .json({ error: 'bearer token required' });
      return;
    }
    res.type(registry.contentType).send(await registry.metrics());
  };
}
