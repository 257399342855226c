import { ErrorCode, type Queue } from 'bullmq';
import { archiveJobId } from './job-ids.ts';

/** What `rearmFailedArchiveJobs` needs of a logger (pino's, in the apps). */
export interface RearmLog {
  info(details: Record<string, unknown>, message: string): void;
}

/**
 * Puts the archive jobs of these recordings back to waiting, with their attempts reset, if they sit in the
 * failed set. Job ids are deterministic, so a new callback or listing of a recording whose job failed is
 * otherwise swallowed by deduplication and the recording waits for an operator; announced again, it is
 * worth another full round of attempts. Completed, waiting and active jobs are left alone.
 *
 * One round trip finds the failed ones (a ZSCORE on the failed set per recording, all sent at once). A job
 * that leaves the failed set between that look and the retry (an operator retried or removed it, another
 * producer re-armed it) is skipped, not an error.
 * Returns the recording SIDs whose jobs were re-armed.
 */
export async function rearmFailedArchiveJobs(
  queue: Queue,
  recordingSids: readonly string[],
  log?: RearmLog,
): Promise<string[]> {
  if (recordingSids.length === 0) return [];
  const failedKey = queue.toKey('failed');
  const client = await queue.getBackend().client;
  // Sent together without waiting for each reply: one round trip (and, with auto-pipelining, one write).
  const scores = await Promise.all(
    recordingSids.map((recordingSid) => client.zscore(failedKey, archiveJobId(recordingSid))),
  );
  const failed = recordingSids.filter((_sid, i) => scores[i] !== null);

  const rearmed: string[] = [];
  for (const recordingSid of failed) {
    const jobId = archiveJobId(recordingSid);
    const job = await queue.getJob(jobId);
    if (!job) continue;
    const failedReason = job.failedReason;
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch (error) {
      if (leftFailedSet(error)) continue;
      throw error;
    }
    rearmed.push(recordingSid);
    log?.info({ recordingSid, jobId, failedReason }, 're-armed failed archive job');
  }
  return rearmed;
}

/** The job was removed, or is no longer in the failed set: someone else dealt with it. */
function leftFailedSet(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === ErrorCode.JobNotExist || code === ErrorCode.JobNotInState;
}
