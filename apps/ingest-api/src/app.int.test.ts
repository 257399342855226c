import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { archiveJobId, QueueName } from '@recording-vault/contract';
import { createLogger } from '@recording-vault/logger';
import { producerConnection, workerConnection } from '@recording-vault/redis';
import {
  makeSid,
  type RedisTestServer,
  sendRecordingStatusCallback,
  startRedisServer,
  testQueuePrefix,
} from '@recording-vault/testkit';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callbackPath, createIngestApp, type IngestDeps } from './app.ts';
import { createArchiveEnqueuer } from './archive-enqueuer.ts';
import { createIngestMetrics } from './metrics.ts';

const account = makeSid('AC');
const token = 'a1'.repeat(16);
const rotatedToken = 'b2'.repeat(16);
const otherAccount = makeSid('AC');
const otherToken = 'c3'.repeat(16);
const publicBaseUrl = 'https://vault.example.com';
const publicUrl = `${publicBaseUrl}${callbackPath}`;

let redisServer: RedisTestServer;
let redis: Redis;
let queue: Queue;
let queuePrefix: string;
let server: Server;
let url: string;
let cleanup: () => Promise<void>;
let logger: IngestDeps['logger'];
const logLines: Record<string, unknown>[] = [];

function callbackParams(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: account,
    CallSid: makeSid('CA'),
    RecordingSid: makeSid('RE'),
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${account}/Recordings/RE0`,
    RecordingStatus: 'completed',
    RecordingDuration: '42',
    RecordingChannels: '2',
    RecordingStartTime: 'Tue, 24 Nov 2026 03:00:00 +0000',
    RecordingSource: 'DialVerb',
    RecordingTrack: 'both',
    ErrorCode: '0',
    ...overrides,
  };
}

function send(params: Record<string, string>, options: { authToken?: string; signedUrl?: string } = {}) {
  return sendRecordingStatusCallback({
    url,
    signedUrl: options.signedUrl ?? publicUrl,
    authToken: options.authToken ?? token,
    params,
  });
}

async function jobCount(): Promise<number> {
  const counts = await queue.getJobCounts(
    'waiting',
    'delayed',
    'active',
    'completed',
    'failed',
    'prioritized',
  );
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

beforeAll(async () => {
  redisServer = await startRedisServer({ appendOnly: true });
});
afterAll(async () => {
  await redisServer.close();
});

beforeEach(async () => {
  const prefix = testQueuePrefix(redisServer.url);
  cleanup = prefix.cleanup;
  queuePrefix = prefix.prefix;
  redis = producerConnection(redisServer.url);
  redis.on('error', () => {});
  queue = new Queue(QueueName.archive, { connection: redis, prefix: prefix.prefix });
  queue.on('error', () => {});
  await queue.waitUntilReady();
  logLines.length = 0;
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  logger = createLogger({ name: 'ingest-api', destination });
  ({ server, url } = await listen({}));
});

/** The app as main.ts builds it, over this test's queue, with `extra` on top; `url` is the callback URL. */
async function listen(extra: Partial<IngestDeps>): Promise<{ server: Server; url: string }> {
  const app = createIngestApp({
    logger,
    metrics: createIngestMetrics(),
    publicBaseUrl,
    tokensByAccount: new Map([
      [account, [token, rotatedToken]],
      [otherAccount, [otherToken]],
    ]),
    enqueueArchive: createArchiveEnqueuer(queue),
    isQueueReady: async () => redis.status === 'ready' && (await redis.ping()) === 'PONG',
    ...extra,
  });
  const listening = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => listening.once('listening', resolve));
  return {
    server: listening,
    url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}${callbackPath}`,
  };
}

afterEach(async () => {
  await redisServer.resume();
  await new Promise((resolve) => server.close(resolve));
  await cleanup();
  await queue.close();
  redis.disconnect();
});

