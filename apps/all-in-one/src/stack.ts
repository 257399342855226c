import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redisSettings, retryPolicy, storageSettings, twilioSettings } from '@recording-vault/config';
import {
  allQueueNames,
  logConnectionChanges,
  producerConnection,
  type QueueName,
  workerConnection,
} from '@recording-vault/contract';
import { createDashboardApp } from '@recording-vault/dashboard/app';
import { dashboardAuth } from '@recording-vault/dashboard/config';
import { callbackPath, createIngestApp } from '@recording-vault/ingest-api/app';
import { createArchiveEnqueuer } from '@recording-vault/ingest-api/archive-enqueuer';
import { trustProxySetting } from '@recording-vault/ingest-api/config';
import { createIngestMetrics } from '@recording-vault/ingest-api/metrics';
import { closeHttpServer } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { createStore } from '@recording-vault/storage';
import { createMediaDownloader } from '@recording-vault/twilio';
import { downloadDeadline, workerBehaviour } from '@recording-vault/worker/config';
import { createWorkerMetrics, listenForMetrics, serveMetrics } from '@recording-vault/worker/metrics';
import { waitForStorage } from '@recording-vault/worker/storage-readiness';
import { createTwilioAccounts } from '@recording-vault/worker/twilio-accounts';
import { createWorkers } from '@recording-vault/worker/workers';
import { Queue } from 'bullmq';
import type { StackConfig } from './config.ts';

export interface StackUrls {
  /** Where this process receives callbacks. */
  callbacks: string;
  /** The URL Twilio must be given: PUBLIC_BASE_URL plus the callback path, which signatures cover. */
  publicCallbacks: string;
  dashboard: string;
  metrics: string;
  /** The folder or bucket recordings go to. */
  storage: string;
}

export interface Stack {
  urls: StackUrls;
  /** Stops in the order the separate apps do: no new requests, then no new jobs, then Redis. */
  close(): Promise<void>;
}

/**
 * The ingest API, a worker and the dashboard in one process, built from the same factories and settings as
 * the three apps. Ingest and dashboard share one fail-fast connection (answer 503 while Redis is down), the
 * worker has its own that waits for Redis, as in production.
 */
