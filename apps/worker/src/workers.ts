import {
  ArchiveJob,
  archiveJobOptions,
  BackfillDayJob,
  defaultRetryPolicy,
  PurgeJob,
  purgeJobId,
  QueueName,
  ReconcileJob,
  type RetryPolicy,
  vaultStats,
} from '@recording-vault/contract';
import type { Logger } from '@recording-vault/logger';
import { StorageError } from '@recording-vault/storage';
import { TwilioApiError } from '@recording-vault/twilio';
import { DelayedError, type Job, Queue, RateLimitError, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type ArchiveDeps, type ArchiveResult, createArchiver } from './archive-recording.ts';
import { cappedBackoffStrategy } from './backoff.ts';
import { decideFailure, LockLostError } from './failures.ts';
import type { WorkerMetrics } from './metrics.ts';
import { createRecordingListing } from './recording-listing.ts';
import { deleteAfterVerifying } from './verified-delete.ts';

export interface WorkerDeps extends Omit<ArchiveDeps, 'schedulePurge'> {
  /** A connection with `maxRetriesPerRequest: null`: workers wait for Redis rather than drop work. */
  connection: Redis;
  prefix: string;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Jobs in flight in this process. */
  concurrency: number;
  /** Jobs in flight across every worker process. */
  globalConcurrency: number;
  /** Archive jobs started per second across every worker; 0 for no limit. */
  jobsPerSecond: number;
  retryPolicy?: RetryPolicy;
  /** How long to wait before looking again at a recording Twilio is still processing. */
  notReadyDelayMs?: number;
  /** Base of the backoff when Twilio answers 429 without Retry-After. */
  rateLimitBaseMs?: number;
  /** The longest pause a `Retry-After` (or a rate-limit backoff) may impose on a queue. Default 5 minutes. */
  retryAfterMaxMs?: number;
  /**
   * How long a job stays locked to its worker without a heartbeat (renewed every half of it); a killed
   * worker's jobs are taken up by another within about 1.5 times this. Default 30 s.
   */
  lockDurationMs?: number;
  /** How often the reconciliation lists recent recordings at Twilio; 0 turns it off. Default 15 minutes. */
  reconcileEveryMs?: number;
  /** How far back the reconciliation lists. Default 48 hours. */
  reconcileWindowMs?: number;
}

/** The reconciliation's job scheduler: one id, so any number of workers upserting it run it once a period. */
export const reconcileSchedulerId = 'reconcile';

export interface VaultWorkers {
  queues: { archive: Queue; purge: Queue; backfill: Queue; reconcile: Queue };
  workers: Worker[];
  /** Stops taking jobs; active ones get `graceMs` to finish, then are cancelled (they retry elsewhere). */
  close(graceMs: number): Promise<void>;
}