describe('a completed callback', () => {
  it('creates one archive job with the recording id and identifiers only', async () => {
    const params = callbackParams();
    const response = await send(params);
    expect(response.status).toBe(204);

    const job = await queue.getJob(archiveJobId(params.RecordingSid as string));
    expect(job?.data).toEqual({
      accountSid: account,
      recordingSid: params.RecordingSid,
      callSid: params.CallSid,
      origin: 'callback',
      callback: {
        status: 'completed',
        duration: 42,
        channels: 2,
        startTime: '2026-11-24T03:00:00.000Z',
        source: 'DialVerb',
        track: 'both',
        errorCode: '0',
        receivedAt: expect.any(String),
      },
    });
    expect(JSON.stringify(job?.data)).not.toMatch(/https?:|api\.twilio\.com/);
    expect(job?.opts.attempts).toBeGreaterThan(1);
    expect(await jobCount()).toBe(1);
  });

  it('collapses 50 concurrent duplicates into one job, answering each 204', async () => {
    const params = callbackParams();
    const responses = await Promise.all(Array.from({ length: 50 }, () => send(params)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(204));
    expect(await jobCount()).toBe(1);
  });

  it('accepts every token of a rotation, and each account with its own token', async () => {
    expect((await send(callbackParams(), { authToken: token })).status).toBe(204);
    expect((await send(callbackParams(), { authToken: rotatedToken })).status).toBe(204);
    const other = callbackParams({ AccountSid: otherAccount });
    expect((await send(other, { authToken: otherToken })).status).toBe(204);
    expect((await send(callbackParams({ AccountSid: otherAccount }), { authToken: token })).status).toBe(403);
    expect(await jobCount()).toBe(3);
  });

  it('accepts parameters it does not know, since Twilio adds some without notice', async () => {
    const response = await send(callbackParams({ RecordingNewField: 'x', ConferenceSid: '' }));
    expect(response.status).toBe(204);
    expect(await jobCount()).toBe(1);
  });
});

describe('other statuses', () => {
  it.each(['in-progress', 'absent', 'failed'])(
    '%s is acknowledged, counted and not enqueued',
    async (status) => {
      const params = callbackParams({
        RecordingStatus: status,
        ErrorCode: status === 'absent' ? '16101' : '0',
      });
      const response = await send(params);
      expect(response.status).toBe(204);
      expect(await jobCount()).toBe(0);
      const metrics = await (await fetch(url.replace(callbackPath, '/metrics'))).text();
      expect(metrics).toContain(`rv_ingest_callbacks_total{status="${status}",outcome="ignored"} 1`);
      expect(logLines).toContainEqual(
        expect.objectContaining({
          recordingSid: params.RecordingSid,
          errorCode: params.ErrorCode,
          level: 'info',
        }),
      );
    },
  );
});

describe('signatures', () => {
  it.each([
    [
      'signed for another URL',
      () => send(callbackParams(), { signedUrl: 'https://evil.example.com/twilio/recording-status' }),
    ],
    ['signed with another token', () => send(callbackParams(), { authToken: 'f'.repeat(32) })],
    [
      'one parameter changed after signing',
      async () => {
        const params = callbackParams();
        const signature = (await import('twilio')).default.getExpectedTwilioSignature(
          token,
          publicUrl,
          params,
        );
        return fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams({ ...params, RecordingDuration: '43' }),
        });
      },
    ],
    [
      'no signature',
      () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(callbackParams()),
        }),
    ],
    ['an account that is not configured', () => send(callbackParams({ AccountSid: makeSid('AC') }))],
  ])('%s is refused with the one 403 answer and nothing enqueued', async (_name, request) => {
    const response = await request();
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: 'signature check failed' });
    expect(await jobCount()).toBe(0);
    const warning = logLines.find((line) => line.msg === 'callback refused');
    expect(warning?.level).toBe('warn');
    expect(JSON.stringify(logLines)).not.toContain(token);
  });

  it('gives a prober one answer whatever the cause, and the log the cause', async () => {
    const unknownAccount = await send(callbackParams({ AccountSid: makeSid('AC') }));
    const badSignature = await send(callbackParams(), { authToken: 'f'.repeat(32) });
    const noSignature = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(callbackParams()),
    });
    const answers = await Promise.all(
      [unknownAccount, badSignature, noSignature].map(async (response) => ({
        status: response.status,
        contentType: response.headers.get('content-type'),
        body: await response.text(),
      })),
    );
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]?.status).toBe(403);
    const reasons = logLines.filter((line) => line.msg === 'callback refused').map((line) => line.reason);
    expect(reasons).toEqual(['unknown account', 'invalid signature', 'missing signature']);
  });

  it('is checked against PUBLIC_BASE_URL, not the Host header', async () => {
    const params = callbackParams();
    const signedForHost = await sendRecordingStatusCallback({ url, authToken: token, params });
    expect(signedForHost.status).toBe(403);
  });
});

