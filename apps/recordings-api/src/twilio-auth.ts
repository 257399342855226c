import { createHash, timingSafeEqual } from 'node:crypto';

/** What the caller authenticated with: the account's auth token (any of a rotation) or one of its API keys. */
export type CredentialKind = 'auth-token' | 'api-key';

export type AuthOutcome =
  | { kind: 'missing' }
  | { kind: 'wrong' }
  | { kind: 'right'; accountSid: string; credential: CredentialKind; user: string };

/** What the API needs of an account's configuration (`twilioSettings(env).accounts`). */
export interface AccountCredentials {
  accountSid: string;
  authTokens: readonly string[];
  apiKey?: { sid: string; secret: string } | undefined;
}

interface Secret {
  accountSid: string;
  credential: CredentialKind;
  digest: Buffer;
}

/**
 * Twilio's authentication: HTTP basic with an account SID and one of its auth tokens, or an API key SID and
 * its secret. Secrets are compared as SHA-256 digests with `timingSafeEqual`, every candidate of the user
 * each time (a rotation's two tokens), and an unknown user is compared against a stand-in: the time taken
 * does not tell which part was wrong or how much of it. With `accountSid`, the credentials must be that
 * account's (a URL under /Accounts/{AccountSid}).
 */
export function twilioCredentialsCheck(
  accounts: readonly AccountCredentials[],
): (authorization: string | undefined, accountSid?: string) => AuthOutcome {
  const byUser = new Map<string, Secret[]>();
  const add = (user: string, secret: Secret) => byUser.set(user, [...(byUser.get(user) ?? []), secret]);
  for (const account of accounts) {
    for (const token of account.authTokens) {
      add(account.accountSid, {
        accountSid: account.accountSid,
        credential: 'auth-token',
        digest: digest(token),
      });
    }
    if (account.apiKey) {
      add(account.apiKey.sid, {
        accountSid: account.accountSid,
        credential: 'api-key',
        digest: digest(account.apiKey.secret),
      });
    }
  }
  const standIn: Secret[] = [{ accountSid: '', credential: 'auth-token', digest: digest('\u0000') }];

  return (authorization, accountSid) => {
    if (authorization === undefined || authorization === '') return { kind: 'missing' };
    const sent = basicCredentials(authorization);
    if (!sent) return { kind: 'wrong' };
    const candidates = byUser.get(sent.user);
    const sentDigest = digest(sent.password);
    let found: Secret | undefined;
    for (const candidate of candidates ?? standIn) {
      if (timingSafeEqual(sentDigest, candidate.digest) && candidates) found = candidate;
    }
    if (!found || (accountSid !== undefined && found.accountSid !== accountSid)) return { kind: 'wrong' };
    return { kind: 'right', accountSid: found.accountSid, credential: found.credential, user: sent.user };
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function basicCredentials(header: string): { user: string; password: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  // The user may not contain a colon (RFC 7617); the password may.
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
