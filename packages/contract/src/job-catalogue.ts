import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { archiveJobId, backfillDayJobId, purgeJobId } from './job-ids.ts';
import { cappedBackoffType, defaultRetryPolicy, type RetryPolicy } from './job-options.ts';
import { ArchiveJob, BackfillDayJob, PurgeJob, ReconcileJob, ScrubJob } from './jobs.ts';
import { QueueName } from './queues.ts';

/** What one kind of job is: its queue, its data, how it is added and retried, what its log lines carry. */
export interface JobKind<Schema extends z.ZodType> {
  queue: QueueName;
  /** Parsed by the worker before anything else; data that does not parse fails the job at once. */
  schema: Schema;
  /** How jobs of this kind are added: attempts, backoff, how long finished ones are kept. */
  options(policy: RetryPolicy): JobsOptions;
  /** Fields every log line of such a job carries (identifiers only). */
  logFields(data: z.output<Schema>): Record<string, string | undefined>;
}

/** Attempts and the capped, jittered backoff every retried job uses. */
function retried(policy: RetryPolicy): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: cappedBackoffType, delay: policy.backoffMs, jitter: 0.5 },
  };
}

function kind<Schema extends z.ZodType>(definition: JobKind<Schema>): JobKind<Schema> {
  return definition;
}

/**
 * Every kind of job the vault runs, in one place: producers (ingest API, CLI, listings) add jobs with these
 * options and ids, and the worker builds one BullMQ Worker per entry, with a handler map typed from it (a
 * kind without a handler does not compile). Queue names and job ids are persistent data: see QueueName.
 */
export const jobCatalogue = {
  archive: kind({
    queue: QueueName.archive,
    schema: ArchiveJob,
    // Failed jobs wait for an operator (or a re-arm); completed ones are kept so that duplicate callbacks
    // within that time find them and add nothing.
    options: (policy) => ({
      ...retried(policy),
      removeOnComplete: { age: policy.keepCompletedSeconds },
      removeOnFail: false,
    }),
    logFields: (data) => ({ recordingSid: data.recordingSid, accountSid: data.accountSid }),
  }),
  purge: kind({
    queue: QueueName.purge,
    schema: PurgeJob,
    // A purge that failed means a copy changed before its delete: it stays for an operator to read.
    options: (policy) => ({
      ...retried(policy),
      removeOnComplete: { age: policy.keepCompletedSeconds },
      removeOnFail: false,
    }),
    logFields: (data) => ({ recordingSid: data.recordingSid, accountSid: data.accountSid }),
  }),
  backfill: kind({
    queue: QueueName.backfill,
    schema: BackfillDayJob,
    // Kept like archive jobs once listed: `vault backfill` follows its run's jobs, `vault status` reads them.
    options: (policy) => ({
      ...retried(policy),
      removeOnComplete: { age: policy.keepCompletedSeconds },
      removeOnFail: false,
    }),
    logFields: (data) => ({ accountSid: data.accountSid, day: data.day }),
  }),
  reconcile: kind({
    queue: QueueName.reconcile,
    schema: ReconcileJob,
    // A scheduled job: the next period lists again, so one try and a short history are enough.
    options: () => ({ removeOnComplete: 100, removeOnFail: 100 }),
    logFields: () => ({}),
  }),
  scrub: kind({
    queue: QueueName.scrub,
    schema: ScrubJob,
    // Scheduled like the reconciliation: the next period checks again.
    options: () => ({ removeOnComplete: 100, removeOnFail: 100 }),
    logFields: () => ({}),
  }),
} as const;

export type JobKindName = keyof typeof jobCatalogue;
/** The parsed data of a kind of job. */
export type JobData<K extends JobKindName> = z.output<(typeof jobCatalogue)[K]['schema']>;

export const jobKindNames = Object.keys(jobCatalogue) as JobKindName[];

/** An archive job as every producer adds it (ingest, backfill, reconciliation): one id per recording. */
export function archiveJobEntry(data: ArchiveJob, policy: RetryPolicy = defaultRetryPolicy) {
  return {
    name: QueueName.archive,
    data,
    opts: { ...jobCatalogue.archive.options(policy), jobId: archiveJobId(data.recordingSid) },
  };
}

/** The delayed delete of a recording archived with PURGE_DELAY. */
export function purgeJobEntry(data: PurgeJob, policy: RetryPolicy, delayMs: number) {
  return {
    name: QueueName.purge,
    data,
    opts: { ...jobCatalogue.purge.options(policy), jobId: purgeJobId(data.recordingSid), delay: delayMs },
  };
}

/** The listing jobs of one backfill run: one per account and day. */
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
      opts: { ...jobCatalogue.backfill.options(policy), jobId: backfillDayJobId(runId, accountSid, day) },
    })),
  );
}
