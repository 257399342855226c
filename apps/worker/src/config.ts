import {
  booleanFlag,
  checkRedisEnv,
  checkStorageEnv,
  checkTwilioEnv,
  choice,
  type DeepReadonly,
  duration,
  envSchema,
  logEnv,
  metricsEnv,
  nonNegativeInt,
  port,
  positiveInt,
  redisEnv,
  redisTopologyEnv,
  retryEnv,
  retryPolicy,
  storageEnv,
  twilioEnv,
} from '@recording-vault/config';
import { z } from 'zod';

export const workerEnv = envSchema(
  {
    ...logEnv,
    ...redisEnv,
    ...redisTopologyEnv,
    ...retryEnv,
    ...twilioEnv,
    ...storageEnv,
    RECORDING_FORMAT: choice(['wav', 'mp3'], 'wav'),
    /**
     * How a copy is proved before the delete at Twilio: `digest` by the ETag the S3 server computed over the
     * bytes it stored (a HEAD), `read-back` by reading the bytes back, `auto` by the ETag where the server's
     * ETags are MD5 digests (checked with a probe object at start-up) and by reading back elsewhere.
     */
    VERIFY_MODE: choice(['auto', 'digest', 'read-back'], 'auto'),
    DELETE_FROM_TWILIO: booleanFlag(true),
    /** Delete a recording's transcriptions at Twilio once archived (default: as DELETE_FROM_TWILIO). */
    DELETE_TRANSCRIPTIONS: booleanFlag(true).unwrap().optional(),
    /** Seconds to keep a recording at Twilio after it is archived; 0 deletes at once. */
    PURGE_DELAY: nonNegativeInt(0, 'seconds'),
    /** Recordings in flight in this process. */
    WORKER_CONCURRENCY: positiveInt(8),
    /**
     * The most Twilio requests in flight per account across every worker process: the ceiling of each
     * account's adaptive window (or, without it, the most recordings in flight across every worker).
     */
    TWILIO_MAX_CONCURRENCY: positiveInt(16),
    /** Each account's window of requests in flight adapts to Twilio's 429s; false: a fixed cap, 429 pauses the queue. */
    TWILIO_ADAPTIVE_CONCURRENCY: booleanFlag(true),
    /** Archive jobs started per second across every worker (each makes up to three Twilio requests); 0 = no limit. */
    ARCHIVE_RATE_LIMIT: nonNegativeInt(0),
    /** On SIGTERM, how long active jobs may run on before they are cancelled and left for another worker. */
    SHUTDOWN_GRACE_SECONDS: positiveInt(60, 'seconds'),
    /** A killed worker's jobs are taken up by another within about 1.5 times this. */
    JOB_LOCK_SECONDS: positiveInt(8, 'seconds'),
    /** The longest pause a Retry-After (or a storage outage) may impose on a queue. */
    RETRY_AFTER_MAX_SECONDS: positiveInt(300, 'seconds'),
    /** A media download must finish within this many seconds plus its size at DOWNLOAD_MIN_BYTES_PER_SECOND. */
    DOWNLOAD_DEADLINE_BASE_SECONDS: positiveInt(60, 'seconds'),
    DOWNLOAD_MIN_BYTES_PER_SECOND: positiveInt(64 * 1024, 'bytes per second'),
    /** How often the reconciliation lists recent recordings at Twilio (e.g. 15m); 0 turns it off. */
    RECONCILE_EVERY: duration('15m'),
    /** How far back it lists (e.g. 48h). */
    RECONCILE_WINDOW: duration('48h'),
    /** How often stored copies are read back and checked against the archive's record (e.g. 1h); 0 turns it off. */
    SCRUB_EVERY: duration('0'),
    /** How many archived recordings, picked at random, each scrub checks; 0 checks every one. */
    SCRUB_SAMPLE: nonNegativeInt(100),
    ...metricsEnv,
    WORKER_METRICS_PORT: port(9464),
    WORKER_METRICS_HOST: z.string().default('0.0.0.0'),
  },
  checkRedisEnv,
  checkTwilioEnv,
  checkStorageEnv,
  (env, ctx) => {
    if (env.VERIFY_MODE === 'digest' && !env.S3_ENDPOINT) {
      ctx.addIssue({
        code: 'custom',
        path: ['VERIFY_MODE'],
        message:
          'digest needs an S3 store (S3_ENDPOINT): no server computes a digest of what a folder holds; use auto or read-back',
      });
    }
  },
);

export type WorkerEnv = z.output<typeof workerEnv>;

/** The worker's behaviour from its environment: one mapping, for its own main and for `pnpm start`. */
export function workerBehaviour(env: DeepReadonly<WorkerEnv>) {
  return {
    settings: {
      format: env.RECORDING_FORMAT,
      deleteFromTwilio: env.DELETE_FROM_TWILIO,
      deleteTranscriptions: env.DELETE_TRANSCRIPTIONS ?? env.DELETE_FROM_TWILIO,
      purgeDelayMs: env.PURGE_DELAY * 1000,
    },
    concurrency: env.WORKER_CONCURRENCY,
    globalConcurrency: env.TWILIO_MAX_CONCURRENCY,
    adaptiveConcurrency: env.TWILIO_ADAPTIVE_CONCURRENCY,
    jobsPerSecond: env.ARCHIVE_RATE_LIMIT,
    retryPolicy: retryPolicy(env),
    lockDurationMs: env.JOB_LOCK_SECONDS * 1000,
    retryAfterMaxMs: env.RETRY_AFTER_MAX_SECONDS * 1000,
    reconcileEveryMs: env.RECONCILE_EVERY,
    reconcileWindowMs: env.RECONCILE_WINDOW,
    scrubEveryMs: env.SCRUB_EVERY,
    scrubSample: env.SCRUB_SAMPLE,
  };
}

/** The whole-download deadline of the media downloader, from the worker's environment. */
export function downloadDeadline(env: DeepReadonly<WorkerEnv>) {
  return {
    baseMs: env.DOWNLOAD_DEADLINE_BASE_SECONDS * 1000,
    minBytesPerSecond: env.DOWNLOAD_MIN_BYTES_PER_SECOND,
  };
}
