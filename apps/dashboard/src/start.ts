import { createServer, type Server } from 'node:http';
import { type DeepReadonly, redisSettings } from '@recording-vault/config';
import { allQueueNames, type QueueName } from '@recording-vault/contract';
import { closeHttpServer, listenOn } from '@recording-vault/lifecycle';
import { createLogger, type Logger } from '@recording-vault/logger';
import { logConnectionChanges, producerConnection } from '@recording-vault/redis';
import { Queue } from 'bullmq';
import { createDashboardApp } from './app.ts';
import { type DashboardEnv, dashboardAuth } from './config.ts';

export interface DashboardHandle {
  server: Server;
  /** No new connections, the board's requests answered (or cut after a short grace), then Redis closed. */
  close(): Promise<void>;
}

/**
 * The dashboard from its configuration: a fail-fast Redis connection (requests fail at once while Redis is
 * down, and /healthz says 503), a queue per name of the contract, Bull Board behind its protections.
 */
export async function startDashboard(
  env: DeepReadonly<DashboardEnv>,
  logger: Logger = createLogger({ name: 'dashboard', level: env.LOG_LEVEL }),
): Promise<DashboardHandle> {
  const auth = dashboardAuth(env);
  if (auth === 'off') {
    logger.warn(
      'DASHBOARD_AUTH=off: the board is unauthenticated; anyone who reaches it can retry and remove jobs',
    );
  }
  const redisConfig = redisSettings(env);
  const redis = producerConnection(redisConfig.url);
  logConnectionChanges(redis, logger, 'answering 503 until it returns');
  const queues = Object.fromEntries(
    allQueueNames.map((name) => {
      const queue = new Queue(name, { connection: redis, prefix: redisConfig.prefix });
      queue.on('error', () => {}); // surfaced through the connection's own log
      return [name, queue];
    }),
  ) as Record<QueueName, Queue>;
  const closeRedis = async () => {
    await Promise.all(Object.values(queues).map((queue) => queue.close().catch(() => {})));
    await redis.quit().catch(() => redis.disconnect());
  };

  const app = createDashboardApp({
    queues,
    auth,
    logger,
    isRedisReady: async () => redis.status === 'ready' && (await redis.ping()) === 'PONG',
    trustProxy: env.DASHBOARD_TRUST_PROXY,
  });
  const http = createServer(app);
  try {
    await listenOn(http, env.DASHBOARD_PORT, env.DASHBOARD_HOST, 'DASHBOARD_PORT');
  } catch (error) {
    await closeRedis();
    throw error;
  }
  logger.info(
    { address: http.address(), auth: env.DASHBOARD_AUTH, trustProxy: env.DASHBOARD_TRUST_PROXY },
    'dashboard listening',
  );

  return {
    server: http,
    async close() {
      // The board polls over keep-alive connections: the idle ones close now, the rest after a short grace.
      await closeHttpServer(http, 5_000);
      await closeRedis();
    },
  };
}
