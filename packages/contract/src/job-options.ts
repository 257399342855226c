import type { JobsOptions } from 'bullmq';
import { archiveJobId, backfillDayJobId } from './job-ids.ts';
import type { ArchiveJob } from './jobs.ts';
import { QueueName } from './queues.ts';

/**
 * The backoff of every job: exponential from `backoffMs`, with jitter, capped at the worker's
 * `backoffMaxMs`. A custom type, because BullMQ's own `exponential` cannot be capped; workers register it.
 */
export const cappedBackoffType = 'capped-exponential';

/** Delay before attempt `attemptsMade + 1`: base × 2^(attemptsMade − 1), capped, then up to `jitter` less. */
export function cappedBackoffDelay(
  attemptsMade: number,
  backoff: { delay: number; jitter: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.delay * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling * (1 - backoff.jitter * random()));
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Base of the exponential backoff, in milliseconds. */
  backoffMs: number;
  /** The longest wait between two attempts, in milliseconds (the worker applies it). */
  backoffMaxMs: number;
  /** Seconds a completed job is kept, during which a duplicate callback for the same recording is ignored. */
  keepCompletedSeconds: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 10,
  backoffMs: 5_000,
  backoffMaxMs: 300_000,
  keepCompletedSeconds: 7 * 24 * 3600,
});

/**
 * Options every archive job is added with. Failed jobs are never removed automatically: they wait in the
 * failed set for an operator. Jitter spreads the retries of many jobs that failed together (a Twilio or
 * storage outage) so they do not come back as one burst.
 */
export function archiveJobOptions(policy: RetryPolicy = defaultRetryPolicy): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: cappedBackoffType, delay: policy.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: policy.keepCompletedSeconds },
    removeOnFail: false,
  };
}

/** An archive job as every producer adds it (ingest, backfill, reconciliation): one id per recording. */
export function archiveJobEntry(data: ArchiveJob, policy: RetryPolicy = defaultRetryPolicy) {
  return {
    name: QueueName.archive,
    data,
    opts: { ...archiveJobOptions(policy), jobId: archiveJobId(data.recordingSid) },
  };
}

/** The UTC days from `from` to `to`, both included, as YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let day = new Date(`${from}T00:00:00Z`);
    day <= new Date(`${to}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() + 1)
  ) {
    days.push(day.toISOString().slice(0, 10));
  }
  return days;
}

/** The listing jobs of one backfill run: one per account and day, retried like archive jobs. */
export function backfillDayEntries(
  runId: string,
  accountSids: readonly string[],
  days: readonly string[],
  policy: RetryPolicy = defaultRetryPolicy,
) {
  return accountSids.flatMap((accountSid) =>
    days.map((day) => ({
      name: QueueName.backfill,
      data: { accountSid, day, listed: 0, enqueued: 0 },
      opts: { ...archiveJobOptions(policy), jobId: backfillDayJobId(runId, accountSid, day) },
    })),
  );
}
