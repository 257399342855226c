import { parseArgs } from 'node:util';
import { type ArchiveFormat, defaultScrubConcurrency } from '@recording-vault/archive-index';
import { duration } from '@recording-vault/config';
import { resolveDay, validDay } from './backfill-options.ts';
import { CliError } from './cli-error.ts';
import { findUsage, getUsage, linkUsage, reindexUsage, scrubUsage } from './usage.ts';

/** The command lines of the commands that read the archive back: checked alone, before any setting. */

export interface LinkOptions {
  recordingSid: string;
  /** How long the link plays, in milliseconds. */
  ttlMs: number;
  /** The format asked for; the stored one when not given. */
  format: ArchiveFormat | undefined;
}

export interface GetOptions {
  recordingSid: string;
  /** Where to write; `<RecordingSid>.<format>` in the current folder when not given. */
  out: string | undefined;
}

export type FindOptions = {
  /** Every configured account when empty. */
  accounts: string[];
  json: boolean;
} & ({ by: 'call'; callSid: string } | { by: 'date'; from: string; to: string });

export interface ReindexOptions {
  /** All of storage when empty. */
  accounts: string[];
}

export interface ScrubOptions {
  /** Every account configured or in the index when empty. */
  accounts: string[];
  /** UTC days, both included; every entry when not given. */
  range: { from: string; to: string } | undefined;
  /** Check a random sample of this many recordings instead of all. */
  sample: number | undefined;
  concurrency: number;
  json: boolean;
}

export const defaultLinkTtl = '60m';
/** The longest a link may play, as the recordings API allows (`MAX_LINK_TTL_MS`): a bearer credential. */
export const maxLinkTtlMs = 7 * 86_400_000;

const RECORDING_SID = /^RE[0-9a-f]{32}$/;
const CALL_SID = /^CA[0-9a-f]{32}$/;
const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;

export function parseLinkOptions(args: readonly string[]): LinkOptions {
  const { values, positionals } = asUsageError(linkUsage, () =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: { ttl: { type: 'string' }, format: { type: 'string' } },
    }),
  );
  const recordingSid = recordingSidOf(positionals, linkUsage);
  const ttl = values.ttl ?? defaultLinkTtl;
  const parsed = duration(defaultLinkTtl).safeParse(ttl);
  if (!parsed.success || parsed.data < 1_000 || parsed.data > maxLinkTtlMs) {
    throw new CliError(`--ttl ${ttl} is not a duration from 1s to 7d, such as 90s, 15m or 1h`, 2);
  }
  const { format } = values;
  if (format !== undefined && format !== 'wav' && format !== 'mp3') {
    throw new CliError(`--format ${format} is not a format: wav or mp3`, 2);
  }
  return { recordingSid, ttlMs: parsed.data, format };
}

export function parseGetOptions(args: readonly string[]): GetOptions {
  const { values, positionals } = asUsageError(getUsage, () =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: { out: { type: 'string' } },
    }),
  );
  const recordingSid = recordingSidOf(positionals, getUsage);
  if (values.out === '') throw new CliError(`--out needs a file name; ${getUsage}`, 2);
  return { recordingSid, out: values.out };
}

export function parseFindOptions(args: readonly string[], now = new Date()): FindOptions {
  const { values } = asUsageError(findUsage, () =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        call: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        account: { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
    }),
  );
  const problems: string[] = [];
  const accounts = accountsOf(values.account, problems);
  const json = values.json ?? false;
  if (values.call !== undefined) {
    if (values.from !== undefined || values.to !== undefined) {
      throw new CliError(`find by --call or by --from and --to, not both; ${findUsage}`, 2);
    }
    if (!CALL_SID.test(values.call)) {
      problems.push(`--call ${values.call} is not a CallSid: CA followed by 32 lowercase hex digits`);
    }
    if (problems.length > 0) throw new CliError(problems.join('; '), 2);
    return { by: 'call', callSid: values.call, accounts, json };
  }
  if (values.from === undefined && values.to === undefined) {
    throw new CliError(`--call, or --from and --to, is required; ${findUsage}`, 2);
  }
  const range = dayRange(values.from, values.to, now, problems);
  if (problems.length > 0 || !range) throw new CliError(problems.join('; '), 2);
  return { by: 'date', ...range, accounts, json };
}

