import { timingSafeEqual } from 'node:crypto';
import type { RecordingStore } from './recording-store.ts';

/** How a request authenticated: account SID + auth token, API key + secret, nothing, or wrongly. */
export type AuthKind = 'account' | 'apiKey' | 'none' | 'invalid';

export interface AuthResult {
  kind: AuthKind;
  /** The account the credentials belong to, when they are valid. */
  accountSid: string | null;
}

export function parseBasicAuth(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const match = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Checks HTTP basic credentials the way Twilio does: the username is the account SID (password: its auth
 * token) or an API key SID of that account (password: the key's secret).
 */
export function authenticate(header: string | undefined, store: RecordingStore): AuthResult {
  if (header === undefined) return { kind: 'none', accountSid: null };
  const credentials = parseBasicAuth(header);
  if (!credentials) return { kind: 'invalid', accountSid: null };
  const account = store.account(credentials.username);
  if (account) {
    return sameSecret(credentials.password, account.authToken)
      ? { kind: 'account', accountSid: account.accountSid }
      : { kind: 'invalid', accountSid: null };
  }
  const apiKey = store.apiKey(credentials.username);
  if (apiKey && sameSecret(credentials.password, apiKey.key.secret)) {
    return { kind: 'apiKey', accountSid: apiKey.account.accountSid };
  }
  return { kind: 'invalid', accountSid: null };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
