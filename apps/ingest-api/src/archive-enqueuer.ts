import {
  type ArchiveJob,
  archiveJobEntry,
  defaultRetryPolicy,
  type RearmLog,
  type RetryPolicy,
  rearmFailedArchiveJobs,
} from '@recording-vault/contract';
import type { Queue } from 'bullmq';

/** Redis did not acknowledge the job in time: the callback must not be acknowledged either. */
export class QueueUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('the job queue is unavailable', cause === undefined ? undefined : { cause });
    this.name = 'QueueUnavailableError';
  }
}

/** `log` receives the line saying a failed job was re-armed (the request's logger, in the app). */
export type EnqueueArchive = (job: ArchiveJob, log?: RearmLog) => Promise<void>;

/**
 * Adds the archive job for a recording. The job id is the recording's, so a duplicate or replayed callback
 * lands on the job already there; if that job sits in the failed set, the new announcement re-arms it
 * (attempts reset) rather than being swallowed. Resolves only once Redis holds the job, re-armed if it had
 * to be; gives up after `timeoutMs` so that Twilio gets a 503 well inside its 15 s, rather than a silent
 * timeout.
 */
export function createArchiveEnqueuer(
  queue: Queue,
  { timeoutMs = 1_000, policy = defaultRetryPolicy }: { timeoutMs?: number; policy?: RetryPolicy } = {},
): EnqueueArchive {
  return async (job, log) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError()), timeoutMs);
    });
    const entry = archiveJobEntry(job, policy);
    const stored = (async () => {
      await queue.add(entry.name, entry.data, entry.opts);
      await rearmFailedArchiveJobs(queue, [job.recordingSid], log);
    })();
    try {
      await Promise.race([stored, timedOut]);
    } catch (error) {
      // A late rejection after the timeout must not surface as unhandled.
      stored.catch(() => {});
      throw error instanceof QueueUnavailableError ? error : new QueueUnavailableError(error);
    } finally {
      clearTimeout(timer);
    }
  };
}