export function parseReindexOptions(args: readonly string[]): ReindexOptions {
  const { values } = asUsageError(reindexUsage, () =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: { account: { type: 'string', multiple: true } },
    }),
  );
  const problems: string[] = [];
  const accounts = accountsOf(values.account, problems);
  if (problems.length > 0) throw new CliError(problems.join('; '), 2);
  return { accounts };
}

export const maxScrubConcurrency = 64;

export function parseScrubOptions(args: readonly string[], now = new Date()): ScrubOptions {
  const { values } = asUsageError(scrubUsage, () =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        sample: { type: 'string' },
        account: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        concurrency: { type: 'string' },
      },
    }),
  );
  const problems: string[] = [];
  const accounts = accountsOf(values.account, problems);
  const range =
    values.from === undefined && values.to === undefined
      ? undefined
      : dayRange(values.from, values.to, now, problems);
  const sample = values.sample === undefined ? undefined : countOf(values.sample);
  if (values.sample !== undefined && sample === undefined) {
    problems.push(`--sample ${values.sample} is not a number of recordings (1 or more)`);
  }
  const concurrency =
    values.concurrency === undefined ? defaultScrubConcurrency : countOf(values.concurrency);
  if (concurrency === undefined || concurrency > maxScrubConcurrency) {
    problems.push(`--concurrency ${values.concurrency} is not a number from 1 to ${maxScrubConcurrency}`);
  }
  if (problems.length > 0) throw new CliError(problems.join('; '), 2);
  return { accounts, range, sample, concurrency: concurrency as number, json: values.json ?? false };
}

/** A whole number from 1, written in decimal digits only. */
function countOf(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}

/** `--from` and `--to`, both required once either is given: UTC days, `today` or `yesterday`. */
function dayRange(
  rawFrom: string | undefined,
  rawTo: string | undefined,
  now: Date,
  problems: string[],
): { from: string; to: string } | undefined {
  const from = resolveDay(rawFrom, now);
  const to = resolveDay(rawTo, now);
  const before = problems.length;
  if (!from) problems.push('--from is required with --to');
  else if (!validDay(from)) problems.push(`--from ${from} is not a date (YYYY-MM-DD, today or yesterday)`);
  if (!to) problems.push('--to is required with --from');
  else if (!validDay(to)) problems.push(`--to ${to} is not a date (YYYY-MM-DD, today or yesterday)`);
  if (from && to && validDay(from) && validDay(to) && from > to) {
    problems.push(`--from ${from} is after --to ${to}`);
  }
  return problems.length === before && from && to ? { from, to } : undefined;
}

/** The first and last millisecond of a range of UTC days, both included, as the index's bounds are. */
export function dayBounds(from: string, to: string): { createdFrom: number; createdTo: number } {
  return {
    createdFrom: Date.parse(`${from}T00:00:00.000Z`),
    createdTo: Date.parse(`${to}T23:59:59.999Z`),
  };
}

function asUsageError<T>(usage: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new CliError(`${(error as Error).message}; ${usage}`, 2);
  }
}

function recordingSidOf(positionals: readonly string[], usage: string): string {
  const [recordingSid, ...rest] = positionals;
  if (recordingSid === undefined) throw new CliError(`a RecordingSid is required; ${usage}`, 2);
  if (rest.length > 0) {
    throw new CliError(`one RecordingSid at a time, not ${positionals.join(' ')}; ${usage}`, 2);
  }
  if (!RECORDING_SID.test(recordingSid)) {
    throw new CliError(`${recordingSid} is not a RecordingSid: RE followed by 32 lowercase hex digits`, 2);
  }
  return recordingSid;
}

/**
 * Any well-formed account SID: the index may hold accounts no longer configured, and reading them needs no
 * Twilio credentials.
 */
function accountsOf(values: readonly string[] | undefined, problems: string[]): string[] {
  const accounts = [...new Set(values ?? [])];
  for (const sid of accounts) {
    if (!ACCOUNT_SID.test(sid)) {
      problems.push(`--account ${sid} is not an account SID: AC followed by 32 lowercase hex digits`);
    }
  }
  return accounts;
}
