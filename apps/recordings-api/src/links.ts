import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ArchiveFormat } from '@recording-vault/archive-index';

/** What a link grants: one recording of one account, in one format, until a moment. */
export interface LinkGrant {
  recordingSid: string;
  accountSid: string;
  format: ArchiveFormat;
  /** The link works before this moment and is refused from it on (whole seconds, rounded up). */
  expiresAt: Date | number;
}

export interface SignedLink {
  /** `<publicUrl>/v1/media/<AccountSid>/<RecordingSid>.<format>?Expires=…&Signature=…` */
  url: string;
  /** The moment the link stops working, as signed. */
  expiresAt: Date;
}

/** The path playback links live under; the route is `/v1/media/:accountSid/:file`. */
export const linkPathPrefix = '/v1/media';

/**
 * The text an HMAC covers: a version, the expiry, the account, the recording and the format, one per line.
 * Every part has a fixed shape (digits, SIDs, a word) and newlines cannot occur in any, so no two grants
 * share a text: changing the recording, the account, the format or the expiry breaks the signature.
 */
function signedText(expires: number, accountSid: string, recordingSid: string, format: string): string {
  return `rv-link-v1\n${expires}\n${accountSid}\n${recordingSid}\n${format}`;
}

function signature(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('base64url');
}

/**
 * A URL that plays one recording without credentials until `expiresAt`. The signature is HMAC-SHA256 of the
 * grant with RECORDINGS_LINK_SECRET (base64url); the expiry is a Unix time in seconds. Without `publicUrl`
 * the URL is the path and query alone.
 */
export function signLink(grant: LinkGrant, secret: string, publicUrl = ''): SignedLink {
  const expires = Math.ceil(new Date(grant.expiresAt).getTime() / 1000);
  if (!Number.isSafeInteger(expires) || expires <= 0) throw new RangeError('expiresAt is not a time');
  const { accountSid, recordingSid, format } = grant;
  const text = signedText(expires, accountSid, recordingSid, format);
  const query = new URLSearchParams({ Expires: String(expires), Signature: signature(secret, text) });
  return {
    url: `${publicUrl}${linkPathPrefix}/${accountSid}/${recordingSid}.${format}?${query}`,
    expiresAt: new Date(expires * 1000),
  };
}

export type LinkCheck = { valid: true; expiresAt: Date } | { valid: false; why: 'tampered' | 'expired' };

/**
 * Whether a link's parts are a grant signed with `secret`, and still in time at `now` (milliseconds). The
 * signature is checked first, so an altered expiry reads as tampered, not expired; the comparison takes the
 * same time whatever was sent (digests of both, `timingSafeEqual`).
 */
export function verifyLink(
  link: {
    accountSid: string;
    recordingSid: string;
    format: string;
    expires: string | undefined;
    signature: string | undefined;
  },
  secret: string,
  now: number,
): LinkCheck {
  const expires = /^\d{1,12}$/.test(link.expires ?? '') ? Number(link.expires) : undefined;
  const expected = signature(
    secret,
    signedText(expires ?? 0, link.accountSid, link.recordingSid, link.format),
  );
  const matches = timingSafeEqual(digest(link.signature ?? ''), digest(expected));
  if (!matches || expires === undefined) return { valid: false, why: 'tampered' };
  if (now >= expires * 1000) return { valid: false, why: 'expired' };
  return { valid: true, expiresAt: new Date(expires * 1000) };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
