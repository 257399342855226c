import { backfillDayEntries, daysBetween, QueueName, type RetryPolicy } from '@recording-vault/contract';
import type { RedisConnection } from '@recording-vault/redis';
import { type AccountStats, vaultStats } from '@recording-vault/stats';
import { type Job, Queue } from 'bullmq';
import type { BackfillOptions } from './backfill-options.ts';
import { type FailureReason, groupReasons, readableReason } from './failure-reasons.ts';

export interface FailedDay {
  accountSid: string;
  day: string;
  /** The listing job's `failedReason`. */
  reason: string;
}

export interface BackfillProgress {
  daysTotal: number;
  daysListed: number;
  daysFailed: number;
  /** Every day whose listing job failed for good, with its reason. */
  failedDays: FailedDay[];
  found: number;
  enqueued: number;
  /** Since the run started, across the run's accounts. */
  archived: number;
  /** Since the run started, across the run's accounts: archive jobs that found nothing to archive at Twilio. */
  skipped: number;
  /** Archive jobs of the run's accounts that failed for good since the run started. */
  failed: number;
  /** Their most common reasons. */
  failureReasons: FailureReason[];
  bytes: number;
  /** Archive jobs not finished yet (of any origin). */
  pending: number;
  workers: number;
  done: boolean;
}

export type BackfillTracker = Awaited<ReturnType<typeof startBackfill>>;

/**
 * Adds the listing jobs of one run (one per account and day, visible in the dashboard) and returns a way
 * to follow it. The jobs live in Redis: the command can stop, crash or be interrupted and the workers
 * carry on; a second run lists again, and its archive jobs collapse onto those that exist.
 */
export async function startBackfill(
  redis: RedisConnection,
  prefix: string,
  accounts: readonly string[],
  options: BackfillOptions,
  policy: RetryPolicy,
) {
  const backfill = new Queue(QueueName.backfill, { connection: redis, prefix });
  const archive = new Queue(QueueName.archive, { connection: redis, prefix });
  const stats = vaultStats(redis, prefix);
  const runId = Date.now().toString(36);
  const days = daysBetween(options.from, options.to);

  const totals = async (): Promise<AccountStats> => {
    const all = await Promise.all(accounts.map((account) => stats.read(account)));
    return all.reduce(
      (sum, s) => ({
        archived: sum.archived + s.archived,
        bytes: sum.bytes + s.bytes,
        skipped: sum.skipped + s.skipped,
      }),
      { archived: 0, bytes: 0, skipped: 0 },
    );
  };
  const before = await totals();
  const startedAt = Date.now();
  await backfill.addBulk(backfillDayEntries(runId, accounts, days, policy));
  const idPrefix = `backfill-${runId}-`;

  // The failed set is scored by the time each job failed: counting it is cheap, so the jobs themselves are
  // read again only when that count changes.
  let failedSeen = -1;
  let failedJobs: Job[] = [];
  const failedSinceStart = async (): Promise<Job[]> => {
    const count = await redis.zcount(archive.toKey('failed'), startedAt, '+inf');
    if (count === failedSeen) return failedJobs;
    failedSeen = count;
    const recent: Job[] = [];
    const pageSize = 200;
    for (let start = 0; ; start += pageSize) {
      // Newest first: stop at the first job that failed before the run.
      const page = (await archive.getFailed(start, start + pageSize - 1)).filter(Boolean);
      const since = page.filter((job) => (job.finishedOn ?? 0) >= startedAt);
      recent.push(...since);
      if (page.length < pageSize || since.length < page.length) break;
    }
    failedJobs = recent.filter((job) => accounts.includes(job.data?.accountSid));
    return failedJobs;
  };

  return {
    runId,
    async progress(): Promise<BackfillProgress> {
      const listed = (
        await backfill.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'])
      ).filter((job) => job.id?.startsWith(idPrefix));
      const states = await Promise.all(listed.map((job) => job.getState()));
      // A job that completed between the listing and its state was read before it had its result: read
      // again, so that a day counted as listed also counts what it found.
      const jobs = await Promise.all(
        listed.map(async (job, i) =>
          states[i] === 'completed' && job.returnvalue == null
            ? ((await backfill.getJob(job.id as string)) ?? job)
            : job,
        ),
      );
      const now = await totals();
      const failed = await failedSinceStart();
      const counts = await archive.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const pending = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const daysListed = states.filter((s) => s === 'completed').length;
      const failedDays = jobs
        .filter((_, i) => states[i] === 'failed')
        .map((job) => ({
          accountSid: String(job.data.accountSid),
          day: String(job.data.day),
          reason: readableReason(job.failedReason),
        }))
        .sort((a, b) => a.accountSid.localeCompare(b.accountSid) || a.day.localeCompare(b.day));
      const daysTotal = accounts.length * days.length;
      return {
        daysTotal,
        daysListed,
        daysFailed: failedDays.length,
        failedDays,
        found: jobs.reduce((sum, job) => sum + (job.returnvalue?.listed ?? job.data.listed ?? 0), 0),
        enqueued: jobs.reduce((sum, job) => sum + (job.returnvalue?.enqueued ?? job.data.enqueued ?? 0), 0),
        archived: now.archived - before.archived,
        skipped: now.skipped - before.skipped,
        failed: failed.length,
        failureReasons: groupReasons(failed.map((job) => job.failedReason)),
        bytes: now.bytes - before.bytes,
        pending,
        workers: (await backfill.getWorkersCount().catch(() => 0)) as number,
        done: daysListed + failedDays.length === daysTotal && pending === 0,
      };
    },
    async close() {
      await Promise.all([backfill.close(), archive.close()]);
    },
  };
}
