import type { ArchiveIndex } from '@recording-vault/archive-index';
import type { Cluster, Redis } from 'ioredis';

/**
 * Twilio's price for keeping recordings, as published on twilio.com/en-us/voice/pricing (checked November
 * 2026): $0.0005 per minute of recording per month. Every account keeps its first 10,000 minutes free.
 * Change these when Twilio changes its price list; the archive page states both.
 */
export const TWILIO_STORAGE_USD_PER_MINUTE_MONTH = 0.0005;
export const TWILIO_FREE_STORAGE_MINUTES = 10_000;

/**
 * What Twilio would charge each month to keep `seconds` of one account's recordings: the minutes beyond the
 * free allowance at the monthly price. The allowance is per account, so totals over several accounts add
 * up the accounts' own costs rather than applying the allowance once.
 */
export function storageCostAvoidedPerMonth(seconds: number): number {
  const minutes = seconds / 60;
  return Math.max(0, minutes - TWILIO_FREE_STORAGE_MINUTES) * TWILIO_STORAGE_USD_PER_MINUTE_MONTH;
}

export interface AccountTotals {
  accountSid: string;
  recordings: number;
  /** Sum of the recordings' durations. */
  seconds: number;
  bytes: number;
  /**
   * `exact`: every entry was read. `estimate`: the account has more entries than are summed on a page view;
   * seconds and bytes are the newest `sampled` entries' averages times the number of recordings.
   */
  basis: { kind: 'exact' } | { kind: 'estimate'; sampled: number };
}

export interface TotalsSettings {
  /** Accounts with up to this many archived recordings are summed entry by entry. */
  exactUpTo: number;
  /** Above it, how many of the newest entries the averages come from. */
  sample: number;
  /** How long a computed total is reused: a page view does not read every entry again. */
  cacheMs: number;
}

/**
 * About 10,000 entries are read in ten ordered pages in a fraction of a second; beyond that, a page view
 * would grow with the archive, which the index was built never to do. The exact figure at any size needs
 * running totals kept where entries are written (see the README).
 */
export const defaultTotalsSettings: TotalsSettings = { exactUpTo: 10_000, sample: 1_000, cacheMs: 60_000 };

const PAGE = 1_000;

export interface TotalsDeps {
  index: ArchiveIndex;
  redis: Redis | Cluster;
  settings: TotalsSettings;
  clock: () => number;
}

/**
 * Per-account totals from the archive index: the number of recordings is the size of the account's sorted
 * set (one read); durations and sizes are summed from the entries, read by ordered pages as every listing
 * is, or extrapolated from the newest entries for an account too large to sum on a page view. Results are
 * kept for `cacheMs`, shared by concurrent page views.
 */
export function archiveTotals(deps: TotalsDeps) {
  const { index, redis, settings } = deps;
  const cache = new Map<string, { at: number; totals: Promise<AccountTotals> }>();

  async function compute(accountSid: string): Promise<AccountTotals> {
    const recordings = await redis.zcard(index.keys.account(accountSid));
    const exact = recordings <= settings.exactUpTo;
    let seconds = 0;
    let bytes = 0;
    let read = 0;
    let from: { direction: 'older'; position: string } | undefined;
    const limit = exact ? Number.POSITIVE_INFINITY : settings.sample;
    while (read < limit) {
      const page = await index.list({ accountSid, pageSize: Math.min(PAGE, limit - read), from });
      for (const entry of page.entries) {
        seconds += entry.durationSeconds;
        bytes += entry.bytes;
      }
      read += page.entries.length;
      const last = page.entries.at(-1);
      if (!page.more || !last) break;
      from = { direction: 'older', position: last.position };
    }
    if (exact) return { accountSid, recordings: read, seconds, bytes, basis: { kind: 'exact' } };
    const scale = read === 0 ? 0 : recordings / read;
    return {
      accountSid,
      recordings,
      seconds: Math.round(seconds * scale),
      bytes: Math.round(bytes * scale),
      basis: { kind: 'estimate', sampled: read },
    };
  }

  return {
    /** The accounts that have archived recordings, as the index lists them (sorted). */
    async accounts(): Promise<string[]> {
      return (await redis.smembers(index.keys.accounts)).sort();
    },
    read(accountSid: string): Promise<AccountTotals> {
      const now = deps.clock();
      const cached = cache.get(accountSid);
      if (cached && now - cached.at < settings.cacheMs) return cached.totals;
      const totals = compute(accountSid);
      cache.set(accountSid, { at: now, totals });
      // A failure is not kept: the next page view tries again.
      totals.catch(() => {
        if (cache.get(accountSid)?.totals === totals) cache.delete(accountSid);
      });
      return totals;
    },
  };
}

export type ArchiveTotals = ReturnType<typeof archiveTotals>;
