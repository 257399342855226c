import type { TwilioAccountSettings } from '@recording-vault/config';
import { createTwilioRestClient, TwilioApiError, type TwilioRestClient } from '@recording-vault/twilio';
import { withoutCredentials } from './cli-error.ts';

type Account = Readonly<TwilioAccountSettings>;

/** What `vault accounts --json` prints per account: where it is and how it signs in, never a secret. */
export interface AccountListing {
  sid: string;
  region: string;
  /** null when the region's default edge is used. */
  edge: string | null;
  apiOrigin: string;
  credential: 'auth-token' | 'api-key';
  apiKeySid?: string;
}

/** The outcome of one authenticated request to an account's API origin. */
export type AccountCheck =
  | { result: 'ok' }
  /** Twilio answered 401 or 403: the credentials are wrong or lack permission. */
  | { result: 'refused'; status: number | undefined; code: number | undefined }
  /** No answer at all: refused, reset, timed out, a name that does not resolve. */
  | { result: 'unreachable'; reason: string }
  /** An answer, but not a page of recordings (a 5xx, a 429, …). */
  | { result: 'failed'; reason: string };

export function listing(account: Account): AccountListing {
  return {
    sid: account.accountSid,
    region: account.region,
    edge: account.edge ?? null,
    apiOrigin: shownOrigin(account.apiOrigin),
    credential: account.apiKey ? 'api-key' : 'auth-token',
    ...(account.apiKey ? { apiKeySid: account.apiKey.sid } : {}),
  };
}

/** An origin as configured, unless it carries a user or password: those are dropped. */
function shownOrigin(origin: string): string {
  const parsed = URL.parse(origin);
  return parsed && (parsed.username || parsed.password) ? withoutCredentials(origin) : origin;
}

/** The account's REST client, on its own region's (or edge's) API origin. */
export function restClientFor(account: Account): TwilioRestClient {
  return createTwilioRestClient(
    {
      accountSid: account.accountSid,
      authToken: account.authTokens[0] as string,
      apiKey: account.apiKey,
      apiOrigin: account.apiOrigin,
    },
    { baseUrl: account.apiOrigin, timeoutMs: 15_000 },
  );
}

/** Asks for one recording: the cheapest request that proves both the origin and the credentials. */
export async function checkAccount(client: TwilioRestClient): Promise<AccountCheck> {
  try {
    await client.listRecordingPages({ pageSize: 1 }).next();
    return { result: 'ok' };
  } catch (error) {
    return checkOutcome(error);
  }
}

/** Told apart by the error's kind and whether a response came, never by its message. */
export function checkOutcome(error: unknown): AccountCheck {
  if (!(error instanceof TwilioApiError)) {
    return { result: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
  if (error.kind === 'unauthorized') return { result: 'refused', status: error.status, code: error.code };
  if (error.status === undefined) return { result: 'unreachable', reason: transportReason(error.cause) };
  const code = error.code === undefined ? '' : `, Twilio error ${error.code}`;
  return { result: 'failed', reason: `HTTP ${error.status}${code}` };
}

function transportReason(cause: unknown): string {
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string') return code;
  return cause instanceof Error ? cause.message || cause.name : 'network error';
}

export function checkText(check: AccountCheck): string {
  switch (check.result) {
    case 'ok':
      return 'ok';
    case 'refused': {
      const parts = [
        check.status === undefined ? undefined : `HTTP ${check.status}`,
        check.code === undefined ? undefined : `Twilio error ${check.code}`,
      ].filter(Boolean);
      return parts.length > 0 ? `refused (${parts.join(', ')})` : 'refused';
    }
    case 'unreachable':
      return `unreachable (${check.reason})`;
    case 'failed':
      return `failed (${check.reason})`;
  }
}

function credentialText(account: AccountListing): string {
  return account.apiKeySid ? `API key ${account.apiKeySid}` : 'auth token';
}

/**
 * One line per account. On a terminal, a table with a header, its columns padded to line up; piped, the
 * same columns without the header, separated by tabs, for `cut` and `awk`.
 */
export function formatAccounts(
  accounts: readonly AccountListing[],
  checks: readonly AccountCheck[] | undefined,
  terminal: boolean,
): string {
  const rows = accounts.map((account, i) => {
    const row = [account.sid, account.region, account.apiOrigin, credentialText(account)];
    const check = checks?.[i];
    return check ? [...row, checkText(check)] : row;
  });
  if (!terminal) return rows.map((row) => row.join('\t')).join('\n');
  const header = ['ACCOUNT', 'REGION', 'API ORIGIN', 'CREDENTIAL', ...(checks ? ['CHECK'] : [])];
  const table = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  return table
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `--json`: one object a line, with the check when there was one. */
export function accountsJsonLines(
  accounts: readonly AccountListing[],
  checks: readonly AccountCheck[] | undefined,
): string {
  return accounts
    .map((account, i) => JSON.stringify(checks?.[i] ? { ...account, check: checks[i] } : account))
    .join('\n');
}