describe('bad input', () => {
  it.each([
    ['RecordingSid', { RecordingSid: 'RE123' }],
    ['RecordingSid', { RecordingSid: `RE${'A'.repeat(32)}` }],
    ['CallSid', { CallSid: makeSid('CF') }],
    ['RecordingStatus', { RecordingStatus: 'done' }],
    ['RecordingDuration', { RecordingDuration: '-1' }],
    ['RecordingChannels', { RecordingChannels: '3' }],
    ['RecordingStartTime', { RecordingStartTime: 'yesterday' }],
    ['ErrorCode', { ErrorCode: 'x' }],
  ])('a bad %s is 400 naming the field', async (field, overrides) => {
    const response = await send(callbackParams(overrides));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field, reason: expect.any(String) });
    expect(await jobCount()).toBe(0);
  });

  it('a body over 64 KiB is 413', async () => {
    const response = await send(callbackParams({ Padding: 'x'.repeat(70 * 1024) }));
    expect(response.status).toBe(413);
    expect(await jobCount()).toBe(0);
  });

  it('another content type is 415', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(callbackParams()),
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error: expect.any(String) });
    expect(await jobCount()).toBe(0);
  });

  it('other methods are 405 and other paths 404, in JSON', async () => {
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.headers.get('content-type')).toContain('application/json');
    const missing = await fetch(url.replace(callbackPath, '/nope'), { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });
    expect(await jobCount()).toBe(0);
  });
});

describe('when Redis goes away', () => {
  it('answers 503 within a second, turns unready, and recovers when Redis returns', async () => {
    expect((await fetch(url.replace(callbackPath, '/readyz'))).status).toBe(200);
    await redisServer.kill();

    const startedAt = performance.now();
    const refused = await send(callbackParams());
    const elapsedMs = performance.now() - startedAt;
    expect(refused.status).toBe(503);
    expect(elapsedMs).toBeLessThan(1_000);
    expect((await fetch(url.replace(callbackPath, '/readyz'))).status).toBe(503);

    await redisServer.start();
    const params = callbackParams();
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 204; attempt++) {
      status = (await send(params)).status;
      if (status !== 204) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(204);
    expect((await fetch(url.replace(callbackPath, '/readyz'))).status).toBe(200);
    expect(await queue.getJob(archiveJobId(params.RecordingSid as string))).toBeDefined();
  });
});

describe('when Redis stalls', () => {
  it('answers /readyz and callbacks 503 in bounded time, and is ready again once Redis resumes', async () => {
    const readyz = url.replace(callbackPath, '/readyz');
    expect((await fetch(readyz)).status).toBe(200);
    await redisServer.pause();

    // The connection stays up and PING gets no answer: only a deadline tells. Bounds are loose on
    // purpose (the product promises /readyz within 1 s; a slow machine must not fail this test).
    const startedAt = performance.now();
    const [ready, refused] = await Promise.all([fetch(readyz), send(callbackParams())]);
    const elapsedMs = performance.now() - startedAt;
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'redis unavailable' });
    expect(refused.status).toBe(503);
    expect(elapsedMs).toBeLessThan(5_000);

    await redisServer.resume();
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = (await fetch(readyz)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
    expect((await send(callbackParams())).status).toBe(204);
  });
});