export async function startStack({ ingest, worker, dashboard }: StackConfig): Promise<Stack> {
  const ingestLog = createLogger({ name: 'ingest-api', level: ingest.LOG_LEVEL });
  const workerLog = createLogger({ name: 'worker', level: worker.LOG_LEVEL });
  const dashboardLog = createLogger({ name: 'dashboard', level: dashboard.LOG_LEVEL });
  const redis = redisSettings(worker);
  const twilio = twilioSettings(worker);

  const store = createStore(storageSettings(worker));
  await waitForStorage(store, workerLog);

  const metrics = createWorkerMetrics();
  const observe = (status: number | 'error', kind: 'rest' | 'media') =>
    metrics.twilioResponses.inc({ kind, status: String(status) });
  const workerRedis = workerConnection(redis.url);
  logConnectionChanges(workerRedis, workerLog, 'waiting for it');
  const media = createMediaDownloader({
    baseUrl: twilio.baseUrl,
    onResponse: observe,
    deadline: downloadDeadline(worker),
  });
  const vault = await createWorkers({
    connection: workerRedis,
    prefix: redis.prefix,
    logger: workerLog,
    metrics,
    accounts: createTwilioAccounts(twilio, observe),
    media,
    store,
    ...workerBehaviour(worker),
  });
  metrics.queues.push(...Object.values(vault.queues));

  const producer = producerConnection(redis.url);
  logConnectionChanges(producer, ingestLog, 'answering 503 until it returns');
  const isRedisReady = async () => producer.status === 'ready' && (await producer.ping()) === 'PONG';
  const queues = Object.fromEntries(
    allQueueNames.map((name) => {
      const queue = new Queue(name, { connection: producer, prefix: redis.prefix });
      queue.on('error', () => {}); // surfaced through the connection's own error log
      return [name, queue];
    }),
  ) as Record<QueueName, Queue>;

  const ingestApp = createIngestApp({
    logger: ingestLog,
    metrics: createIngestMetrics(),
    publicBaseUrl: ingest.PUBLIC_BASE_URL,
    tokensByAccount: new Map(
      twilioSettings(ingest).accounts.map((account) => [account.accountSid, account.authTokens]),
    ),
    enqueueArchive: createArchiveEnqueuer(queues.archive, { policy: retryPolicy(ingest) }),
    isQueueReady: isRedisReady,
    trustProxy: trustProxySetting(ingest.TRUST_PROXY),
    metricsToken: ingest.METRICS_TOKEN,
  });
  const auth = dashboardAuth(dashboard);
  if (auth === 'off') {
    dashboardLog.warn(
      'DASHBOARD_AUTH=off: the board is unauthenticated; anyone who reaches it can retry and remove jobs',
    );
  }
  const dashboardApp = createDashboardApp({ queues, auth, logger: dashboardLog, isRedisReady });

  let stopping = false;
  const servers: Server[] = [];
  async function stopServers(): Promise<void> {
    await Promise.all(
      servers.map(async (server) => {
        if (server.listening) await closeHttpServer(server, 8_000);
      }),
    );
  }
  async function close(): Promise<void> {
    stopping = true;
    await stopServers();
    await vault.close(worker.SHUTDOWN_GRACE_SECONDS * 1000);
    await media.close();
    await Promise.all(Object.values(queues).map((queue) => queue.close().catch(() => {})));
    await producer.quit().catch(() => producer.disconnect());
    await workerRedis.quit().catch(() => workerRedis.disconnect());
  }

  try {
    const ingestServer = await listen(
      ingestApp.listen(ingest.INGEST_PORT, ingest.INGEST_HOST),
      'INGEST_PORT',
      servers,
    );
    // Twilio gives up after 15 s; a client slower than that is not Twilio.
    ingestServer.headersTimeout = 10_000;
    ingestServer.requestTimeout = 15_000;
    const dashboardServer = await listen(
      dashboardApp.listen(dashboard.DASHBOARD_PORT, dashboard.DASHBOARD_HOST),
      'DASHBOARD_PORT',
      servers,
    );
    // As a worker does: WORKER_METRICS_PORT taken (by a worker running apart, say) moves the metrics to a
    // free port, which the banner shows, instead of stopping the stack.
    const metricsServer = serveMetrics(metrics, () => !stopping, { token: worker.METRICS_TOKEN });
    servers.push(metricsServer);
    await listenForMetrics(metricsServer, worker.WORKER_METRICS_PORT, worker.WORKER_METRICS_HOST, workerLog);
    return {
      urls: {
        callbacks: `${origin(ingestServer)}${callbackPath}`,
        publicCallbacks: `${ingest.PUBLIC_BASE_URL}${callbackPath}`,
        dashboard: `${origin(dashboardServer)}/`,
        metrics: `${origin(metricsServer)}/metrics`,
        storage: store.location,
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Resolves once listening; a port in use becomes an error that names the port. */
async function listen(server: Server, variable: string, servers: Server[]): Promise<Server> {
  servers.push(server);
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const port = (error as { port?: number }).port;
    if (code === 'EADDRINUSE') {
      throw new PortInUseError(`${variable}: port ${port} is already in use; choose another`, {
        cause: error,
      });
    }
    throw error;
  }
  return server;
}

class PortInUseError extends Error {}

function origin(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  // A wildcard address is reachable as localhost from this machine, which is who reads the banner.
  const host =
    address === '0.0.0.0' || address === '::'
      ? 'localhost'
      : address.includes(':')
        ? `[${address}]`
        : address;
  return `http://${host}:${port}`;
}
