import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ArchiveJob,
  allQueueNames,
  archiveJobId,
  type PurgeJob,
  producerConnection,
  purgeJobId,
  QueueName,
  workerConnection,
} from '@recording-vault/contract';
import { createLogger } from '@recording-vault/logger';
import { makeSid, type RedisTestServer, startRedisServer, testQueuePrefix } from '@recording-vault/testkit';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardApp } from './app.ts';

const credentials = { user: 'operator', password: 'correct horse battery staple' };
const wrongPassword = 'correct horse battery stapler';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function listen(server: Server): Promise<string> {
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Puts one job into the failed set the way a worker would: by running it and failing it for good. */
async function failedJob(redisUrl: string, prefix: string, name: QueueName, id: string, data: object) {
  const connection = workerConnection(redisUrl);
  const queue = new Queue(name, { connection, prefix });
  const worker = new Worker(
    name,
    async () => {
      throw new UnrecoverableError('failed on purpose');
    },
    { connection, prefix },
  );
  const failed = new Promise<void>((resolve) => {
    worker.on('failed', (job: Job | undefined) => {
      if (job?.id === id) resolve();
    });
  });
  await queue.add(name, data, { jobId: id, attempts: 1 });
  await failed;
  await worker.close();
  await queue.close();
  connection.disconnect();
}

describe('dashboard app', () => {
  let redis: RedisTestServer;
  let connection: Redis;
  let queues: Record<QueueName, Queue>;
  let server: Server;
  let base: string;
  let cleanup: () => Promise<void>;
  const logLines: string[] = [];
  const archiveSid = makeSid('RE');
  const isRedisReady = async () => connection.status === 'ready' && (await connection.ping()) === 'PONG';
  const purgeSid = makeSid('RE');

  beforeAll(async () => {
    redis = await startRedisServer();
    const prefixed = testQueuePrefix(redis.url);
    cleanup = prefixed.cleanup;
    const accountSid = makeSid('AC');
    const archive: ArchiveJob = { accountSid, recordingSid: archiveSid, origin: 'callback' };
    const purge: PurgeJob = {
      accountSid,
      recordingSid: purgeSid,
      key: `${accountSid}/2026/01/02/${makeSid('CA')}/${purgeSid}.wav`,
      bytes: 44,
      sha256: 'a'.repeat(64),
    };
    await failedJob(redis.url, prefixed.prefix, QueueName.archive, archiveJobId(archiveSid), archive);
    await failedJob(redis.url, prefixed.prefix, QueueName.purge, purgeJobId(purgeSid), purge);

    connection = producerConnection(redis.url);
    connection.on('error', () => {});
    queues = Object.fromEntries(
      allQueueNames.map((name) => [name, new Queue(name, { connection, prefix: prefixed.prefix })]),
    ) as Record<QueueName, Queue>;
    for (const queue of Object.values(queues)) queue.on('error', () => {});
    const logger = createLogger({
      name: 'dashboard',
      level: 'info',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    server = createDashboardApp({ queues, auth: credentials, logger, isRedisReady }).listen(0, '127.0.0.1');
    base = await listen(server);
  });

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await Promise.all(Object.values(queues ?? {}).map((queue) => queue.close().catch(() => {})));
    connection?.disconnect();
    await redis?.start();
    await cleanup?.().catch(() => {});
    await redis?.close();
  });

  // Pages, an asset, the API (read and write) and an unknown path: the board has no public corner.
  const protectedRequests: Array<[method: string, path: string]> = [
    ['GET', '/'],
    ['GET', '/queue/archive'],
    ['GET', '/static/favicon-32x32.png'],
    ['GET', '/api/queues'],
    ['PUT', `/api/queues/archive/archive-${'RE'.padEnd(34, '0')}/retry`],
    ['GET', '/no-such-page'],
  ];

  it.each(protectedRequests)(
    '%s %s answers 401 with a challenge without credentials',
    async (method, path) => {
      const response = await fetch(`${base}${path}`, { method });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="Recording Vault"/);
    },
  );

  it.each(protectedRequests)(
    '%s %s answers 401 with wrong credentials, whichever part is wrong',
    async (method, path) => {
      for (const authorization of [
        basic(credentials.user, wrongPassword),
        basic('admin', credentials.password),
        basic(credentials.user, ''),
        `Bearer ${credentials.password}`,
        'Basic not base64!',
      ]) {
        const response = await fetch(`${base}${path}`, { method, headers: { authorization } });
        expect(response.status, authorization).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
      }
    },
  );

  it('never writes the credentials it was sent into its log', () => {
    const log = logLines.join('');
    expect(log).toContain('wrong credentials');
    expect(log).not.toContain(wrongPassword);
    expect(log).not.toContain(Buffer.from(`${credentials.user}:${wrongPassword}`).toString('base64'));
  });

  it('serves the board, its assets and its API with the credentials', async () => {
    const authorization = basic(credentials.user, credentials.password);
    const page = await fetch(`${base}/`, { headers: { authorization } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Recording Vault');
    const asset = await fetch(`${base}/static/favicon-32x32.png`, { headers: { authorization } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('image/png');

    const api = await fetch(`${base}/api/queues`, { headers: { authorization } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
    const byName = Object.fromEntries(body.queues.map((queue) => [queue.name, queue.readOnlyMode]));
    // Every queue of the contract is on the board; only the one that deletes at Twilio is read-only.
    expect(byName).toEqual(Object.fromEntries(allQueueNames.map((name) => [name, name === QueueName.purge])));
  });

  it('refuses every write on the purge queue with 405 and leaves its job failed', async () => {
    const authorization = basic(credentials.user, credentials.password);
    const jobId = purgeJobId(purgeSid);
    for (const path of [
      `/api/queues/purge/${jobId}/retry`,
      `/api/queues/purge/${jobId}/clean`,
      '/api/queues/purge/retry/failed',
      '/api/queues/purge/clean/failed',
      '/api/queues/purge/empty',
    ]) {
      const response = await fetch(`${base}${path}`, { method: 'PUT', headers: { authorization } });
      expect(response.status, path).toBe(405);
    }
    expect(await queues.purge.getJobState(jobId)).toBe('failed');
  });

  it('retries a failed archive job', async () => {
    const authorization = basic(credentials.user, credentials.password);
    const jobId = archiveJobId(archiveSid);
    expect(await queues.archive.getJobState(jobId)).toBe('failed');
    const response = await fetch(`${base}/api/queues/archive/${jobId}/retry`, {
      method: 'PUT',
      headers: { authorization },
    });
    expect(response.status).toBe(204);
    // No worker runs here, so the retried job waits.
    expect(await queues.archive.getJobState(jobId)).toBe('waiting');
  });

  it('with DASHBOARD_AUTH=off serves the board without credentials', async () => {
    const open = createDashboardApp({
      queues,
      auth: 'off',
      logger: createLogger({ name: 'dashboard', level: 'silent' }),
      isRedisReady,
    }).listen(0, '127.0.0.1');
    try {
      const url = await listen(open);
      expect((await fetch(`${url}/`)).status).toBe(200);
      expect((await fetch(`${url}/api/queues`)).status).toBe(200);
    } finally {
      open.closeAllConnections();
      open.close();
    }
  });

  it('answers /healthz without credentials: 200 while Redis answers, 503 once it is gone', async () => {
    const healthy = await fetch(`${base}/healthz`);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toEqual({ status: 'ok' });

    await redis.kill();
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'redis unavailable' });

    // And it recovers by itself once Redis is back (ioredis reconnects in the background).
    await redis.start();
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      status = (await fetch(`${base}/healthz`)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
  });
});
