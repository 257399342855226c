import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ArchiveJob,
  archiveJobId,
  archiveJobOptions,
  defaultRetryPolicy,
  QueueName,
  type RetryPolicy,
} from '@recording-vault/contract';
import type { Queue } from 'bullmq';

/** Redis did not acknowledge the job in time: the callback must not be acknowledged either. */
export class QueueUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('the job queue is unavailable', cause === undefined ? undefined : { cause });
    this.name = 'QueueUnavailableError';
  }
}

export type EnqueueArchive = (job: ArchiveJob) => Promise<void>;

/**
 * Adds the archive job for a recording. The job id is the recording's, so a duplicate or replayed callback
 * lands on the job already there. Resolves only once Redis has stored the job; gives up after `timeoutMs`
 * so that Twilio gets a 503 well inside its 15 s, rather than a silent timeout.
 */
export function createArchiveEnqueuer(
  queue: Queue,
  { timeoutMs = 1_000, policy = defaultRetryPolicy }: { timeoutMs?: number; policy?: RetryPolicy } = {},
): EnqueueArchive {
  const options = archiveJobOptions(policy);
  return async (job) => {
    const deadline = new AbortController();
    const added = queue.add(QueueName.archive, job, { ...options, jobId: archiveJobId(job.recordingSid) });
    const timedOut = sleep(timeoutMs, 'timeout', { signal: deadline.signal }).then(
      () => 'timeout' as const,
      () => 'cancelled' as const,
    );
    try {
      const winner = await Promise.race([added.then(() => 'added' as const), timedOut]);
      if (winner !== 'added') throw new QueueUnavailableError();
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw error;
      throw new QueueUnavailableError(error);
    } finally {
      deadline.abort();
      // A late rejection after the timeout must not surface as unhandled.
      added.catch(() => {});
    }
  };
}
