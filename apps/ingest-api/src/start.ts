import type { Server } from 'node:http';
import { type DeepReadonly, redisSettings, retryPolicy, twilioSettings } from '@recording-vault/config';
import { QueueName } from '@recording-vault/contract';
import { closeHttpServer, listenOn } from '@recording-vault/lifecycle';
import { createLogger, type Logger } from '@recording-vault/logger';
import {
  closeConnection,
  logConnectionChanges,
  primaryConnectionFor,
  producerConnection,
  type RedisConnection,
} from '@recording-vault/redis';
import { Queue } from 'bullmq';
import { callbackPath, createIngestApp } from './app.ts';

export { callbackPath };

import { createArchiveEnqueuer } from './archive-enqueuer.ts';
import { type IngestEnv, trustProxySetting } from './config.ts';
import { createIngestServer } from './http-server.ts';
import { createIngestMetrics, type IngestMetrics } from './metrics.ts';
import { createWriteReplication, type WriteReplication } from './replicated-writes.ts';

export interface IngestHandle {
  server: Server;
  /** Where Twilio must send callbacks: PUBLIC_BASE_URL plus the callback path, which signatures cover. */
  publicCallbackUrl: string;
  /** No new connections, the requests in flight answered, then Redis closed. */
  close(): Promise<void>;
}

/**
 * The ingest API from its configuration: a fail-fast Redis connection in the configured mode (a callback
 * gets 503 at once while Redis is down), acknowledgements held until the job reached its replicas, the
 * app, and its HTTP server. Its own main and `pnpm start` both start it here.
 */
export async function startIngest(
  env: DeepReadonly<IngestEnv>,
  logger: Logger = createLogger({ name: 'ingest-api', level: env.LOG_LEVEL }),
): Promise<IngestHandle> {
  const redisConfig = redisSettings(env);
  const redis = producerConnection(redisConfig);
  logConnectionChanges(redis, logger, 'answering 503 until it returns');
  const queue = new Queue(QueueName.archive, { connection: redis, prefix: redisConfig.prefix });
  queue.on('error', () => {}); // surfaced through the connection's own log and failed adds
  // Every key of the queue is in one slot (the hash tag): this one names it.
  const slotKey = queue.toKey('id');
  const metrics = createIngestMetrics();
  const closeRedis = async () => {
    await queue.close().catch(() => {});
    await closeConnection(redis);
  };

  const app = createIngestApp({
    logger,
    metrics,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    tokensByAccount: new Map(
      twilioSettings(env).accounts.map((account) => [account.accountSid, account.authTokens]),
    ),
    enqueueArchive: createArchiveEnqueuer(queue, {
      policy: retryPolicy(env),
      replication: replicationOf(env, redis, slotKey, metrics, logger),
    }),
    isQueueReady: () => primaryAnswers(redis, slotKey),
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

/** Acknowledgements held until the job reached its replicas, unless INGEST_MIN_REPLICAS=0. */
function replicationOf(
  env: DeepReadonly<IngestEnv>,
  connection: RedisConnection,
  key: string,
  metrics: IngestMetrics,
  logger: Logger,
): WriteReplication | undefined {
  if (env.INGEST_MIN_REPLICAS === 0) {
    metrics.replicasRequired.set(0);
    return undefined;
  }
  return createWriteReplication({
    connection,
    key,
    minReplicas: env.INGEST_MIN_REPLICAS ?? 'auto',
    timeoutMs: env.INGEST_REPLICA_TIMEOUT_MS,
    log: logger,
    events: {
      waited(outcome, seconds) {
        metrics.replicaWaits.inc({ outcome });
        metrics.replicaWaitSeconds.observe(seconds);
      },
      required: (replicas) => metrics.replicasRequired.set(replicas),
    },
  });
}

/**
 * Ready when the primary the jobs go to answers: in a cluster, the node serving the vault's slot (another
 * node answering proves nothing about the queue).
 */
async function primaryAnswers(redis: RedisConnection, key: string): Promise<boolean> {
  const primary = primaryConnectionFor(redis, key);
  return redis.status === 'ready' && primary?.status === 'ready' && (await primary.ping()) === 'PONG';
}
