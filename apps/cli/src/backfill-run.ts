import {
  type AccountStats,
  backfillDayEntries,
  daysBetween,
  QueueName,
  type RetryPolicy,
  vaultStats,
} from '@recording-vault/contract';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackfillOptions } from './backfill-options.ts';

export interface BackfillProgress {
  daysTotal: number;
  daysListed: number;
  daysFailed: number;
  found: number;
  enqueued: number;
  /** Since the run started, across the run's accounts. */
  archived: number;
  failed: number;
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
  redis: Redis,
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

  const totals = async (): Promise<AccountStats & { failed: number }> => {
    const all = await Promise.all(accounts.map((account) => stats.read(account)));
    const failed = (await archive.getJobCounts('failed')).failed ?? 0;
    return all.reduce(
      (sum, s) => ({
        archived: sum.archived + s.archived,
        bytes: sum.bytes + s.bytes,
        skipped: sum.skipped + s.skipped,
        failed,
      }),
      { archived: 0, bytes: 0, skipped: 0, failed },
    );
  };
  const before = await totals();
  await backfill.addBulk(backfillDayEntries(runId, accounts, days, policy));
  const idPrefix = `backfill-${runId}-`;

  return {
    runId,
    async progress(): Promise<BackfillProgress> {
      const jobs = (
        await backfill.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'])
      ).filter((job) => job.id?.startsWith(idPrefix));
      const states = await Promise.all(jobs.map((job) => job.getState()));
      const now = await totals();
      const counts = await archive.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      const pending = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const daysListed = states.filter((s) => s === 'completed').length;
      const daysFailed = states.filter((s) => s === 'failed').length;
      const daysTotal = accounts.length * days.length;
      return {
        daysTotal,
        daysListed,
        daysFailed,
        found: jobs.reduce((sum, job) => sum + (job.returnvalue?.listed ?? job.data.listed ?? 0), 0),
        enqueued: jobs.reduce((sum, job) => sum + (job.returnvalue?.enqueued ?? job.data.enqueued ?? 0), 0),
        archived: now.archived - before.archived,
        failed: now.failed - before.failed,
        bytes: now.bytes - before.bytes,
        pending,
        workers: (await backfill.getWorkersCount().catch(() => 0)) as number,
        done: daysListed + daysFailed === daysTotal && pending === 0,
      };
    },
    async close() {
      await Promise.all([backfill.close(), archive.close()]);
    },
  };
}
