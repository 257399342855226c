import { once } from 'node:events';
import { loadConfigOrExit, redisSettings } from '@recording-vault/config';
import {
  allQueueNames,
  logConnectionChanges,
  producerConnection,
  type QueueName,
} from '@recording-vault/contract';
import { closeHttpServer, onStopSignal } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { Queue } from 'bullmq';
import { createDashboardApp } from './app.ts';
import { dashboardAuth, dashboardEnv } from './config.ts';

const env = loadConfigOrExit(dashboardEnv, process.env, 'dashboard');
const logger = createLogger({ name: 'dashboard', level: env.LOG_LEVEL });
const redisConfig = redisSettings(env);
const auth = dashboardAuth(env);
if (auth === 'off') {
  logger.warn(
    'DASHBOARD_AUTH=off: the board is unauthenticated; anyone who reaches it can retry and remove jobs',
  );
}

// Fail-fast profile: while Redis is down the board's requests fail at once instead of queueing, and
// /healthz says 503.
const redis = producerConnection(redisConfig.url);
logConnectionChanges(redis, logger, 'answering 503 until it returns');

const queues = Object.fromEntries(
  allQueueNames.map((name) => {
    const queue = new Queue(name, { connection: redis, prefix: redisConfig.prefix });
    queue.on('error', () => {}); // surfaced through the connection's own error log
    return [name, queue];
  }),
) as Record<QueueName, Queue>;

const app = createDashboardApp({
  queues,
  auth,
  logger,
  isRedisReady: async () => redis.status === 'ready' && (await redis.ping()) === 'PONG',
  trustProxy: env.DASHBOARD_TRUST_PROXY,
});
const server = app.listen(env.DASHBOARD_PORT, env.DASHBOARD_HOST);
await once(server, 'listening');
logger.info(
  { address: server.address(), auth: env.DASHBOARD_AUTH, trustProxy: env.DASHBOARD_TRUST_PROXY },
  'dashboard listening',
);

onStopSignal(async (signal) => {
  logger.info({ signal }, 'shutting down');
  // The board polls over keep-alive connections: the idle ones close now, the rest after a short grace.
  await closeHttpServer(server, 5_000);
  await Promise.all(Object.values(queues).map((queue) => queue.close().catch(() => {})));
  await redis.quit().catch(() => redis.disconnect());
  logger.info('stopped');
});
