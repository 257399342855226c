import {
  archiveJobEntry,
  type BackfillDayJob,
  type RearmLog,
  type RetryPolicy,
  rearmFailedArchiveJobs,
} from '@recording-vault/contract';
import type { VaultStats } from '@recording-vault/stats';
import type { RecordingSummary } from '@recording-vault/twilio';
import type { Queue } from 'bullmq';
import { ImpossibleJobError } from './failures.ts';
import type { TwilioAccount } from './twilio-accounts.ts';

export interface ListingDeps {
  accounts: ReadonlyMap<string, TwilioAccount>;
  archiveQueue: Queue;
  retryPolicy: RetryPolicy;
  stats: VaultStats;
  /** Receives a line for each failed archive job a listing re-arms. */
  log?: RearmLog;
}

export interface ListingProgress {
  listed: number;
  /** Completed recordings handed to the archive queue (a job already there is not added twice). */
  enqueued: number;
  /** Of those, recordings whose archive job sat in the failed set and was put back to waiting. */
  rearmed: number;
}

/**
 * Recordings a callback never announced are found by listing them at Twilio. Both the backfill (a day at a
 * time) and the reconciliation (the last hours) add an archive job for every completed one, under the same
 * job id as the ingest API, so a recording found twice is still archived once. A listed recording whose
 * archive job had failed gets that job re-armed: finding it again is worth another round of attempts.
 */
export function createRecordingListing(deps: ListingDeps) {
  async function enqueueCompleted(
    recordings: RecordingSummary[],
    origin: 'backfill' | 'reconcile',
  ): Promise<{ enqueued: number; rearmed: number }> {
    const completed = recordings.filter((recording) => recording.status === 'completed');
    if (completed.length === 0) return { enqueued: 0, rearmed: 0 };
    await deps.archiveQueue.addBulk(
      completed.map((recording) =>
        archiveJobEntry(
          {
            accountSid: recording.accountSid,
            recordingSid: recording.sid,
            ...(recording.callSid ? { callSid: recording.callSid } : {}),
            // Lets a retry find the copy by its key even if Twilio no longer knows the recording.
            startTime: recording.startTime.toISOString(),
            origin,
          },
          deps.retryPolicy,
        ),
      ),
    );
    const rearmed = await rearmFailedArchiveJobs(
      deps.archiveQueue,
      completed.map((recording) => recording.sid),
      deps.log,
    );
    return { enqueued: completed.length, rearmed: rearmed.length };
  }

  function accountOf(accountSid: string): TwilioAccount {
    const account = deps.accounts.get(accountSid);
    if (!account) throw new ImpossibleJobError(`account ${accountSid} is not configured in this worker`);
    return account;
  }

  return {
    /**
     * Lists one account's recordings of one UTC day, page by page. After each page the position is saved
     * with the job (`checkpoint`), so a job restarted after a crash resumes at the page it was on; pages are
     * addressed by Twilio's page token, so deletions meanwhile make it skip nothing.
     */
    async listDay(
      job: BackfillDayJob,
      checkpoint: (job: BackfillDayJob) => Promise<void>,
      signal?: AbortSignal,
    ): Promise<ListingProgress> {
      const account = accountOf(job.accountSid);
      let { listed, enqueued } = job;
      let rearmed = job.rearmed ?? 0;
      const pages = account.rest.listRecordingPages({
        createdAfter: new Date(`${job.day}T00:00:00Z`),
        createdBefore: new Date(`${job.day}T23:59:59Z`),
        pageSize: 1000,
        startAt: job.nextPage,
        signal,
      });
      for await (const page of pages) {
        listed += page.recordings.length;
        const added = await enqueueCompleted(page.recordings, 'backfill');
        enqueued += added.enqueued;
        rearmed += added.rearmed;
        const { nextPage: _done, ...rest } = job;
        await checkpoint({
          ...rest,
          listed,
          enqueued,
          rearmed,
          ...(page.nextPage ? { nextPage: page.nextPage } : {}),
        });
      }
      return { listed, enqueued, rearmed };
    },

    /** Lists every account's recordings of the last `windowMs` and enqueues the completed ones. */
    async reconcile(
      windowMs: number,
      now = new Date(),
      signal?: AbortSignal,
    ): Promise<Record<string, ListingProgress>> {
      const summary: Record<string, ListingProgress> = {};
      for (const [accountSid, account] of deps.accounts) {
        let listed = 0;
        let enqueued = 0;
        let rearmed = 0;
        for await (const page of account.rest.listRecordingPages({
          createdAfter: new Date(now.getTime() - windowMs),
          pageSize: 1000,
          signal,
        })) {
          listed += page.recordings.length;
          const added = await enqueueCompleted(page.recordings, 'reconcile');
          enqueued += added.enqueued;
          rearmed += added.rearmed;
        }
        summary[accountSid] = { listed, enqueued, rearmed };
        await deps.stats.recordReconcile(accountSid, { at: now.toISOString(), listed, enqueued, rearmed });
      }
      return summary;
    },
  };
}
