import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { archiveJobId, QueueName } from '@recording-vault/contract';
import {
  freePort,
  makeSid,
  type RedisTestServer,
  sendRecordingStatusCallback,
  startAppProcess,
  startRedisServer,
  testQueuePrefix,
} from '@recording-vault/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const account = makeSid('AC');
const token = 'd4'.repeat(16);
const publicBaseUrl = 'https://vault.example.com';

function startIngest(env: Record<string, string>) {
  return startAppProcess(main, [], env);
}

describe('ingest-api process', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: true });
  });
  afterAll(async () => {
    await redis.close();
  });

  it('refuses to start on a bad configuration, naming every bad variable', async () => {
    const ingest = startIngest({
      REDIS_URL: 'http://nope',
      TWILIO_ACCOUNT_SID: 'AC123',
      INGEST_PORT: '99999',
    });
    const result = { code: await ingest.exited, stderr: ingest.stderr() };
    expect(result.code).toBe(1);
    for (const name of [
      'REDIS_URL',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'PUBLIC_BASE_URL',
      'INGEST_PORT',
    ]) {
      expect(result.stderr).toContain(`${name}:`);
    }
    expect(result.stderr).toContain('INGEST_PORT: must be a port number from 0 to 65535 (got 99999)');
    expect(result.stderr).toContain('REDIS_URL: must start with redis:// or rediss:// (got http://nope)');
  });

  it('refuses to start on a Redis Cluster without a hash tag in QUEUE_PREFIX, before connecting', async () => {
    // Nothing listens there: the variables alone are refused, as they are by every app (checkRedisEnv).
    const nowhere = `127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}`;
    const port = await freePort();
    const env = {
      REDIS_CLUSTER_NODES: nowhere,
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN: token,
      PUBLIC_BASE_URL: publicBaseUrl,
      INGEST_PORT: String(port),
      INGEST_HOST: '127.0.0.1',
    };
    // Set without one, and unset (the default, rv, has none either).
    for (const [prefix, shown] of [
      [{ QUEUE_PREFIX: 'rv-prod' }, 'rv-prod'],
      [{}, 'rv'],
    ] as const) {
      const ingest = startIngest({ ...env, ...prefix });
      expect(await ingest.exited).toBe(1);
      const problems = ingest
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('  - '));
      expect(ingest.stderr()).toContain('ingest-api: invalid configuration:');
      // That one problem, naming the variable and the hash tag it lacks.
      expect(problems).toEqual([
        expect.stringContaining(
          `QUEUE_PREFIX: must contain a hash tag such as {rv} with REDIS_CLUSTER_NODES (got ${shown})`,
        ),
      ]);
    }

    // The same variables with a hash tag start it: it listens and answers 503 while no cluster answers.
    const ingest = startIngest({ ...env, QUEUE_PREFIX: '{rv-prod}' });
    try {
      await waitUntil(
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 503,
      );
      expect(ingest.child.exitCode).toBeNull();
    } finally {
      ingest.child.kill('SIGKILL');
      await ingest.exited;
    }
  });

  it('stops with one line naming INGEST_PORT when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const ingest = startIngest({
        REDIS_URL: redis.url,
        TWILIO_ACCOUNT_SID: account,
        TWILIO_AUTH_TOKEN: token,
        PUBLIC_BASE_URL: publicBaseUrl,
        INGEST_PORT: String(port),
        INGEST_HOST: '127.0.0.1',
      });
      expect(await ingest.exited).toBe(1);
      expect(ingest.stderr()).toContain(
        `ingest-api: INGEST_PORT: port ${port} is already in use; choose another`,
      );
      expect(ingest.stderr()).not.toContain('    at ');
    } finally {
      taken.close();
    }
  });

  it('says once that Redis is unreachable, answers 503 meanwhile, and says when it is back', async () => {
    const own = await startRedisServer();
    const port = await freePort();
    await own.stop();
    const ingest = startIngest({
      REDIS_URL: own.url,
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN: token,
      PUBLIC_BASE_URL: publicBaseUrl,
      INGEST_PORT: String(port),
      INGEST_HOST: '127.0.0.1',
    });
    const log = () =>
      ingest
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: string; msg: string; req?: unknown })
        // The request lines of this test's own probes aside.
        .filter((line) => line.req === undefined);
    const readyz = async () =>
      (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status ?? 0;
    try {
      await waitUntil(async () => (await readyz()) === 503 && log().some((l) => l.level === 'error'));
      // ioredis retries every few hundred milliseconds meanwhile: none of it is worth another line.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const said = () => log().filter((line) => line.level !== 'info' || /redis/i.test(line.msg));
      expect(said().map((line) => line.msg)).toEqual(['redis unreachable; answering 503 until it returns']);

      await own.start();
      await waitUntil(async () => (await readyz()) === 200);
      expect(said().map((line) => line.msg)).toEqual([
        'redis unreachable; answering 503 until it returns',
        'redis connected',
      ]);
    } finally {
      ingest.child.kill('SIGKILL');
      await own.close();
    }
  });

  it('on SIGTERM during a burst, exits 0 promptly and every 204 it gave has its job', async () => {
    const { prefix, cleanup } = testQueuePrefix(redis.url);
    const port = await freePort();
    const ingest = startIngest({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN: token,
      PUBLIC_BASE_URL: publicBaseUrl,
      INGEST_PORT: String(port),
      INGEST_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    const { child, exited } = ingest;
    const url = `http://127.0.0.1:${port}/twilio/recording-status`;
    for (let i = 0; i < 200; i++) {
      const ready = await fetch(url.replace('/twilio/recording-status', '/readyz')).catch(() => undefined);
      if (ready?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const total = 400;
    const results: Array<{ recordingSid: string; status: number | 'error' }> = [];
    let next = 0;
    let stoppedAt: number | undefined;
    const sender = async () => {
      while (next < total) {
        const recordingSid = makeSid('RE');
        next++;
        const params = {
          AccountSid: account,
          CallSid: makeSid('CA'),
          RecordingSid: recordingSid,
          RecordingStatus: 'completed',
          RecordingDuration: '5',
        };
        const response = await sendRecordingStatusCallback({
          url,
          signedUrl: `${publicBaseUrl}/twilio/recording-status`,
          authToken: token,
          params,
        }).catch(() => undefined);
        results.push({ recordingSid, status: response?.status ?? 'error' });
        if (results.length === 100 && stoppedAt === undefined) {
          stoppedAt = performance.now();
          child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, sender));
    const code = await exited;
    const exitedAfterMs = performance.now() - (stoppedAt ?? 0);

    expect(code).toBe(0);
    expect(exitedAfterMs).toBeLessThan(10_000);
    const acknowledged = results.filter((r) => r.status === 204);
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    expect(results.some((r) => r.status === 'error')).toBe(true);
    expect(results.every((r) => r.status === 204 || r.status === 'error' || r.status === 503)).toBe(true);

    const connection = new Redis(redis.url);
    const queue = new Queue(QueueName.archive, { connection, prefix });
    const missing: string[] = [];
    for (const { recordingSid } of acknowledged) {
      if (!(await queue.getJob(archiveJobId(recordingSid)))) missing.push(recordingSid);
    }
    expect(missing).toEqual([]);
    await queue.close();
    connection.disconnect();
    await cleanup();
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
