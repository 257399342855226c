import type { Server } from 'node:http';
import { type DeepReadonly, redisSettings, retryPolicy, twilioSettings } from '@recording-vault/config';
import { QueueName } from '@recording-vault/contract';
import { closeHttpServer, listenOn } from '@recording-vault/lifecycle';
import { createLogger, type Logger } from '@recording-vault/logger';
import { logConnectionChanges, producerConnection } from '@recording-vault/redis';
import { Queue } from 'bullmq';
import { callbackPath, createIngestApp } from './app.ts';

export { callbackPath };

import { createArchiveEnqueuer } from './archive-enqueuer.ts';
import { type IngestEnv, trustProxySetting } from './config.ts';
import { createIngestServer } from './http-server.ts';
import { createIngestMetrics } from './metrics.ts';

export interface IngestHandle {
  server: Server;
  /** Where Twilio must send callbacks: PUBLIC_BASE_URL plus the callback path, which signatures cover. */
  publicCallbackUrl: string;
  /** No new connections, the requests in flight answered, then Redis closed. */
  close(): Promise<void>;
}

/**
 * The ingest API from its configuration: a fail-fast Redis connection (a callback gets 503 at once while
 * Redis is down), the app, and its HTTP server. Its own main and `pnpm start` both start it here.
 */
export async function startIngest(
  env: DeepReadonly<IngestEnv>,
  logger: Logger = createLogger({ name: 'ingest-api', level: env.LOG_LEVEL }),
): Promise<IngestHandle> {
  const redisConfig = redisSettings(env);
  const redis = producerConnection(redisConfig.url);
  logConnectionChanges(redis, logger, 'answering 503 until it returns');
  const queue = new Queue(QueueName.archive, { connection: redis, prefix: redisConfig.prefix });
  queue.on('error', () => {}); // surfaced through the connection's own log and failed adds
  const closeRedis = async () => {
    await queue.close().catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
  };

  const app = createIngestApp({
    logger,
    metrics: createIngestMetrics(),
    publicBaseUrl: env.PUBLIC_BASE_URL,
    tokensByAccount: new Map(
      twilioSettings(env).accounts.map((account) => [account.accountSid, account.authTokens]),
    ),
    enqueueArchive: createArchiveEnqueuer(queue, { policy: retryPolicy(env) }),
    isQueueReady: async () => redis.status === 'ready' && (await redis.ping()) === 'PONG',
    trustProxy: trustProxySetting(env.TRUST_PROXY),
    metricsToken: env.METRICS_TOKEN,
  });
  const server = createIngestServer(app);
  try {
    await listenOn(server, env.INGEST_PORT, env.INGEST_HOST, 'INGEST_PORT');
  } catch (error) {
    await closeRedis();
    throw error;
  }
  const publicCallbackUrl = `${env.PUBLIC_BASE_URL}${callbackPath}`;
  logger.info({ address: server.address(), publicUrl: publicCallbackUrl }, 'ingest API listening');

  return {
    server,
    publicCallbackUrl,
    async close() {
      await closeHttpServer(server, 8_000);
      await closeRedis();
    },
  };
}