describe('/metrics', () => {
  const metricsToken = 'scrape-me-0123456789abcdef';

  it('is open when no METRICS_TOKEN is set', async () => {
    const response = await fetch(url.replace(callbackPath, '/metrics'));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('rv_ingest_callbacks_total');
  });

  it('with METRICS_TOKEN, answers its bearer only, 401 in JSON otherwise, never echoing the token', async () => {
    const protectedApp = await listen({ metricsToken });
    const metricsUrl = protectedApp.url.replace(callbackPath, '/metrics');
    try {
      for (const authorization of [
        undefined,
        'Bearer not-the-metrics-token-000',
        `Bearer ${metricsToken.slice(0, -1)}`,
        metricsToken,
        `Basic ${Buffer.from(`user:${metricsToken}`).toString('base64')}`,
      ]) {
        const refused = await fetch(metricsUrl, { headers: authorization ? { authorization } : {} });
        expect(refused.status).toBe(401);
        expect(refused.headers.get('content-type')).toContain('application/json');
        expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
        const body = await refused.text();
        expect(JSON.parse(body)).toEqual({ error: expect.any(String) });
        expect(body).not.toContain(metricsToken);
      }
      const allowed = await fetch(metricsUrl, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('rv_ingest_callbacks_total');
      // The probes stay open.
      expect((await fetch(protectedApp.url.replace(callbackPath, '/healthz'))).status).toBe(200);
      expect(JSON.stringify(logLines)).not.toContain(metricsToken);
    } finally {
      await new Promise((resolve) => protectedApp.server.close(resolve));
    }
  });
});

describe('a recording whose archive job already finished', () => {
  /** Runs the job for `recordingSid` through a worker whose processor does `work`, until it settles. */
  async function settleJob(recordingSid: string, work: () => Promise<unknown>): Promise<void> {
    const connection = workerConnection(redisServer.url);
    connection.on('error', () => {});
    const worker = new Worker(QueueName.archive, work, { connection, prefix: queuePrefix });
    worker.on('error', () => {});
    try {
      const jobId = archiveJobId(recordingSid);
      for (let i = 0; i < 200; i++) {
        const state = await queue.getJobState(jobId);
        if (state === 'failed' || state === 'completed') return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`job ${jobId} did not settle`);
    } finally {
      await worker.close();
      connection.disconnect();
    }
  }

  it('in the failed set, is re-armed by a new callback: waiting again with its attempts reset', async () => {
    const params = callbackParams();
    const recordingSid = params.RecordingSid as string;
    const jobId = archiveJobId(recordingSid);
    expect((await send(params)).status).toBe(204);
    await settleJob(recordingSid, async () => {
      throw new UnrecoverableError('recording not found at Twilio');
    });
    const failed = await queue.getJob(jobId);
    expect(await failed?.getState()).toBe('failed');
    expect(failed?.attemptsMade).toBe(1);

    const response = await send({ ...params, CallSid: params.CallSid as string });
    expect(response.status).toBe(204);
    expect(await queue.getJobState(jobId)).toBe('waiting');
    const rearmed = await queue.getJob(jobId);
    expect(rearmed?.attemptsMade).toBe(0);
    expect(rearmed?.attemptsStarted).toBe(0);
    expect(rearmed?.failedReason).toBeFalsy();
    expect(await jobCount()).toBe(1);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        msg: 're-armed failed archive job',
        recordingSid,
        failedReason: 'recording not found at Twilio',
      }),
    );
  });

  it('completed, stays completed when announced again', async () => {
    const params = callbackParams();
    const recordingSid = params.RecordingSid as string;
    expect((await send(params)).status).toBe(204);
    await settleJob(recordingSid, async () => 'archived');

    expect((await send(params)).status).toBe(204);
    expect(await queue.getJobState(archiveJobId(recordingSid))).toBe('completed');
    expect(logLines.some((line) => line.msg === 're-armed failed archive job')).toBe(false);
  });
});
