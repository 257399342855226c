import { createServer, type Server } from 'node:http';
import { createArchiveIndex } from '@recording-vault/archive-index';
import { type DeepReadonly, redisSettings, storageSettings } from '@recording-vault/config';
import { allQueueNames, type QueueName } from '@recording-vault/contract';
import { closeHttpServer, listenOn } from '@recording-vault/lifecycle';
import { createLogger, type Logger } from '@recording-vault/logger';
import { closeConnection, logConnectionChanges, producerConnection } from '@recording-vault/redis';
import { createStore } from '@recording-vault/storage';
import { Queue } from 'bullmq';
import { createDashboardApp } from './app.ts';
import { type DashboardEnv, dashboardAuth, dashboardPlayback } from './config.ts';

export interface DashboardHandle {
  server: Server;
  /** No new connections, the board's requests answered (or cut after a short grace), then Redis closed. */
  close(): Promise<void>;
}

/**
 * The dashboard from its configuration: a fail-fast Redis connection (requests fail at once while Redis is
 * down, and /healthz says 503), a queue per name of the contract, Bull Board behind its protections, and
 * the archive pages over the archive index (in the same Redis) and the workers' storage (for sidecars).
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
  const redis = producerConnection(redisConfig);
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
    await closeConnection(redis);
  };

  const playback = dashboardPlayback(env);
  if (!playback.enabled) {
    logger.info(
      { missing: playback.missing },
      'archive page: playback and signed links are off until RECORDINGS_API_PUBLIC_URL and RECORDINGS_LINK_SECRET are set',
    );
  }
  const app = createDashboardApp({
    queues,
    auth,
    logger,
    isRedisReady: async () => redis.status === 'ready' && (await redis.ping()) === 'PONG',
    trustProxy: env.DASHBOARD_TRUST_PROXY,
    archive: {
      index: createArchiveIndex({ redis, prefix: redisConfig.prefix }),
      redis,
      store: createStore(storageSettings(env)),
      playback,
      logger,
    },
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
