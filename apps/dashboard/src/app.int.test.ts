import { once } from 'node:events';
import { type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ArchiveJob,
  allQueueNames,
  archiveJobId,
  type PurgeJob,
  purgeJobId,
  QueueName,
} from '@recording-vault/contract';
import { createLogger } from '@recording-vault/logger';
import { producerConnection, workerConnection } from '@recording-vault/redis';
import { makeSid, type RedisTestServer, startRedisServer, testQueuePrefix } from '@recording-vault/testkit';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardApp, type DashboardDeps } from './app.ts';

const credentials = { user: 'operator', password: 'correct horse battery staple' };
const wrongPassword = 'correct horse battery stapler';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function listen(server: Server): Promise<string> {
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request from another loopback address than 127.0.0.1: another client as the board sees it. */
function requestFrom(
  localAddress: string,
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
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
  // A second failed archive job: the cross-site tests leave it failed, "retry all" then retries it.
  const secondArchiveSid = makeSid('RE');

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
    await failedJob(redis.url, prefixed.prefix, QueueName.archive, archiveJobId(secondArchiveSid), {
      ...archive,
      recordingSid: secondArchiveSid,
    });
    server = createDashboardApp({
      queues,
      auth: credentials,
      logger,
      isRedisReady,
      // The tests below send dozens of wrong credentials from one address; throttling has tests of its own.
      loginThrottle: { failedLogins: 1_000, windowMs: 60_000 },
    }).listen(0, '127.0.0.1');
    base = await listen(server);
  });

  /** Another instance of the board over the same queues, served until `close`. */
  async function serveAnother(deps: Partial<DashboardDeps>) {
    const other = createDashboardApp({
      queues,
      auth: credentials,
      logger: createLogger({ name: 'dashboard', level: 'silent' }),
      isRedisReady,
      ...deps,
    }).listen(0, '127.0.0.1');
    const url = await listen(other);
    return {
      url,
      close() {
        other.closeAllConnections();
        other.close();
      },
    };
  }

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
      const response = await fetch(`${base}${path}`, {
        method: 'PUT',
        headers: { authorization, origin: base },
      });
      expect(response.status, path).toBe(405);
    }
    expect(await queues.purge.getJobState(jobId)).toBe('failed');
  });

  it('refuses a cross-site job add with 403, credentials and all, and adds nothing', async () => {
    const authorization = basic(credentials.user, credentials.password);
    const probeId = 'cross-site-probe';
    const before = await queues.archive.getJobCounts();
    const job = JSON.stringify({ name: 'archive', data: { planted: true }, options: { jobId: probeId } });
    // A form or a no-cors fetch from another site (text/plain needs no preflight), and the JSON a script sends.
    for (const contentType of ['text/plain', 'application/json']) {
      const response = await fetch(`${base}/api/queues/archive/add`, {
        method: 'POST',
        headers: { authorization, origin: 'http://evil.example', 'content-type': contentType },
        body: job,
      });
      expect(response.status, contentType).toBe(403);
      expect(response.headers.get('x-powered-by')).toBeNull();
      expect(await response.json()).toEqual({
        error: 'forbidden',
        reason: expect.stringContaining('http://evil.example'),
      });
    }
    expect(await queues.archive.getJobCounts()).toEqual(before);
    expect(await queues.archive.getJob(probeId)).toBeUndefined();

    // The same request from the board's own origin does add the job: the route is real, the 403 stopped it.
    const own = await fetch(`${base}/api/queues/archive/add`, {
      method: 'POST',
      headers: { authorization, origin: base, 'content-type': 'application/json' },
      body: job,
    });
    expect(own.status).toBe(200);
    expect(await queues.archive.getJobState(probeId)).toBe('waiting');
    await queues.archive.remove(probeId);
  });

  it('refuses a write whose Sec-Fetch-Site is cross-site or same-site, and leaves the job failed', async () => {
    const authorization = basic(credentials.user, credentials.password);
    for (const site of ['cross-site', 'same-site']) {
      const response = await fetch(`${base}/api/queues/archive/retry/failed`, {
        method: 'PUT',
        headers: { authorization, 'sec-fetch-site': site },
      });
      expect(response.status, site).toBe(403);
      expect(await response.json()).toEqual({ error: 'forbidden', reason: expect.stringContaining(site) });
    }
    expect(await queues.archive.getJobState(archiveJobId(secondArchiveSid))).toBe('failed');
  });

  it('refuses a write with neither Origin nor Sec-Fetch-Site, and says what a script must send', async () => {
    const authorization = basic(credentials.user, credentials.password);
    for (const [method, path] of [
      ['PUT', '/api/queues/archive/retry/failed'],
      ['PUT', `/api/queues/archive/${archiveJobId(secondArchiveSid)}/retry`],
      ['PUT', `/api/queues/archive/${archiveJobId(secondArchiveSid)}/clean`],
      ['POST', '/api/queues/archive/add'],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method, headers: { authorization } });
      expect(response.status, path).toBe(403);
      const { host } = new URL(base);
      expect(await response.json()).toEqual({
        error: 'forbidden',
        reason: expect.stringContaining(`Origin: http(s)://${host}`),
      });
    }
    expect(await queues.archive.getJobState(archiveJobId(secondArchiveSid))).toBe('failed');
  });

  it('retries a failed archive job', async () => {
    const authorization = basic(credentials.user, credentials.password);
    const jobId = archiveJobId(archiveSid);
    expect(await queues.archive.getJobState(jobId)).toBe('failed');
    // What a script sends: the board's own origin.
    const response = await fetch(`${base}/api/queues/archive/${jobId}/retry`, {
      method: 'PUT',
      headers: { authorization, origin: base },
    });
    expect(response.status).toBe(204);
    // No worker runs here, so the retried job waits.
    expect(await queues.archive.getJobState(jobId)).toBe('waiting');
  });

  it('retries all failed archive jobs for a request that says it is same-origin', async () => {
    const authorization = basic(credentials.user, credentials.password);
    const jobId = archiveJobId(secondArchiveSid);
    expect(await queues.archive.getJobState(jobId)).toBe('failed');
    const response = await fetch(`${base}/api/queues/archive/retry/failed`, {
      method: 'PUT',
      headers: { authorization, 'sec-fetch-site': 'same-origin' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ retried: 1, skipped: 0 });
    expect(await queues.archive.getJobState(jobId)).toBe('waiting');
    expect((await queues.archive.getJobCounts('failed')).failed).toBe(0);
  });

  it('never sends X-Powered-By, from the board, its API, its assets or its refusals', async () => {
    const authorization = basic(credentials.user, credentials.password);
    const answers = [
      await fetch(`${base}/`, { headers: { authorization } }),
      await fetch(`${base}/queue/archive`, { headers: { authorization } }),
      await fetch(`${base}/api/queues`, { headers: { authorization } }),
      await fetch(`${base}/static/favicon-32x32.png`, { headers: { authorization } }),
      await fetch(`${base}/api/queues/no-such-queue`, { headers: { authorization } }),
      await fetch(`${base}/`),
      await fetch(`${base}/api/queues/archive/add`, { method: 'POST', headers: { authorization } }),
      await fetch(`${base}/healthz`),
    ];
    for (const answer of answers) {
      await answer.arrayBuffer();
      expect(answer.headers.get('x-powered-by'), `${answer.url} ${answer.status}`).toBeNull();
    }
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 404, 401, 403, 200]);
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
      // Without a login in the way, the same-origin rule is all that stops another site's writes.
      const before = await queues.archive.getJobCounts();
      const planted = await fetch(`${url}/api/queues/archive/add`, {
        method: 'POST',
        headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
        body: JSON.stringify({ name: 'archive', data: {} }),
      });
      expect(planted.status).toBe(403);
      expect(await queues.archive.getJobCounts()).toEqual(before);
    } finally {
      open.closeAllConnections();
      open.close();
    }
  });

  describe('failed logins', () => {
    const right = basic(credentials.user, credentials.password);
    const wrong = basic(credentials.user, wrongPassword);

    it('answers 429 with Retry-After from the 11th try after 10 failures, right password included', async () => {
      const lines: string[] = [];
      const board = await serveAnother({
        // The defaults: 10 failed logins per minute.
        logger: createLogger({
          name: 'dashboard',
          level: 'info',
          destination: { write: (line: string) => void lines.push(line) },
        }),
      });
      try {
        for (let i = 1; i <= 10; i++) {
          const response = await fetch(`${board.url}/api/queues`, { headers: { authorization: wrong } });
          expect(response.status, `failure ${i}`).toBe(401);
        }
        for (const authorization of [wrong, right, undefined]) {
          const response = await fetch(`${board.url}/api/queues`, {
            headers: authorization ? { authorization } : {},
          });
          expect(response.status).toBe(429);
          const retryAfter = Number(response.headers.get('retry-after'));
          expect(retryAfter).toBeGreaterThanOrEqual(1);
          expect(retryAfter).toBeLessThanOrEqual(60);
          expect(response.headers.get('x-powered-by')).toBeNull();
          expect(await response.json()).toEqual({
            error: 'too many failed logins',
            reason: expect.stringMatching(/^10 failed logins from this address; try again in \d+ s$/),
          });
        }
        // The board's own page and assets too; only /healthz stays open.
        expect((await fetch(`${board.url}/`, { headers: { authorization: right } })).status).toBe(429);
        expect((await fetch(`${board.url}/healthz`)).status).toBe(200);
        // Trust proxy is off: a client cannot name itself another one.
        const spoofed = await fetch(`${board.url}/api/queues`, {
          headers: { authorization: right, 'x-forwarded-for': '203.0.113.9' },
        });
        expect(spoofed.status).toBe(429);

        // Another client is not held up, and its own failures are its own.
        expect(
          (await requestFrom('127.0.0.2', `${board.url}/api/queues`, { headers: { authorization: right } }))
            .status,
        ).toBe(200);
        expect(
          (await requestFrom('127.0.0.2', `${board.url}/api/queues`, { headers: { authorization: wrong } }))
            .status,
        ).toBe(401);

        // One warning per throttled client, and no credentials in it.
        const log = lines.join('');
        const warnings = lines.filter((line) => line.includes('too many failed logins'));
        expect(warnings).toHaveLength(1);
        expect(JSON.parse(warnings[0] ?? '{}')).toMatchObject({
          level: 'warn',
          client: '127.0.0.1',
          failures: 10,
        });
        expect(log).not.toContain(wrongPassword);
        expect(log).not.toContain(credentials.password);
        expect(log).not.toContain(wrong.slice('Basic '.length));
      } finally {
        board.close();
      }
    });

    it('does not count successful logins, not even dozens at once', async () => {
      const board = await serveAnother({ loginThrottle: { failedLogins: 3, windowMs: 60_000 } });
      try {
        for (let i = 0; i < 2; i++) {
          expect((await fetch(`${board.url}/`, { headers: { authorization: wrong } })).status).toBe(401);
        }
        // A board page loads its assets and API in parallel: none of it may use up the allowance.
        const paths = ['/', '/api/queues', '/static/favicon-32x32.png', '/queue/archive', '/api/redis/stats'];
        const loads = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            fetch(`${board.url}${paths[i % paths.length]}`, { headers: { authorization: right } }).then(
              async (response) => {
                await response.arrayBuffer();
                return response.status;
              },
            ),
          ),
        );
        expect(loads).toEqual(loads.map(() => 200));
        // A request without credentials (the browser's first, before the challenge) is no failure either.
        expect((await fetch(`${board.url}/`)).status).toBe(401);
        // The third failure is still answered 401; only then is the client throttled.
        expect((await fetch(`${board.url}/`, { headers: { authorization: wrong } })).status).toBe(401);
        expect((await fetch(`${board.url}/`, { headers: { authorization: right } })).status).toBe(429);
      } finally {
        board.close();
      }
    });

    it('lets the client in again once its window has passed', async () => {
      const board = await serveAnother({ loginThrottle: { failedLogins: 2, windowMs: 300 } });
      try {
        for (let i = 0; i < 2; i++) {
          expect((await fetch(`${board.url}/`, { headers: { authorization: wrong } })).status).toBe(401);
        }
        expect((await fetch(`${board.url}/`, { headers: { authorization: right } })).status).toBe(429);
        let status = 429;
        for (let i = 0; i < 100 && status === 429; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          status = (await fetch(`${board.url}/`, { headers: { authorization: right } })).status;
        }
        expect(status).toBe(200);
      } finally {
        board.close();
      }
    });

    it('behind a trusted proxy, counts the client that X-Forwarded-For names', async () => {
      const board = await serveAnother({
        trustProxy: 'loopback',
        loginThrottle: { failedLogins: 2, windowMs: 60_000 },
      });
      const from = (client: string, authorization: string) =>
        fetch(`${board.url}/api/queues`, { headers: { authorization, 'x-forwarded-for': client } });
      try {
        expect((await from('198.51.100.1', wrong)).status).toBe(401);
        expect((await from('198.51.100.1', wrong)).status).toBe(401);
        expect((await from('198.51.100.1', right)).status).toBe(429);
        expect((await from('198.51.100.2', right)).status).toBe(200);
        expect((await from('198.51.100.2', wrong)).status).toBe(401);
      } finally {
        board.close();
      }
    });
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
