import { createHash, timingSafeEqual } from 'node:crypto';

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
