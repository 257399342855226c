import type { AddressInfo } from 'node:net';
import { parseEnv } from '@recording-vault/config';
import { archiveJobId, QueueName } from '@recording-vault/contract';
import { createLogger } from '@recording-vault/logger';
import {
  makeSid,
  type RedisClusterNode,
  type RedisTestCluster,
  type RedisTestSentinel,
  type RedisTestServer,
  sendRecordingStatusCallback,
  startRedisCluster,
  startRedisSentinel,
  startRedisServer,
} from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ingestEnv } from './config.ts';
import { callbackPath, type IngestHandle, startIngest } from './start.ts';

const account = makeSid('AC');
const token = 'e5'.repeat(16);
const publicBaseUrl = 'https://vault.example.com';
// Generous: a failover, a restarted node's sync and the machine's load all take their time.
const patience = 60_000;

/** An ingest API started in this process as its main starts it, from variables. */
interface Ingest {
  /** Sends a signed completed-recording callback; its HTTP status and the recording. */
  callback(): Promise<{ status: number; recordingSid: string }>;
  /** The sum of a metric's samples whose labels include `labels`. */
  metric(name: string, labels?: string): Promise<number>;
  close(): Promise<void>;
}

async function startIngestWith(env: Record<string, string>): Promise<Ingest> {
  const handle: IngestHandle = await startIngest(
    parseEnv(ingestEnv, {
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN: token,
      PUBLIC_BASE_URL: publicBaseUrl,
      INGEST_PORT: '0',
      INGEST_HOST: '127.0.0.1',
      ...env,
    }),
    createLogger({ name: 'ingest-api', level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  );
  const origin = `http://127.0.0.1:${(handle.server.address() as AddressInfo).port}`;
  // It listens at once and answers 503 until Redis answers: the tests begin once it is ready.
  await vi
    .waitFor(
      async () => {
        if ((await fetch(`${origin}/readyz`)).status !== 200) throw new Error('not ready yet');
      },
      { timeout: patience, interval: 50 },
    )
    .catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
  return {
    async callback() {
      const recordingSid = makeSid('RE');
      const response = await sendRecordingStatusCallback({
        url: `${origin}${callbackPath}`,
        signedUrl: `${publicBaseUrl}${callbackPath}`,
        authToken: token,
        params: {
          AccountSid: account,
          CallSid: makeSid('CA'),
          RecordingSid: recordingSid,
          RecordingStatus: 'completed',
          RecordingDuration: '7',
        },
      });
      return { status: response.status, recordingSid };
    },
    async metric(name, labels = '') {
      const text = await (await fetch(`${origin}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .filter((line) => line.includes(labels))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    },
    close: () => handle.close(),
  };
}

/**
 * Whether a server holds the recording's archive job, asked on that server alone: a replica of a cluster
 * answers for its own data after READONLY (it would redirect to its primary otherwise).
 */
async function holdsJob(
  port: number,
  prefix: string,
  recordingSid: string,
  { cluster }: { cluster: boolean },
): Promise<boolean> {
  const server = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await server.connect();
    if (cluster) await server.call('READONLY');
    return (await server.exists(`${prefix}:${QueueName.archive}:${archiveJobId(recordingSid)}`)) === 1;
  } finally {
    server.disconnect();
  }
}

/** Sends callbacks until one is answered 204, every other answer a 503; that one. */
async function untilAcknowledged(ingest: Ingest): Promise<{ recordingSid: string; refused: number }> {
  const deadline = Date.now() + patience;
  let refused = 0;
  while (Date.now() < deadline) {
    const { status, recordingSid } = await ingest.callback();
    if (status === 204) return { recordingSid, refused };
    expect(status).toBe(503);
    refused++;
  }
  throw new Error(`no callback was acknowledged within ${patience} ms`);
}

/**
 * Once a failover promoted a primary without a replica: until the producer follows to the new primary its
 * adds fail (or its connection changes under them); then the job is written there but has no replica to
 * reach. 503 throughout, until WAIT itself answered on the new primary with too few replicas; the job of
 * the next callback, refused too, is on the new primary.
 */
async function expectRefusedOnPromotedPrimary(ingest: Ingest, successorPort: number, prefix: string) {
  const timeoutsBefore = await ingest.metric('rv_ingest_replica_waits_total', 'outcome="timeout"');
  const statuses: number[] = [];
  await expect
    .poll(
      async () => {
        statuses.push((await ingest.callback()).status);
        return await ingest.metric('rv_ingest_replica_waits_total', 'outcome="timeout"');
      },
      { timeout: patience, interval: 50 },
    )
    .toBeGreaterThan(timeoutsBefore);
  expect(new Set(statuses)).toEqual(new Set([503]));
  const { status, recordingSid } = await ingest.callback();
  expect(status).toBe(503);
  expect(await holdsJob(successorPort, prefix, recordingSid, { cluster: false })).toBe(true);
}

describe('on a Redis Cluster (3 primaries, 3 replicas)', () => {
  const prefix = '{rv-test}';
  let cluster: RedisTestCluster;
  /** INGEST_MIN_REPLICAS unset: one replica, learned from the slot's primary. */
  let auto: Ingest;
  /** INGEST_MIN_REPLICAS=1. */
  let one: Ingest;
  const replicaOfPrimary = async () => {
    const [replica] = await cluster.replicasOf(await cluster.primaryFor(prefix));
    if (!replica) throw new Error("the slot's primary has no replica");
    return replica;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
    const env = {
      REDIS_CLUSTER_NODES: cluster.seeds.join(','),
      QUEUE_PREFIX: prefix,
      INGEST_REPLICA_TIMEOUT_MS: '500',
    };
    auto = await startIngestWith(env);
    one = await startIngestWith({ ...env, INGEST_MIN_REPLICAS: '1' });
  }, 120_000);
  afterAll(async () => {
    await auto?.close();
    await one?.close();
    await cluster?.close();
  });

  it("answers 204 once the job is on the replica of the slot's primary", async () => {
    for (const ingest of [auto, one]) {
      // A busy machine may keep the replica's acknowledgement past the 500 ms allowed here: that callback
      // is answered 503, as it must be, and the next one is tried.
      const { recordingSid } = await untilAcknowledged(ingest);
      // No waiting here: the 204 itself says the replica has it.
      expect(await holdsJob((await replicaOfPrimary()).port, prefix, recordingSid, { cluster: true })).toBe(
        true,
      );
      expect(await ingest.metric('rv_ingest_replicas_required')).toBe(1);
      expect(await ingest.metric('rv_ingest_replica_waits_total', 'outcome="replicated"')).toBe(1);
      // Every wait is timed, the refused ones too.
      expect(await ingest.metric('rv_ingest_replica_wait_duration_seconds_count')).toBe(
        await ingest.metric('rv_ingest_replica_waits_total'),
      );
    }
  });

  it('answers 503, never 204, while that replica is down, and 204 again once it is back', async () => {
    const replica = await replicaOfPrimary();
    await cluster.kill(replica);
    try {
      const answers = await Promise.all(
        [auto, one].flatMap((ingest) => [1, 2, 3].map(() => ingest.callback())),
      );
      expect(answers.map((answer) => answer.status)).toEqual([503, 503, 503, 503, 503, 503]);
      // The primary holds the jobs all the same: only the promise of a 204 was withheld.
      const primary = await cluster.primaryFor(prefix);
      for (const { recordingSid } of answers) {
        expect(await holdsJob(primary.port, prefix, recordingSid, { cluster: false })).toBe(true);
      }
      expect(await one.metric('rv_ingest_callbacks_total', 'outcome="unreplicated"')).toBe(3);
    } finally {
      await cluster.restart(replica);
    }
    await cluster.waitUntilHealthy(patience);
    for (const ingest of [auto, one]) {
      const { recordingSid } = await untilAcknowledged(ingest);
      expect(await holdsJob(replica.port, prefix, recordingSid, { cluster: true })).toBe(true);
    }
  }, 120_000);

  it('answers 503 while no primary serves the slot, and while the promoted one has no replica yet; 204 once the old primary is back as its replica', async () => {
    const primary = await cluster.primaryFor(prefix);
    // Held back, the failover leaves the slot without a primary for as long as the test needs.
    await cluster.holdFailovers();
    await cluster.kill(primary);
    let successor: RedisClusterNode;
    try {
      const withoutPrimary = await Promise.all([auto, one, auto, one].map((ingest) => ingest.callback()));
      expect(withoutPrimary.map((answer) => answer.status)).toEqual([503, 503, 503, 503]);
      await cluster.releaseFailovers();
      successor = await cluster.waitForFailover(prefix, patience);
      for (const ingest of [auto, one]) await expectRefusedOnPromotedPrimary(ingest, successor.port, prefix);
    } finally {
      await cluster.releaseFailovers();
      // As an orchestrator restarts a crashed node: it rejoins as the successor's replica.
      await cluster.restart(primary);
    }
    await cluster.waitUntilHealthy(patience);
    expect(await cluster.roleOf(primary)).toBe('replica');
    for (const ingest of [auto, one]) {
      const { recordingSid } = await untilAcknowledged(ingest);
      expect(await holdsJob(primary.port, prefix, recordingSid, { cluster: true })).toBe(true);
    }
  }, 180_000);
});

describe('with Sentinel (a primary, its replica, three sentinels)', () => {
  const prefix = 'rv-test';
  let deployment: RedisTestSentinel;
  let ingest: Ingest;
  beforeAll(async () => {
    deployment = await startRedisSentinel();
    ingest = await startIngestWith({
      REDIS_SENTINELS: deployment.sentinels.join(','),
      REDIS_SENTINEL_NAME: deployment.masterName,
      QUEUE_PREFIX: prefix,
    });
  }, 120_000);
  afterAll(async () => {
    await ingest?.close();
    await deployment?.close();
  });

  it("answers 204 once the job is on the primary's replica", async () => {
    const { status, recordingSid } = await ingest.callback();
    expect(status).toBe(204);
    const primary = await deployment.primary();
    const replica = deployment.nodes.find((node) => node.port !== primary.port);
    if (!replica) throw new Error('no replica');
    expect(await holdsJob(replica.port, prefix, recordingSid, { cluster: false })).toBe(true);
    expect(await ingest.metric('rv_ingest_replicas_required')).toBe(1);
  });

  it('answers 503, never 204, while no primary accepts writes, and while the promoted one has no replica yet; 204 once the old primary is back as its replica', async () => {
    // A replica was seen: from now on one is required, whoever the primary is.
    expect((await ingest.callback()).status).toBe(204);
    expect(await ingest.metric('rv_ingest_replicas_required')).toBe(1);
    const primary = await deployment.primary();
    // Held back, the failover leaves the deployment without a primary for as long as the test needs.
    await deployment.holdFailovers();
    await deployment.kill(primary);
    try {
      const withoutPrimary = await Promise.all([1, 2, 3, 4].map(() => ingest.callback()));
      expect(withoutPrimary.map((answer) => answer.status)).toEqual([503, 503, 503, 503]);
      // Still no primary: the sentinels name the one that is down.
      expect((await deployment.primary()).port).toBe(primary.port);
      expect((await ingest.callback()).status).toBe(503);

      await deployment.releaseFailovers();
      const successor = await deployment.waitForFailover(patience);
      expect(successor.port).not.toBe(primary.port);
      await expectRefusedOnPromotedPrimary(ingest, successor.port, prefix);
    } finally {
      await deployment.releaseFailovers();
      // As an orchestrator restarts a crashed server: the sentinels make it the successor's replica.
      await deployment.restart(primary);
    }
    await deployment.waitUntilHealthy(patience);
    expect(await deployment.roleOf(primary)).toBe('replica');
    const { recordingSid } = await untilAcknowledged(ingest);
    expect(await holdsJob(primary.port, prefix, recordingSid, { cluster: false })).toBe(true);
  }, 180_000);
});

describe('on one server without replicas', () => {
  const prefix = 'rv-test';
  let server: RedisTestServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('acknowledges once the server holds the job, as before, when INGEST_MIN_REPLICAS is unset', async () => {
    const ingest = await startIngestWith({ REDIS_URL: server.url, QUEUE_PREFIX: prefix });
    try {
      const { status, recordingSid } = await ingest.callback();
      expect(status).toBe(204);
      expect(await holdsJob(server.port, prefix, recordingSid, { cluster: false })).toBe(true);
      expect(await ingest.metric('rv_ingest_replicas_required')).toBe(0);
      expect(await ingest.metric('rv_ingest_replica_waits_total')).toBe(0);
    } finally {
      await ingest.close();
    }
  });

  it('answers 503 when INGEST_MIN_REPLICAS asks for a replica it does not have', async () => {
    const ingest = await startIngestWith({
      REDIS_URL: server.url,
      QUEUE_PREFIX: prefix,
      INGEST_MIN_REPLICAS: '1',
      INGEST_REPLICA_TIMEOUT_MS: '200',
    });
    try {
      expect((await ingest.callback()).status).toBe(503);
      expect(await ingest.metric('rv_ingest_replica_waits_total', 'outcome="timeout"')).toBe(1);
    } finally {
      await ingest.close();
    }
  });
});
