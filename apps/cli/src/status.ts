import { QueueName } from '@recording-vault/contract';
import type { RedisConnection } from '@recording-vault/redis';
import { type ReconcileSummary, vaultStats } from '@recording-vault/stats';
import { readRequestWindows, type WindowState } from '@recording-vault/twilio';
import { Queue } from 'bullmq';
import { type FailureReason, groupByCause, groupReasons, readableReason } from './failure-reasons.ts';
import { formatBytes } from './progress-display.ts';

export interface ListingFailure {
  /** The UTC day the listing job could not list. */
  day: string;
  jobId: string;
  reason: string;
}

export interface AccountStatus {
  accountSid: string;
  archived: number;
  bytes: number;
  skipped: number;
  pending: number;
  /** Archive jobs in the failed set. */
  failed: number;
  /** The most common reasons archive jobs of this account failed, most frequent first. */
  failureReasons: FailureReason[];
  /** Backfill listing jobs in the failed set: days not listed, so recordings possibly not archived. */
  failedListings: number;
  /** Each of them, newest first. */
  listingFailures: ListingFailure[];
  lastReconciliation: ReconcileSummary | null;
  /** The account's adaptive window of Twilio requests in flight; null before the workers used one. */
  twilioWindow: WindowState | null;
}

export async function readStatus(
  redis: RedisConnection,
  prefix: string,
  accounts: readonly string[],
): Promise<AccountStatus[]> {
  const archive = new Queue(QueueName.archive, { connection: redis, prefix });
  const backfill = new Queue(QueueName.backfill, { connection: redis, prefix });
  try {
    const stats = vaultStats(redis, prefix);
    const pendingJobs = await archive.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
    const failedJobs = await archive.getJobs(['failed']);
    const failedListings = await backfill.getJobs(['failed']);
    const windows = await readRequestWindows(redis, prefix, accounts);
    return await Promise.all(
      accounts.map(async (accountSid) => {
        const totals = await stats.read(accountSid);
        const failed = failedJobs.filter((job) => job.data?.accountSid === accountSid);
        const listingFailures = failedListings
          .filter((job) => job.data?.accountSid === accountSid)
          .map((job) => ({
            day: String(job.data.day),
            jobId: job.id ?? '',
            reason: readableReason(job.failedReason),
          }));
        return {
          accountSid,
          archived: totals.archived,
          bytes: totals.bytes,
          skipped: totals.skipped,
          pending: pendingJobs.filter((job) => job.data?.accountSid === accountSid).length,
          failed: failed.length,
          failureReasons: groupReasons(failed.map((job) => job.failedReason)),
          failedListings: listingFailures.length,
          listingFailures,
          lastReconciliation: totals.lastReconcile,
          twilioWindow: windows.find((w) => w.accountSid === accountSid) ?? null,
        };
      }),
    );
  } finally {
    await Promise.all([archive.close(), backfill.close()]);
  }
}

/** Failed archive jobs and failed listing jobs, told apart. */
function failedCount(s: AccountStatus): string {
  const total = s.failed + s.failedListings;
  if (total === 0) return '0';
  const listings = `${s.failedListings} backfill ${s.failedListings === 1 ? 'listing' : 'listings'}`;
  return `${total} (${s.failed} archive ${s.failed === 1 ? 'job' : 'jobs'}, ${listings})`;
}

/** The window's state in a line: how many requests may be in flight, are, and what Twilio's 429s showed. */
export function windowText(w: WindowState): string {
  const parts = [`window ${w.window}`, `in flight ${w.inFlight}`];
  parts.push(
    w.limit === null ? 'no 429 yet' : `limit ${w.limit} (${w.limited} × 429 in ${w.answered} answers)`,
  );
  if (w.pausedUntil) parts.push(`paused by Retry-After until ${w.pausedUntil.toISOString()}`);
  return parts.join(', ');
}

/** Days named in full up to this many per reason; the JSON output has them all. */
const daysShown = 10;

export function formatStatus(statuses: readonly AccountStatus[]): string {
  return statuses
    .map((s) => {
      const lines = [
        `${s.accountSid}: archived ${s.archived} (${formatBytes(s.bytes)}), skipped ${s.skipped}, pending ${s.pending}, failed ${failedCount(s)}`,
        ...s.failureReasons.map((r) => `  archive: ${r.count} × ${r.reason}`),
        ...groupByCause(s.listingFailures, (f) => f.reason).map(({ reason, items }) => {
          const days = [...new Set(items.map((f) => f.day))].sort();
          const named = days.slice(0, daysShown).join(', ');
          const more = days.length > daysShown ? ` and ${days.length - daysShown} more` : '';
          return `  backfill: ${days.length === 1 ? 'day' : 'days'} ${named}${more} not listed: ${reason}`;
        }),
        s.lastReconciliation
          ? `  last reconciliation ${s.lastReconciliation.at}: listed ${s.lastReconciliation.listed}, enqueued ${s.lastReconciliation.enqueued}`
          : '  no reconciliation yet',
      ];
      if (s.twilioWindow) lines.push(`  Twilio requests: ${windowText(s.twilioWindow)}`);
      if (s.failedListings > 0)
        lines.push(
          '  (vault backfill over those days lists them again; failed jobs stay in the dashboard until removed)',
        );
      return lines.join('\n');
    })
    .join('\n');
}
