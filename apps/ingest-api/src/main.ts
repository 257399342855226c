import { once } from 'node:events';
import { loadConfigOrExit, redisSettings, retryPolicy, twilioSettings } from '@recording-vault/config';
import { logConnectionChanges, producerConnection, QueueName } from '@recording-vault/contract';
import { closeHttpServer, onStopSignal } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { Queue } from 'bullmq';
import { createIngestApp } from './app.ts';
import { createArchiveEnqueuer } from './archive-enqueuer.ts';
import { ingestEnv, trustProxySetting } from './config.ts';
import { createIngestServer } from './http-server.ts';
import { createIngestMetrics } from './metrics.ts';

const env = loadConfigOrExit(ingestEnv, process.env, 'ingest-api');
const logger = createLogger({ name: 'ingest-api', level: env.LOG_LEVEL });
const redisConfig = redisSettings(env);
const twilio = twilioSettings(env);

const redis = producerConnection(redisConfig.url);
logConnectionChanges(redis, logger, 'answering 503 until it returns');

const queue = new Queue(QueueName.archive, { connection: redis, prefix: redisConfig.prefix });
queue.on('error', () => {}); // surfaced through the connection's own error log and failed adds

const app = createIngestApp({
  logger,
  metrics: createIngestMetrics(),
  publicBaseUrl: env.PUBLIC_BASE_URL,
  tokensByAccount: new Map(twilio.accounts.map((account) => [account.accountSid, account.authTokens])),
  enqueueArchive: createArchiveEnqueuer(queue, { policy: retryPolicy(env) }),
  isQueueReady: async () => redis.status === 'ready' && (await redis.ping()) === 'PONG',
  trustProxy: trustProxySetting(env.TRUST_PROXY),
  metricsToken: env.METRICS_TOKEN,
});

const server = createIngestServer(app).listen(env.INGEST_PORT, env.INGEST_HOST);
await once(server, 'listening');
logger.info(
  { address: server.address(), publicUrl: `${env.PUBLIC_BASE_URL}/twilio/recording-status` },
  'ingest API listening',
);

onStopSignal(async (signal) => {
  logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
  await closeHttpServer(server, 8_000);
  await queue.close().catch(() => {});
  await redis.quit().catch(() => redis.disconnect());
  logger.info('stopped');
});
