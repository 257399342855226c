import type { Server } from 'node:http';
import { createArchiveIndex } from '@recording-vault/archive-index';
import { type DeepReadonly, redisSettings, storageSettings, twilioSettings } from '@recording-vault/config';
import { createLogger, type Logger } from '@recording-vault/logger';
import { closeConnection, logConnectionChanges, workerConnection } from '@recording-vault/redis';
import { createStore } from '@recording-vault/storage';
import { createMediaDownloader, createRequestWindows } from '@recording-vault/twilio';
import { downloadDeadline, type WorkerEnv, workerBehaviour } from './config.ts';
import { createWorkerMetrics, listenForMetrics, serveMetrics } from './metrics.ts';
import { chooseProofMethod } from './proof-method.ts';
import { waitForStorage } from './storage-readiness.ts';
import { createTwilioAccounts } from './twilio-accounts.ts';
import { createWorkers } from './workers.ts';

export interface WorkerHandle {
  /** Prometheus metrics and /healthz (on WORKER_METRICS_PORT, or a free port when that one is taken). */
  metricsServer: Server;
  /** The folder or bucket recordings go to. */
  storage: string;
  /**
   * No new jobs; active ones get SHUTDOWN_GRACE_SECONDS to finish, then are cancelled (another worker takes
   * them up); then the downloads, the metrics server and Redis are closed. /healthz says 503 meanwhile.
   */
  close(): Promise<void>;
}

/**
 * A worker from its configuration: storage waited for, a Redis connection in the configured mode (one
 * server, a cluster or sentinels) that waits for Redis (workers never drop a job because Redis blinked or
 * failed over), the Twilio accounts, one BullMQ Worker per kind of job, and the metrics server. Its own
 * main and `pnpm start` both start it here.
 */
export async function startWorker(
  env: DeepReadonly<WorkerEnv>,
  logger: Logger = createLogger({ name: 'worker', level: env.LOG_LEVEL }),
): Promise<WorkerHandle> {
  const redis = redisSettings(env);
  const twilio = twilioSettings(env);
  const metrics = createWorkerMetrics();
  const observe = (status: number | 'error', kind: 'rest' | 'media') =>
    metrics.twilioResponses.inc({ kind, status: String(status) });
  const store = createStore(storageSettings(env));
  const proofMethod = await waitForStorage(store, logger, () =>
    chooseProofMethod(store, env.VERIFY_MODE, logger),
  );

  const connection = workerConnection(redis);
  logConnectionChanges(connection, logger, 'waiting for it');
  // Until Redis answers, the queues made below would log each reconnect attempt: the line above says it once.
  if (connection.status !== 'ready') await new Promise((resolve) => connection.once('ready', resolve));
  const windows = env.TWILIO_ADAPTIVE_CONCURRENCY
    ? createRequestWindows({
        connection,
        prefix: redis.prefix,
        ceiling: env.TWILIO_MAX_CONCURRENCY,
        maxPauseMs: env.RETRY_AFTER_MAX_SECONDS * 1000,
        // A dead worker's slots come back when its jobs do.
        leaseMs: env.JOB_LOCK_SECONDS * 1000,
        onLimited: (account) => metrics.twilioLimited.inc({ account }),
        onError: (error) => {
          if (connection.status === 'ready')
            logger.warn({ err: error }, 'request window: Redis refused an update');
        },
      })
    : undefined;
  const gateFor = windows && ((accountSid: string) => windows.forAccount(accountSid));
  if (windows)
    metrics.windows.read = () => windows.read(twilio.accounts.map((account) => account.accountSid));
  const media = createMediaDownloader({
    onResponse: observe,
    deadline: downloadDeadline(env),
    gateFor,
  });
  const vault = await createWorkers({
    connection,
    index: createArchiveIndex({ redis: connection, prefix: redis.prefix }),
    prefix: redis.prefix,
    logger,
    metrics,
    accounts: createTwilioAccounts(twilio, observe, gateFor),
    media,
    store,
    proofMethod,
    ...workerBehaviour(env),
  });
  metrics.queues.push(...Object.values(vault.queues));

  let stopping = false;
  const metricsServer = serveMetrics(metrics, () => !stopping, { token: env.METRICS_TOKEN });
  await listenForMetrics(metricsServer, env.WORKER_METRICS_PORT, env.WORKER_METRICS_HOST, logger);
  logger.info(
    {
      storage: store.location,
      format: env.RECORDING_FORMAT,
      proof: proofMethod,
      deleteFromTwilio: env.DELETE_FROM_TWILIO,
      purgeDelaySeconds: env.PURGE_DELAY,
      concurrency: env.WORKER_CONCURRENCY,
      twilioConcurrency: {
        adaptive: env.TWILIO_ADAPTIVE_CONCURRENCY,
        ceiling: env.TWILIO_MAX_CONCURRENCY,
      },
      metrics: metricsServer.address(),
    },
    'worker started',
  );

  return {
    metricsServer,
    storage: store.location,
    async close() {
      stopping = true;
      logger.info(
        { graceSeconds: env.SHUTDOWN_GRACE_SECONDS },
        'shutting down: no new jobs, finishing active ones',
      );
      await vault.close(env.SHUTDOWN_GRACE_SECONDS * 1000);
      await media.close();
      await windows?.close();
      metricsServer.close();
      await closeConnection(connection);
    },
  };
}
