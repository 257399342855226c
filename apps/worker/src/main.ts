import { loadConfigOrExit, redisSettings, storageSettings, twilioSettings } from '@recording-vault/config';
import { logConnectionChanges, workerConnection } from '@recording-vault/contract';
import { onStopSignal } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { createStore } from '@recording-vault/storage';
import { createMediaDownloader } from '@recording-vault/twilio';
import { downloadDeadline, workerBehaviour, workerEnv } from './config.ts';
import { createWorkerMetrics, listenForMetrics, serveMetrics } from './metrics.ts';
import { waitForStorage } from './storage-readiness.ts';
import { createTwilioAccounts } from './twilio-accounts.ts';
import { createWorkers } from './workers.ts';

const env = loadConfigOrExit(workerEnv, process.env, 'worker');
const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
const redis = redisSettings(env);
const twilio = twilioSettings(env);
const storage = storageSettings(env);

const metrics = createWorkerMetrics();
const observe = (status: number | 'error', kind: 'rest' | 'media') =>
  metrics.twilioResponses.inc({ kind, status: String(status) });
const store = createStore(storage);
await waitForStorage(store, logger);

const connection = workerConnection(redis.url);
logConnectionChanges(connection, logger, 'waiting for it');
// Until Redis answers, the queues made below would log each reconnect attempt: the line above says it once.
if (connection.status !== 'ready') await new Promise((resolve) => connection.once('ready', resolve));
const media = createMediaDownloader({
  baseUrl: twilio.baseUrl,
  onResponse: observe,
  deadline: downloadDeadline(env),
});
const vault = await createWorkers({
  connection,
  prefix: redis.prefix,
  logger,
  metrics,
  accounts: createTwilioAccounts(twilio, observe),
  media,
  store,
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
    deleteFromTwilio: env.DELETE_FROM_TWILIO,
    purgeDelaySeconds: env.PURGE_DELAY,
    concurrency: env.WORKER_CONCURRENCY,
    metrics: metricsServer.address(),
  },
  'worker started',
);

onStopSignal(async (signal) => {
  stopping = true;
  logger.info(
    { signal, graceSeconds: env.SHUTDOWN_GRACE_SECONDS },
    'shutting down: no new jobs, finishing active ones',
  );
  await vault.close(env.SHUTDOWN_GRACE_SECONDS * 1000);
  await media.close();
  metricsServer.close();
  await connection.quit().catch(() => connection.disconnect());
  logger.info('stopped');
});