export async function createWorkers(deps: WorkerDeps): Promise<VaultWorkers> {
  const { connection, prefix, logger, metrics } = deps;
  const policy = deps.retryPolicy ?? defaultRetryPolicy;
  const archiveQueue = new Queue(QueueName.archive, { connection, prefix });
  const purgeQueue = new Queue(QueueName.purge, { connection, prefix });
  const backfillQueue = new Queue(QueueName.backfill, { connection, prefix });
  const reconcileQueue = new Queue(QueueName.reconcile, { connection, prefix });
  const allQueues = [archiveQueue, purgeQueue, backfillQueue, reconcileQueue];
  for (const queue of allQueues) {
    queue.on('error', (error) => logger.warn({ err: error, queue: queue.name }, 'queue error'));
  }
  const stats = vaultStats(connection, prefix);
  const listing = createRecordingListing({
    accounts: deps.accounts,
    archiveQueue,
    retryPolicy: policy,
    stats,
    log: logger,
  });
  const reconcileEveryMs = deps.reconcileEveryMs ?? 15 * 60_000;
  if (reconcileEveryMs > 0) {
    await reconcileQueue.upsertJobScheduler(
      reconcileSchedulerId,
      { every: reconcileEveryMs },
      {
        name: QueueName.reconcile,
        data: { windowMs: deps.reconcileWindowMs ?? 48 * 3_600_000 },
        opts: { removeOnComplete: 100, removeOnFail: 100 },
      },
    );
  } else {
    await reconcileQueue.removeJobScheduler(reconcileSchedulerId);
  }
  // Twilio's concurrency limit is per account and shared by every worker process: enforce it in Redis.
  await archiveQueue.setGlobalConcurrency(deps.globalConcurrency);
  await purgeQueue.setGlobalConcurrency(deps.globalConcurrency);

  const archive = createArchiver({
    ...deps,
    async schedulePurge(job, delayMs) {
      await purgeQueue.add(QueueName.purge, job, {
        ...archiveJobOptions(policy),
        jobId: purgeJobId(job.recordingSid),
        delay: delayMs,
      });
    },
  });

  const retryAfterMaxMs = deps.retryAfterMaxMs ?? 300_000;
  const lockDurationMs = deps.lockDurationMs ?? 30_000;
  /** Rate limits in a row, per queue: one queue's pause does not lengthen another's. */
  const consecutiveRateLimits = new Map<string, number>();
  /** Holds the job's lock for another lock period, or throws: the fence before anything irreversible. */
  async function confirmOwnership(job: Job, token: string | undefined): Promise<void> {
    if (token === undefined || (await job.extendLock(token, lockDurationMs)) !== 1) {
      throw new LockLostError(job.id);
    }
  }

  /** Turns a failure into what BullMQ should do with the job: the one place retries are decided. */
  async function fail(
    error: unknown,
    job: Job,
    token: string | undefined,
    queue: Queue,
    log: Logger,
  ): Promise<Error> {
    const decision = decideFailure(error);
    metrics.failures.inc({ action: decision.action, error: errorType(error) });
    log.warn({ err: error, action: decision.action }, `attempt failed: ${decision.reason}`);
    await job.log(`${decision.action}: ${decision.reason}`).catch(() => {});
    switch (decision.action) {
      case 'fail':
        metrics.recordings.inc({ outcome: 'failed' });
        return new UnrecoverableError(decision.reason);
      case 'rate-limit': {
        const inARow = (consecutiveRateLimits.get(queue.name) ?? 0) + 1;
        consecutiveRateLimits.set(queue.name, inARow);
        const base = deps.rateLimitBaseMs ?? 1_000;
        const backoff = base * 2 ** Math.min(inARow - 1, 6) * (0.5 + Math.random());
        // Retry-After as given, up to the cap. Redis takes whole milliseconds, at least 1: a fraction (the
        // jittered backoff) or 0 (`Retry-After: 0`) makes rateLimit() throw, and the job would fail as an
        // ordinary error, using up an attempt.
        const pauseMs = Math.max(1, Math.round(Math.min(decision.delayMs ?? backoff, retryAfterMaxMs)));
        await job.log(`queue paused for ${pauseMs} ms`).catch(() => {});
        await queue.rateLimit(pauseMs);
        return new RateLimitError();
      }
      case 'later':
        await job.moveToDelayed(Date.now() + (deps.notReadyDelayMs ?? 15_000), token);
        return new DelayedError();
      default:
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) metrics.recordings.inc({ outcome: 'failed' });
        return error instanceof Error ? error : new Error(String(error));
    }
  }

  const workerOptions = {
    connection,
    prefix,
    concurrency: deps.concurrency,
    // Every step is idempotent, so a job whose worker died is simply run again by another one.
    maxStalledCount: 10,
    // A killed worker's job runs again at most lockDuration + stalledInterval after its last lock renewal
    // (renewals come every lockDuration / 2).
    lockDuration: lockDurationMs,
    stalledInterval: Math.max(1_000, Math.round(lockDurationMs / 2)),
    // Delays for rate limits and unfinished recordings do not use up attempts; this caps such loops.
    maxStartedAttempts: 500,
    // BullMQ caps a rate-limit pause at 30 s by default, which would cut a longer Retry-After short.
    maximumRateLimitDelay: retryAfterMaxMs,
    settings: { backoffStrategy: cappedBackoffStrategy(policy) },
  };

  const archiveWorker = new Worker<ArchiveJob, ArchiveResult>(
    QueueName.archive,
    async (job, token, signal) => {
      const parsed = ArchiveJob.safeParse(job.data);
      if (!parsed.success)
        throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
      const data = parsed.data;
      const log = logger.child({
        queue: QueueName.archive,
        jobId: job.id,
        recordingSid: data.recordingSid,
        attempt: job.attemptsMade + 1,
      });
      let lastProgress = 0;
      try {
        const result = await archive(data, {
          signal,
          async rememberKey(archiveKey) {
            await job.updateData({ ...data, archiveKey });
          },
          confirmOwnership: () => confirmOwnership(job, token),
          async note(line) {
            log.debug(line);
            await job.log(line);
          },
          progress(bytes) {
            // Every 4 MiB: enough for a live view, not a Redis write per chunk.
            if (bytes - lastProgress < 4 * 1024 * 1024) return;
            lastProgress = bytes;
            job.updateProgress({ bytes }).catch(() => {});
          },
          async step(name, work) {
            const end = metrics.steps.startTimer({ step: name });
            try {
              return await work();
            } finally {
              end();
            }
          },
        });
        consecutiveRateLimits.delete(QueueName.archive);
        metrics.recordings.inc({ outcome: result.outcome });
        if (result.outcome === 'archived' && result.stored === 'now') metrics.bytes.inc(result.bytes);
        if (result.outcome === 'skipped') await stats.countSkipped(data.accountSid, data.recordingSid);
        else await stats.countArchived(data.accountSid, data.recordingSid, result.bytes);
        log.info({ result }, `recording ${result.outcome}`);
        return result;
      } catch (error) {
        throw await fail(error, job, token, archiveQueue, log);
      }
    },
    {
      ...workerOptions,
      ...(deps.jobsPerSecond > 0 ? { limiter: { max: deps.jobsPerSecond, duration: 1_000 } } : {}),
    },
  );

  const purgeWorker = new Worker<PurgeJob>(
    QueueName.purge,
    async (job, token, signal) => {
      const parsed = PurgeJob.safeParse(job.data);
      if (!parsed.success)
        throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
      const data = parsed.data;
      const log = logger.child({
        queue: QueueName.purge,
        jobId: job.id,
        recordingSid: data.recordingSid,
        attempt: job.attemptsMade + 1,
      });
      try {
        const account = deps.accounts.get(data.accountSid);
        if (!account)
          throw new UnrecoverableError(`account ${data.accountSid} is not configured in this worker`);
        // Re-verifies: the copy may have changed or gone during the grace period.
        const deleted = await deleteAfterVerifying(deps.store, account.rest, data.recordingSid, data, {
          signal,
          onMismatch: 'keep-copy',
          confirmOwnership: () => confirmOwnership(job, token),
        });
        await job.log(`verified ${data.key} and deleted the recording at Twilio (${deleted})`);
        log.info({ deleted }, 'recording deleted at Twilio after the purge delay');
        return { twilio: deleted };
      } catch (error) {
        if (error instanceof UnrecoverableError) throw error;
        throw await fail(error, job, token, purgeQueue, log);
      }
    },
    workerOptions,
  );

  const backfillWorker = new Worker<BackfillDayJob>(
    QueueName.backfill,
    async (job, token) => {
      const parsed = BackfillDayJob.safeParse(job.data);
      if (!parsed.success)
        throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
      const log = logger.child({
        queue: QueueName.backfill,
        jobId: job.id,
        accountSid: parsed.data.accountSid,
        day: parsed.data.day,
      });
      try {
        const result = await listing.listDay(parsed.data, (progress) => job.updateData(progress));
        log.info(result, 'day listed');
        return result;
      } catch (error) {
        throw await fail(error, job, token, backfillQueue, log);
      }
    },
    workerOptions,
  );

  const reconcileWorker = new Worker<ReconcileJob>(
    QueueName.reconcile,
    async (job, token) => {
      const parsed = ReconcileJob.safeParse(job.data);
      if (!parsed.success)
        throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
      const log = logger.child({ queue: QueueName.reconcile, jobId: job.id });
      try {
        const summary = await listing.reconcile(parsed.data.windowMs);
        log.info({ summary }, 'reconciled');
        return summary;
      } catch (error) {
        throw await fail(error, job, token, reconcileQueue, log);
      }
    },
    { ...workerOptions, concurrency: 1 },
  );

  const workers = [archiveWorker, purgeWorker, backfillWorker, reconcileWorker];
  for (const worker of workers) {
    worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'worker error'));
    // A job whose lock could not be renewed may already run elsewhere: stop this run of it (its downloads
    // are aborted through the processor's signal) rather than let two runs race.
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const jobId of jobIds) {
        logger.warn({ queue: worker.name, jobId }, 'lock lost; cancelling this run of the job');
        worker.cancelJob(jobId, 'lock lost');
      }
    });
  }

  return {
    queues: { archive: archiveQueue, purge: purgeQueue, backfill: backfillQueue, reconcile: reconcileQueue },
    workers,
    async close(graceMs) {
      const cancel = setTimeout(() => {
        logger.warn('grace period over: cancelling active jobs; another worker will take them up');
        for (const worker of workers) worker.cancelAllJobs('worker shutting down');
      }, graceMs);
      try {
        await Promise.all(workers.map((worker) => worker.close()));
      } finally {
        clearTimeout(cancel);
      }
      await Promise.all(allQueues.map((queue) => queue.close()));
    },
  };
}

function errorType(error: unknown): string {
  if (error instanceof TwilioApiError) return `twilio:${error.kind}`;
  if (error instanceof StorageError) return `storage:${error.kind}`;
  return error instanceof Error ? error.name : 'unknown';
}
