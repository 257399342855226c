import {
  type ArchiveJob,
  archiveJobEntry,
  defaultRetryPolicy,
  type RearmLog,
  type RetryPolicy,
  rearmFailedArchiveJobs,
} from '@recording-vault/contract';
import type { Queue } from 'bullmq';
import type { WriteReplication } from './replicated-writes.ts';

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
 *
 * With `replication`, it then resolves only once the job's writes reached the replicas required, and
 * rejects with NotReplicatedError otherwise. A duplicate's add writes too (BullMQ records a `duplicated`
 * event), so the wait covers the job already there as well. The writes may queue behind a WAIT holding the
 * connection: their deadline is longer by as much.
 */
export function createArchiveEnqueuer(
  queue: Queue,
  {
    timeoutMs = 1_000,
    policy = defaultRetryPolicy,
    replication,
  }: { timeoutMs?: number; policy?: RetryPolicy; replication?: WriteReplication | undefined } = {},
): EnqueueArchive {
  return async (job, log) => {
    const entry = archiveJobEntry(job, policy);
    const write = async () => {
      await queue.add(entry.name, entry.data, entry.opts);
      await rearmFailedArchiveJobs(queue, [job.recordingSid], log);
    };
    const replicas = replication ? await withinTime(replication.required(), timeoutMs) : 0;
    if (!replication || replicas === 0) {
      await withinTime(write(), timeoutMs);
      return;
    }
    const mark = replication.mark();
    await withinTime(write(), timeoutMs + replication.holdMs);
    await replication.confirm(mark, replicas);
  };
}

/** Redis answers within `timeoutMs`, or the callback is not acknowledged. */
async function withinTime<T>(answer: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError()), timeoutMs);
  });
  try {
    return await Promise.race([answer, timedOut]);
  } catch (error) {
    // A late rejection after the timeout must not surface as unhandled.
    answer.catch(() => {});
    throw error instanceof QueueUnavailableError ? error : new QueueUnavailableError(error);
  } finally {
    clearTimeout(timer);
  }
}
