import {
  archiveJobEntry,
  type BackfillDayJob,
  type RetryPolicy,
  type VaultStats,
} from '@recording-vault/contract';
import type { RecordingSummary } from '@recording-vault/twilio';
import type { Queue } from 'bullmq';
import { ImpossibleJobError } from './failures.ts';
import type { TwilioAccount } from './twilio-accounts.ts';

export interface ListingDeps {
  accounts: ReadonlyMap<string, TwilioAccount>;
  archiveQueue: Queue;
  retryPolicy: RetryPolicy;
  stats: VaultStats;
}

export interface ListingProgress {
  listed: number;
  enqueued: number;
}

/**
 * Recordings a callback never announced are found by listing them at Twilio. Both the backfill (a day at a
 * time) and the reconciliation (the last hours) add an archive job for every completed one, under the same
 * job id as the ingest API, so a recording found twice is still archived once.
 */
export function createRecordingListing(deps: ListingDeps) {
  async function enqueueCompleted(
    recordings: RecordingSummary[],
    origin: 'backfill' | 'reconcile',
  ): Promise<number> {
    const completed = recordings.filter((recording) => recording.status === 'completed');
    if (completed.length === 0) return 0;
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
    return completed.length;
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
    ): Promise<ListingProgress> {
      const account = accountOf(job.accountSid);
      let { listed, enqueued } = job;
      const pages = account.rest.listRecordingPages({
        createdAfter: new Date(`${job.day}T00:00:00Z`),
        createdBefore: new Date(`${job.day}T23:59:59Z`),
        pageSize: 1000,
        startAt: job.nextPage,
      });
      for await (const page of pages) {
        listed += page.recordings.length;
        enqueued += await enqueueCompleted(page.recordings, 'backfill');
        const { nextPage: _done, ...rest } = job;
        await checkpoint({
          ...rest,
          listed,
          enqueued,
          ...(page.nextPage ? { nextPage: page.nextPage } : {}),
        });
      }
      return { listed, enqueued };
    },

    /** Lists every account's recordings of the last `windowMs` and enqueues the completed ones. */
    async reconcile(windowMs: number, now = new Date()): Promise<Record<string, ListingProgress>> {
      const summary: Record<string, ListingProgress> = {};
      for (const [accountSid, account] of deps.accounts) {
        let listed = 0;
        let enqueued = 0;
        for await (const page of account.rest.listRecordingPages({
          createdAfter: new Date(now.getTime() - windowMs),
          pageSize: 1000,
        })) {
          listed += page.recordings.length;
          enqueued += await enqueueCompleted(page.recordings, 'reconcile');
        }
        summary[accountSid] = { listed, enqueued };
        await deps.stats.recordReconcile(accountSid, { at: now.toISOString(), listed, enqueued });
      }
      return summary;
    },
  };
}
