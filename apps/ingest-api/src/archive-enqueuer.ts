import {
  type ArchiveJob,
  archiveJobEntry,
  defaultRetryPolicy,
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
  return async (job) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError()), timeoutMs);
    });
    const entry = archiveJobEntry(job, policy);
    const added = queue.add(entry.name, entry.data, entry.opts);
    try {
      await Promise.race([added, timedOut]);
    } catch (error) {
      // A late rejection after the timeout must not surface as unhandled.
      added.catch(() => {});
      throw error instanceof QueueUnavailableError ? error : new QueueUnavailableError(error);
    } finally {
      clearTimeout(timer);
    }
  };
}
