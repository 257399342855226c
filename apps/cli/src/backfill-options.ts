import { parseArgs } from 'node:util';
import { CliError } from './cli-error.ts';

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

function validDay(value: string): boolean {
  if (!isoDay.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export function parseBackfillOptions(args: string[], configuredAccounts: readonly string[]): BackfillOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new CliError(
      `${(error as Error).message}; usage: vault backfill --from YYYY-MM-DD --to YYYY-MM-DD [--account AC…] [--dry-run]`,
      2,
    );
  }
  const problems: string[] = [];
  const { from, to } = values;
  if (!from) problems.push('--from is required');
  else if (!validDay(from)) problems.push(`--from ${from} is not a date (YYYY-MM-DD)`);
  if (!to) problems.push('--to is required');
  else if (!validDay(to)) problems.push(`--to ${to} is not a date (YYYY-MM-DD)`);
  if (from && to && validDay(from) && validDay(to) && from > to)
    problems.push(`--from ${from} is after --to ${to}`);
  const accounts = values.account ?? [];
  for (const account of accounts) {
    if (!configuredAccounts.includes(account))
      problems.push(`--account ${account} is not a configured account`);
  }
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
    accounts,
    dryRun: values['dry-run'] ?? false,
    pricePerMinute: price,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
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
