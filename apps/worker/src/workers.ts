import { type ArchiveIndex, scrubArchive } from '@recording-vault/archive-index';
import {
  defaultRetryPolicy,
  type JobData,
  type JobKindName,
  jobCatalogue,
  jobKindNames,
  purgeJobEntry,
  type RetryPolicy,
} from '@recording-vault/contract';
import type { Logger } from '@recording-vault/logger';
import { vaultStats } from '@recording-vault/stats';
import { type ProofMethod, StorageError } from '@recording-vault/storage';
import { TwilioApiError } from '@recording-vault/twilio';
import {
  DelayedError,
  type Job,
  Queue,
  RateLimitError,
  UnrecoverableError,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { type ArchiveDeps, createArchiver } from './archive-recording.ts';
import { cappedBackoffStrategy } from './backoff.ts';
import { decideFailure, ImpossibleJobError, LockLostError } from './failures.ts';
import type { WorkerMetrics } from './metrics.ts';
import { createRecordingListing } from './recording-listing.ts';
import { createCopyProver, deleteAfterVerifying, expectedCopy } from './verified-delete.ts';

export interface WorkerDeps extends Omit<ArchiveDeps, 'schedulePurge' | 'index' | 'prover'> {
  /** How copies are proved before a delete at Twilio (see `chooseProofMethod`). Default: read back. */
  proofMethod?: ProofMethod;
  /** The archive index: written as recordings are archived, walked by the scrub. */
  index: ArchiveIndex;
  /**
   * A connection to one server or a cluster, with `maxRetriesPerRequest: null`: workers wait for Redis
   * rather than drop work.
   */
  connection: Redis | Cluster;
  prefix: string;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Jobs in flight in this process. */
  concurrency: number;
  /**
   * Without adaptive concurrency: jobs in flight across every worker process (TWILIO_MAX_CONCURRENCY), and a
   * 429 pauses the whole queue. With it, each account's Twilio requests are held to its own window (see
   * twilio's createRequestWindows) and a job that still meets 429s waits alone.
   */
  globalConcurrency: number;
  adaptiveConcurrency?: boolean;
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
   * worker's jobs are taken up by another within about 1.5 times this. Default 8 s.
   */
  lockDurationMs?: number;
  /** How often the reconciliation lists recent recordings at Twilio; 0 turns it off. Default 15 minutes. */
  reconcileEveryMs?: number;
  /** How far back the reconciliation lists. Default 48 hours. */
  reconcileWindowMs?: number;
  /** How often the scrub reads stored copies back and checks them; 0 (the default) turns it off. */
  scrubEveryMs?: number;
  /** Recordings each scrub checks, picked at random; 0 checks every one. Default 100. */
  scrubSample?: number;
}

/** How long the close may wait for Redis once the grace period is over and active jobs are cancelled. */
const closeBeyondGraceMs = 5_000;

/** The reconciliation's job scheduler: one id, so any number of workers upserting it run it once a period. */
export const reconcileSchedulerId = 'reconcile';
/** The scrub's job scheduler, likewise. */
export const scrubSchedulerId = 'scrub';

export interface VaultWorkers {
  queues: Readonly<Record<JobKindName, Queue>>;
  workers: Worker[];
  /**
   * Stops taking jobs; active ones get `graceMs` to finish, then are cancelled (they retry elsewhere). Resolves
   * at the latest 5 s after the grace period, even while Redis does not answer.
   */
  close(graceMs: number): Promise<void>;
}

export async function createWorkers(deps: WorkerDeps): Promise<VaultWorkers> {
  const { connection, prefix, logger, metrics } = deps;
  const policy = deps.retryPolicy ?? defaultRetryPolicy;
  const retryAfterMaxMs = deps.retryAfterMaxMs ?? 300_000;
  const lockDurationMs = deps.lockDurationMs ?? 8_000;
  const queues = Object.fromEntries(
    jobKindNames.map((name) => [name, new Queue(jobCatalogue[name].queue, { connection, prefix })]),
  ) as Record<JobKindName, Queue>;
  // While Redis is unreachable every reconnect attempt surfaces here too; the connection's own log says
  // so once (main.ts), so only errors met with Redis up are worth a line.
  const redisUp = () => connection.status === 'ready';
  for (const queue of Object.values(queues)) {
    queue.on('error', (error) => {
      if (redisUp()) logger.warn({ err: error, queue: queue.name }, 'queue error');
    });
  }
  const stats = vaultStats(connection, prefix);
  const listing = createRecordingListing({
    accounts: deps.accounts,
    archiveQueue: queues.archive,
    retryPolicy: policy,
    stats,
    log: logger,
  });
  const reconcileEveryMs = deps.reconcileEveryMs ?? 15 * 60_000;
  if (reconcileEveryMs > 0) {
    await queues.reconcile.upsertJobScheduler(
      reconcileSchedulerId,
      { every: reconcileEveryMs },
      {
        name: jobCatalogue.reconcile.queue,
        data: { windowMs: deps.reconcileWindowMs ?? 48 * 3_600_000 },
        opts: jobCatalogue.reconcile.options(policy),
      },
    );
  } else {
    await queues.reconcile.removeJobScheduler(reconcileSchedulerId);
  }
  const scrubEveryMs = deps.scrubEveryMs ?? 0;
  if (scrubEveryMs > 0) {
    await queues.scrub.upsertJobScheduler(
      scrubSchedulerId,
      { every: scrubEveryMs },
      {
        name: jobCatalogue.scrub.queue,
        data: { sample: deps.scrubSample ?? 100 },
        opts: jobCatalogue.scrub.options(policy),
      },
    );
  } else {
    await queues.scrub.removeJobScheduler(scrubSchedulerId);
  }
  // Twilio's concurrency limit is per account and shared by every worker process: enforce it in Redis,
  // per account and per request with adaptive windows, or else as a cap on the jobs of every account.
  for (const queue of [queues.archive, queues.purge]) {
    if (deps.adaptiveConcurrency) await queue.removeGlobalConcurrency();
    else await queue.setGlobalConcurrency(deps.globalConcurrency);
  }

  const prover = createCopyProver(deps.store, deps.proofMethod ?? 'read-back', (proof) => {
    metrics.copyProofs.inc({ method: proof.method, outcome: proof.matches ? 'match' : 'mismatch' });
    metrics.readBackBytes.inc(proof.bytesRead);
  });
  const archive = createArchiver({
    ...deps,
    prover,
    async schedulePurge(job, delayMs) {
      const entry = purgeJobEntry(job, policy, delayMs);
      await queues.purge.add(entry.name, entry.data, entry.opts);
    },
  });

  /** Holds the job's lock for another lock period, or throws: the fence before anything irreversible. */
  async function confirmOwnership(job: Job, token: string | undefined): Promise<void> {
    if (token === undefined || (await job.extendLock(token, lockDurationMs)) !== 1) {
      throw new LockLostError(job.id);
    }
  }

  /** What the runner gives a handler besides the job's parsed data. */
  interface JobRun {
    job: Job;
    token: string | undefined;
    signal: AbortSignal | undefined;
    log: Logger;
  }

  /** One handler per kind of job in the catalogue: a kind without one does not compile. */
  const handlers: { [K in JobKindName]: (data: JobData<K>, run: JobRun) => Promise<unknown> } = {
    async archive(data, { job, token, signal, log }) {
      let lastProgress = 0;
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
      metrics.recordings.inc({ outcome: result.outcome });
      if (result.outcome === 'archived' && result.stored === 'now') metrics.bytes.inc(result.bytes);
      if (result.outcome === 'skipped') await stats.countSkipped(data.accountSid, data.recordingSid);
      else await stats.countArchived(data.accountSid, data.recordingSid, result.bytes);
      log.info({ result }, `recording ${result.outcome}`);
      return result;
    },

    async purge(data, { job, token, signal, log }) {
      const account = deps.accounts.get(data.accountSid);
      if (!account)
        throw new ImpossibleJobError(`account ${data.accountSid} is not configured in this worker`);
      // Transcriptions first (deleting a recording fails one still in progress): archived again if new
      // ones came during the delay, proved, deleted.
      const transcriptions = await archive.keepTranscriptions(account, data, data.key, {
        signal,
        note: async (line) => {
          await job.log(line);
        },
        confirmOwnership: () => confirmOwnership(job, token),
      });
      // Re-verifies: the copy may have changed or gone during the grace period.
      const deleted = await deleteAfterVerifying(
        deps.store,
        prover,
        account.rest,
        data.recordingSid,
        expectedCopy(data),
        {
          signal,
          onMismatch: 'keep-copy',
          confirmOwnership: () => confirmOwnership(job, token),
        },
      );
      await job.log(`verified ${data.key} and deleted the recording at Twilio (${deleted})`);
      log.info({ deleted, transcriptions }, 'recording deleted at Twilio after the purge delay');
      return { twilio: deleted, ...(transcriptions ? { transcriptions } : {}) };
    },

    async backfill(data, { job, log, signal }) {
      const result = await listing.listDay(data, (progress) => job.updateData(progress), signal);
      log.info(result, 'day listed');
      return result;
    },

    async scrub(data, { log, signal }) {
      // Configured accounts, and any the index still holds recordings of: their copies are the only ones.
      const accounts = [
        ...new Set([...deps.accounts.keys(), ...(await connection.smembers(deps.index.keys.accounts))]),
      ];
      const report = await scrubArchive({
        index: deps.index,
        store: deps.store,
        accounts,
        ...(data.sample > 0 ? { sample: data.sample } : {}),
        signal,
        onProblem(problem) {
          metrics.scrubProblems.inc({ kind: problem.kind });
          log.error(
            {
              problem: problem.kind,
              recordingSid: problem.entry.recordingSid,
              accountSid: problem.entry.accountSid,
              key: problem.entry.key,
              ...(problem.kind === 'corrupt' ? { stored: problem.stored } : {}),
              ...(problem.kind === 'unreadable' ? { reason: problem.reason } : {}),
            },
            `scrub: archived copy ${problem.kind}`,
          );
        },
      });
      metrics.scrubChecked.inc(report.checked);
      log.info({ report }, 'scrubbed');
      return report;
    },

    async reconcile(data, { log, signal }) {
      const summary = await listing.reconcile(data.windowMs, new Date(), signal);
      log.info({ summary }, 'reconciled');
      return summary;
    },
  };

  /** Rate limits in a row, per queue: one queue's pause does not lengthen another's. */
  const consecutiveRateLimits = new Map<string, number>();
  /** Whose rate limits in a row a failure counts toward: the account's for Twilio's 429s, else the queue's. */
  const rateLimitKey = (queue: Queue, job: Job, scope: 'account' | 'queue') =>
    scope === 'account' && typeof job.data?.accountSid === 'string'
      ? `account:${job.data.accountSid}`
      : queue.name;

  /**
   * Every job of every kind runs through here: its data parsed against the catalogue's schema, a child
   * logger carrying its identifiers, its handler, and any failure turned into what BullMQ should do.
   */
  async function runJob<K extends JobKindName>(
    kind: K,
    job: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const entry = jobCatalogue[kind];
    const parsed = entry.schema.safeParse(job.data);
    if (!parsed.success) {
      metrics.failures.inc({ action: 'fail', error: 'invalid-job-data' });
      throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
    }
    const data = parsed.data as JobData<K>;
    const log = logger.child({
      queue: entry.queue,
      jobId: job.id,
      ...(entry.logFields as (data: JobData<K>) => Record<string, string | undefined>)(data),
      attempt: job.attemptsMade + 1,
    });
    try {
      const result = await handlers[kind](data, { job, token, signal, log });
      consecutiveRateLimits.delete(entry.queue);
      if (typeof job.data?.accountSid === 'string')
        consecutiveRateLimits.delete(`account:${job.data.accountSid}`);
      return result;
    } catch (error) {
      throw await fail(error, job, token, queues[kind], log);
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
    const counts = queue.name === jobCatalogue.archive.queue;
    switch (decision.action) {
      case 'fail':
        if (counts) metrics.recordings.inc({ outcome: 'failed' });
        return new UnrecoverableError(decision.reason);
      case 'rate-limit': {
        const limitKey = rateLimitKey(queue, job, decision.scope);
        const inARow = (consecutiveRateLimits.get(limitKey) ?? 0) + 1;
        consecutiveRateLimits.set(limitKey, inARow);
        const base = deps.rateLimitBaseMs ?? 1_000;
        const backoff = base * 2 ** Math.min(inARow - 1, 6) * (0.5 + Math.random());
        // Retry-After as given, up to the cap. Redis takes whole milliseconds, at least 1: a fraction (the
        // jittered backoff) or 0 (`Retry-After: 0`) makes rateLimit() throw, and the job would fail as an
        // ordinary error, using up an attempt.
        const pauseMs = Math.max(1, Math.round(Math.min(decision.delayMs ?? backoff, retryAfterMaxMs)));
        if (deps.adaptiveConcurrency && decision.scope === 'account') {
          // The account's window has already been cut: only this job waits, other accounts go on. Storage
          // that does not answer still pauses the queue: every job would meet it.
          await job.log(`rate-limited: tried again in ${pauseMs} ms`).catch(() => {});
          await job.moveToDelayed(Date.now() + pauseMs, token);
          return new DelayedError();
        }
        await job.log(`queue paused for ${pauseMs} ms`).catch(() => {});
        await queue.rateLimit(pauseMs);
        return new RateLimitError();
      }
      case 'later':
        await job.moveToDelayed(Date.now() + (deps.notReadyDelayMs ?? 15_000), token);
        return new DelayedError();
      default:
        if (counts && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          metrics.recordings.inc({ outcome: 'failed' });
        }
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
  /** Per kind: archive jobs may be rate-limited per second; one reconciliation, and one scrub, at a time. */
  const perKind: { [K in JobKindName]?: Partial<WorkerOptions> } = {
    archive: deps.jobsPerSecond > 0 ? { limiter: { max: deps.jobsPerSecond, duration: 1_000 } } : {},
    reconcile: { concurrency: 1 },
    scrub: { concurrency: 1 },
  };

  const workers = jobKindNames.map(
    (kind) =>
      new Worker(jobCatalogue[kind].queue, (job, token, signal) => runJob(kind, job, token, signal), {
        ...workerOptions,
        ...perKind[kind],
      }),
  );
  for (const worker of workers) {
    worker.on('error', (error) => {
      if (redisUp()) logger.error({ err: error, queue: worker.name }, 'worker error');
    });
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
    queues,
    workers,
    async close(graceMs) {
      const cancel = setTimeout(() => {
        logger.warn('grace period over: cancelling active jobs; another worker will take them up');
        for (const worker of workers) worker.cancelAllJobs('worker shutting down');
      }, graceMs);
      const closing = (async () => {
        await Promise.all(workers.map((worker) => worker.close()));
        await Promise.all(Object.values(queues).map((queue) => queue.close()));
      })();
      // BullMQ's close waits for Redis to take the workers' last commands; while Redis does not answer that
      // is for ever. Past the grace period and a little more, the worker stops without it: a job it still
      // held stays active under a lock that lapses, and another worker takes it up, as after a crash.
      let giveUp: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'gave up'>((resolve) => {
        giveUp = setTimeout(() => resolve('gave up'), graceMs + closeBeyondGraceMs);
      });
      try {
        if ((await Promise.race([closing, gaveUp])) === 'gave up') {
          closing.catch(() => {});
          logger.warn(
            { afterSeconds: (graceMs + closeBeyondGraceMs) / 1000 },
            'Redis does not take the last commands: stopping without them; jobs still held are taken up by another worker once their locks lapse',
          );
        }
      } finally {
        clearTimeout(cancel);
        clearTimeout(giveUp);
      }
    },
  };
}

function errorType(error: unknown): string {
  if (error instanceof TwilioApiError) return `twilio:${error.kind}`;
  if (error instanceof StorageError) return `storage:${error.kind}`;
  return error instanceof Error ? error.name : 'unknown';
}
