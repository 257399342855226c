import { fileURLToPath } from 'node:url';
import { parseEnv } from '@recording-vault/config';
import { createLogger } from '@recording-vault/logger';
import { freePort } from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { workerEnv } from '../config.ts';
import { startWorker, type WorkerHandle } from '../start.ts';
import type { RigOnRedis } from './archive-rig.ts';

/**
 * A worker started as its main starts it, from the variables an operator sets: `redisVariables` are the
 * Redis mode's own; the rest point it at the rig (folder storage), with the short locks and backoffs of
 * tests and no reconciliation.
 */
export async function startWorkerFromEnv(
  rig: RigOnRedis,
  prefix: string,
  redisVariables: Record<string, string>,
): Promise<WorkerHandle> {
  const env = parseEnv(workerEnv, {
    ...redisVariables,
    QUEUE_PREFIX: prefix,
    TWILIO_ACCOUNT_SID: rig.account.accountSid,
    TWILIO_AUTH_TOKEN: rig.account.authToken,
    TWILIO_API_BASE_URL: rig.emulator.baseUrl,
    STORAGE_DIR: fileURLToPath(rig.store.location),
    WORKER_METRICS_PORT: String(await freePort()),
    WORKER_METRICS_HOST: '127.0.0.1',
    RECONCILE_EVERY: '0',
    JOB_LOCK_SECONDS: '2',
    JOB_BACKOFF_MS: '50',
    // A job cut off by a failover is not waited for a minute when the test file ends.
    SHUTDOWN_GRACE_SECONDS: '2',
  });
  return await startWorker(
    env,
    createLogger({ name: 'worker', level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  );
}

/** Asks one Redis server directly, whatever a cluster or the sentinels say of it. */
export async function askNode<T>(port: number, question: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await node.connect();
    return await question(node);
  } finally {
    node.disconnect();
  }
}

/**
 * The accounts whose Twilio request window was released, as published on `<prefix>:twilio-window:released`
 * and heard by a subscriber connected to the node at `port`; `close` unsubscribes.
 */
export async function listenForReleases(
  port: number,
  prefix: string,
): Promise<{ released: string[]; close(): Promise<void> }> {
  const listener = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  listener.on('error', () => {});
  const released: string[] = [];
  listener.on('message', (_channel: string, accountSid: string) => released.push(accountSid));
  await listener.subscribe(`${prefix}:twilio-window:released`);
  return { released, close: async () => listener.disconnect() };
}
