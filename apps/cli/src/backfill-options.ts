import { parseArgs } from 'node:util';
import { CliError } from './cli-error.ts';
import { backfillUsage } from './usage.ts';

export interface BackfillOptions {
  from: string;
  to: string;
  /** Every configured account when empty. */
  accounts: string[];
  dryRun: boolean;
  /** US dollars per recorded minute and month that Twilio charges for storage. */
  pricePerMinute: number;
}

/** Twilio's published price for recording storage, per minute and month (US, 2026). */
export const defaultStoragePricePerMinute = 0.0005;

const isoDay = /^\d{4}-\d{2}-\d{2}$/;

export function validDay(value: string): boolean {
  if (!isoDay.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** `today` and `yesterday` are UTC days, as every day of a backfill is. */
export function resolveDay(value: string | undefined, now: Date): string | undefined {
  const daysAgo = value === 'today' ? 0 : value === 'yesterday' ? 1 : undefined;
  if (daysAgo === undefined) return value;
  return new Date(now.getTime() - daysAgo * 86_400_000).toISOString().slice(0, 10);
}

/** Checks the command line alone; the accounts are checked against the configuration by `selectAccounts`. */
export function parseBackfillOptions(args: readonly string[], now = new Date()): BackfillOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new CliError(`${(error as Error).message}; ${backfillUsage}`, 2);
  }
  const problems: string[] = [];
  const from = resolveDay(values.from, now);
  const to = resolveDay(values.to, now);
  if (!from) problems.push('--from is required');
  else if (!validDay(from)) problems.push(`--from ${from} is not a date (YYYY-MM-DD, today or yesterday)`);
  if (!to) problems.push('--to is required');
  else if (!validDay(to)) problems.push(`--to ${to} is not a date (YYYY-MM-DD, today or yesterday)`);
  if (from && to && validDay(from) && validDay(to) && from > to)
    problems.push(`--from ${from} is after --to ${to}`);
  const price =
    values['price-per-minute'] === undefined
      ? defaultStoragePricePerMinute
      : Number(values['price-per-minute']);
  if (!Number.isFinite(price) || price < 0)
    problems.push(`--price-per-minute ${values['price-per-minute']} is not a price`);
  if (problems.length > 0) throw new CliError(problems.join('; '), 2);
  return {
    from: from as string,
    to: to as string,
    accounts: values.account ?? [],
    dryRun: values['dry-run'] ?? false,
    pricePerMinute: price,
  };
}

/** The configured accounts a run covers: those named with --account, or all of them. */
export function selectAccounts<A extends { accountSid: string }>(
  requested: readonly string[],
  configured: readonly A[],
): A[] {
  const unknown = requested.filter((sid) => !configured.some((account) => account.accountSid === sid));
  if (unknown.length > 0)
    throw new CliError(unknown.map((sid) => `--account ${sid} is not a configured account`).join('; '), 2);
  return configured.filter((account) => requested.length === 0 || requested.includes(account.accountSid));
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      account: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      'price-per-minute': { type: 'string' },
    },
  });
}
