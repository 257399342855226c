import { AccountSid, ApiKeySid } from '@recording-vault/contract';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isAllZeroSid, isAllZeroToken } from './placeholders.ts';
import { plainWords } from './plain-words.ts';
import { readTextFile } from './text-file.ts';
import { edgePattern, type TwilioRegion, twilioRegions } from './twilio-regions.ts';
import { ordinal, type PlaceholderRule, secretText } from './variables.ts';

export interface TwilioAccountSettings {
  accountSid: string;
  /** Every accepted token; the first signs API requests. */
  authTokens: readonly string[];
  apiKey?: { sid: string; secret: string };
  /** Where the account's data lives; its credentials work there only. */
  region: TwilioRegion;
  /** The edge its API is reached through, when not the region's own. */
  edge?: string;
  /**
   * The origin every Twilio request of this account goes to (REST, media, listings, deletes): its regional
   * host, or an override (an emulator in tests and demos).
   */
  apiOrigin: string;
}

/** An account as the accounts file describes it, before its origin is resolved. */
export type ListedAccount = Omit<TwilioAccountSettings, 'apiOrigin'> & { apiBaseUrl?: string };

/**
 * Auth tokens: one, or several during a rotation (comma-separated in a variable, a list in the accounts
 * file), the new one first. A message says which one is wrong, never what it is.
 */
export const authTokenList = z
  .union([z.string(), z.array(z.string())], { error: 'must be a token or a list of tokens' })
  .transform((value, ctx) => {
    const tokens = (typeof value === 'string' ? value.split(',') : value).map((token) => token.trim());
    const bad = tokens.findIndex((token) => !/^[0-9a-f]{32}$/.test(token));
    if (bad < 0) return tokens;
    const which = tokens[bad] === '' ? 'is empty' : 'is not';
    ctx.addIssue({
      code: 'custom',
      message:
        tokens.length === 1
          ? 'must be 32 lowercase hex digits: the auth token from the Twilio Console'
          : `must be tokens of 32 lowercase hex digits each, comma-separated: the ${ordinal(bad)} ${which}`,
    });
    return z.NEVER;
  });

export const apiKeySecret = secretText(16, 'is too short for an API key secret (at least 16 characters)');

/** The accounts file: a list of `{ accountSid, authToken, apiKeySid?, apiKeySecret? }`, JSON or YAML. */
const AccountsFile = z
  .array(
    z
      .object(
        {
          accountSid: AccountSid,
          authToken: authTokenList,
          apiKeySid: ApiKeySid.optional(),
          apiKeySecret: apiKeySecret.optional(),
          region: z
            .enum(twilioRegions, { error: `must be a Twilio region: ${twilioRegions.join(', ')}` })
            .optional(),
          edge: z
            .string()
            .regex(edgePattern, 'must be a Twilio edge name such as dublin or sydney')
            .optional(),
          apiBaseUrl: z
            .url({ protocol: /^https?$/, error: 'must be an http(s) origin such as https://api.twilio.com' })
            .optional(),
        },
        {
          error:
            'must be an account: accountSid, authToken and optionally apiKeySid and apiKeySecret, region, edge, apiBaseUrl',
        },
      )
      .strict()
      .refine((entry) => Boolean(entry.apiKeySid) === Boolean(entry.apiKeySecret), {
        message: 'apiKeySid and apiKeySecret go together',
      }),
    { error: 'must be a list of accounts' },
  )
  .min(1, 'lists no account')
  .refine((entries) => new Set(entries.map((e) => e.accountSid)).size === entries.length, {
    message: 'lists an account twice',
  });

export function readAccountsFile(path: string): { accounts: ListedAccount[]; problems: string[] } {
  const read = readTextFile(path);
  if ('problem' in read) return { accounts: [], problems: [read.problem] };
  let data: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both. Every value here is a string, and the failsafe
    // schema keeps it one: an all-digit token would otherwise come back as a number.
    data = parseYaml(read.text, { schema: 'failsafe' });
  } catch (error) {
    return {
      accounts: [],
      problems: [`${path} is neither JSON nor YAML: ${(error as Error).message.split('\n')[0]}`],
    };
  }
  const parsed = AccountsFile.safeParse(data, { error: plainWords });
  if (!parsed.success) {
    // Paths only, never values: the file holds secrets. An entry is also named by its account SID, when
    // it has a well-formed one, so that a bad region or edge says whose it is.
    const sidAt = (index: unknown): string => {
      const entry = Array.isArray(data) && typeof index === 'number' ? (data[index] as unknown) : undefined;
      const sid = (entry as { accountSid?: unknown } | undefined)?.accountSid;
      return typeof sid === 'string' && AccountSid.safeParse(sid).success ? ` (account ${sid})` : '';
    };
    return {
      accounts: [],
      problems: parsed.error.issues.map(
        (issue) =>
          `${path}${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}${sidAt(issue.path[0])}: ${issue.message}`,
      ),
    };
  }
  return {
    accounts: parsed.data.map((entry) => ({
      accountSid: entry.accountSid,
      authTokens: entry.authToken,
      ...(entry.apiKeySid && entry.apiKeySecret
        ? { apiKey: { sid: entry.apiKeySid, secret: entry.apiKeySecret } }
        : {}),
      region: entry.region ?? 'us1',
      ...(entry.edge ? { edge: entry.edge } : {}),
      ...(entry.apiBaseUrl ? { apiBaseUrl: entry.apiBaseUrl.replace(/\/+$/, '') } : {}),
    })),
    problems: [],
  };
}

/** All-zero SIDs and tokens in the accounts file, by position. */
export const placeholderAccounts: PlaceholderRule = (value) => {
  if (!Array.isArray(value)) return undefined;
  const found: string[] = [];
  (value as ListedAccount[]).forEach((account, index) => {
    if (isAllZeroSid(account.accountSid)) found.push(`[${index}].accountSid`);
    if (account.authTokens.some(isAllZeroToken)) found.push(`[${index}].authToken`);
    if (account.apiKey && isAllZeroSid(account.apiKey.sid)) found.push(`[${index}].apiKeySid`);
  });
  return found.length > 0
    ? `holds placeholders (all zeros) at ${found.join(', ')}: set the accounts' real SIDs and tokens`
    : undefined;
};
