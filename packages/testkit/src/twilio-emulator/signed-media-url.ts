import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MediaFormat } from './media-generator.ts';

/** What a signed media URL grants: one recording's file in one format and channel count, until `expires`. */
export interface SignedMediaGrant {
  accountSid: string;
  recordingSid: string;
  format: MediaFormat;
  channels: 1 | 2;
  /** Epoch seconds, as in CloudFront/S3 signed URLs. */
  expires: number;
}

export type SignedMediaCheck =
  | { ok: true; grant: SignedMediaGrant }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

export function signedMediaPath(
  grant: Pick<SignedMediaGrant, 'accountSid' | 'recordingSid' | 'format'>,
): string {
  return `/v1/${grant.accountSid}/${grant.recordingSid}.${grant.format}`;
}

/** A path and query in the shape of a CloudFront signed URL: `Expires`, `Signature`, `Key-Pair-Id`. */
export function signMediaUrl(origin: string, grant: SignedMediaGrant, secret: string): string {
  const query = new URLSearchParams({
    Channels: String(grant.channels),
    Expires: String(grant.expires),
    Signature: signature(grant, secret),
    'Key-Pair-Id': 'APKAEMULATOR',
  });
  return `${origin}${signedMediaPath(grant)}?${query.toString()}`;
}

export function verifySignedMediaUrl(
  path: string,
  query: URLSearchParams,
  secret: string,
  nowMs: number,
): SignedMediaCheck {
  const match = /^\/v1\/(AC[0-9a-f]{32})\/(RE[0-9a-f]{32})\.(wav|mp3)$/.exec(path);
  const channels = query.get('Channels');
  const expires = Number(query.get('Expires'));
  const given = query.get('Signature');
  if (
    !match?.[1] ||
    !match[2] ||
    !given ||
    (channels !== '1' && channels !== '2') ||
    !Number.isInteger(expires)
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const grant: SignedMediaGrant = {
    accountSid: match[1],
    recordingSid: match[2],
    format: match[3] === 'mp3' ? 'mp3' : 'wav',
    channels: channels === '2' ? 2 : 1,
    expires,
  };
  const expected = Buffer.from(signature(grant, secret));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    return { ok: false, reason: 'signature' };
  if (nowMs > expires * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, grant };
}

function signature(grant: SignedMediaGrant, secret: string): string {
  return createHmac('sha256', secret)
    .update(`${signedMediaPath(grant)}\n${grant.channels}\n${grant.expires}`)
    .digest('base64url');
}
