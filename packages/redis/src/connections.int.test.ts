import { randomBytes } from 'node:crypto';
import {
  type RedisTestCluster,
  type RedisTestSentinel,
  type RedisTestServer,
  startRedisCluster,
  startRedisSentinel,
  startRedisServer,
} from '@recording-vault/testkit';
import { Queue, Worker } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  producerConnection,
  type RedisAddress,
  type RedisConnection,
  type RedisTarget,
  workerConnection,
} from './connections.ts';
import { keySlot, primaryConnectionFor } from './slots.ts';

// The vault's hash tag: in cluster mode, every key of every queue lands in one slot.
const prefix = '{rv}';
// Generous: the machine running the tests may be busy.
const patience = { timeout: 60_000, interval: 100 };

const addressOf = (address: string): RedisAddress => {
  const [host = '', port = ''] = address.split(':');
  return { host, port: Number(port) };
};

/** A queue, a worker, their connections, and the names of the jobs the worker has processed. */
interface Line {
  producer: RedisConnection;
  workerSide: RedisConnection;
  queue: Queue;
  processed: string[];
  close(): Promise<void>;
}

function archiveLine(target: RedisTarget): Line {
  const name = `archive-${randomBytes(4).toString('hex')}`;
  const producer = producerConnection(target);
  const workerSide = workerConnection(target);
  // Reconnection attempts are reported as errors; the tests look at what the connections do instead.
  for (const connection of [producer, workerSide]) connection.on('error', () => {});
  const queue = new Queue(name, { connection: producer, prefix });
  queue.on('error', () => {});
  const processed: string[] = [];
  const worker = new Worker(name, async (job) => void processed.push(job.name), {
    connection: workerSide,
    prefix,
  });
  worker.on('error', () => {});
  return {
    producer,
    workerSide,
    queue,
    processed,
    async close() {
      await worker.close();
      await queue.close();
      producer.disconnect();
      workerSide.disconnect();
    },
  };
}

/** How a command ends within `ms`: a producer must reject, not hang, while no primary takes writes. */
async function outcomeWithin(command: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still pending'), ms);
  });
  const settled = command.then(
    () => 'accepted',
    () => 'rejected',
  );
  try {
    return await Promise.race([settled, pending]);
  } finally {
    clearTimeout(timer);
  }
}

/** Jobs added through a producer and a worker connection reach a worker, under the `{rv}` prefix. */
async function carriesJobsInBothProfiles(target: RedisTarget): Promise<void> {
  const line = archiveLine(target);
  const queueOnWorkerSide = new Queue(line.queue.name, { connection: line.workerSide, prefix });
  queueOnWorkerSide.on('error', () => {});
  try {
    await line.queue.add('from-producer', { recordingSid: 'RE1' });
    await queueOnWorkerSide.add('from-worker-side', { recordingSid: 'RE2' });
    await expect
      .poll(() => [...line.processed].sort(), patience)
      .toEqual(['from-producer', 'from-worker-side']);
    expect(await line.producer.exists(`${prefix}:${line.queue.name}:meta`)).toBe(1);
  } finally {
    await queueOnWorkerSide.close();
    await line.close();
  }
}

interface Outage {
  /** Makes sure nothing takes writes until `end` (failovers held back). */
  begin(): Promise<void>;
  /** Lets the deployment recover and waits until it has. */
  end(): Promise<void>;
}

/**
 * Before the outage a job goes through; during it the producer rejects at once rather than hang; after it
 * the same producer and worker connections carry jobs again, without being recreated.
 */
async function ridesOutAnOutage(target: RedisTarget, outage: Outage): Promise<void> {
  const line = archiveLine(target);
  try {
    await line.queue.add('before', {});
    await expect.poll(() => line.processed, patience).toContain('before');

    await outage.begin();
    expect(await outcomeWithin(line.queue.add('during', {}), 20_000)).toBe('rejected');
    expect(await outcomeWithin(line.producer.set(`${prefix}:probe`, 'x'), 20_000)).toBe('rejected');

    await outage.end();
    // The producer reconnects in the background: the caller tries again, as Twilio retries a webhook.
    await vi.waitFor(() => line.queue.add('after', {}), patience);
    await expect.poll(() => line.processed, patience).toContain('after');
    expect(line.processed).not.toContain('during');
  } finally {
    await line.close();
  }
}

describe('a single server', () => {
  let server: RedisTestServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('carries jobs added through either profile, from a URL or settings', async () => {
    expect(producerConnection(server.url, { lazyConnect: true })).toBeInstanceOf(Redis);
    await carriesJobsInBothProfiles(server.url);
    await carriesJobsInBothProfiles({ mode: 'single', url: server.url });
  });

  it('fails fast while the server is down and carries jobs again once it is back', async () => {
    await ridesOutAnOutage(server.url, { begin: () => server.kill(), end: () => server.start() });
  });
});

describe('a Redis Cluster', () => {
  let cluster: RedisTestCluster;
  let target: RedisTarget;
  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
    target = { mode: 'cluster', nodes: cluster.seeds.map(addressOf), auth: { tls: false } };
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('carries jobs added through either profile', async () => {
    const connection = producerConnection(target, { lazyConnect: true });
    expect(connection).toBeInstanceOf(Cluster);
    connection.disconnect();
    await carriesJobsInBothProfiles(target);
  });

  it("finds the node connection that carries the slot's commands to its primary", async () => {
    const connection = workerConnection(target) as Cluster;
    try {
      await connection.set(`${prefix}:probe`, 'x');
      const node = primaryConnectionFor(connection, `${prefix}:probe`);
      expect(node?.options.port).toBe((await cluster.primaryFor(prefix)).port);
      // The cluster's own connection to that node: what it sends there goes down this one.
      expect(connection.nodes('master')).toContain(node);
      expect(await node?.call('ROLE')).toEqual(expect.arrayContaining(['master']));
      for (const key of ['{rv}:archive:id', 'rv', 'a{}b', '{}{rv}', 'plain']) {
        expect(keySlot(key)).toBe(await node?.call('CLUSTER', 'KEYSLOT', key));
      }
    } finally {
      connection.disconnect();
    }
  });

  it("fails fast while the slot's primary is down and carries jobs again once its replica took over", async () => {
    const primary = await cluster.primaryFor(prefix);
    await ridesOutAnOutage(target, {
      async begin() {
        await cluster.holdFailovers();
        await cluster.kill(primary);
      },
      async end() {
        await cluster.releaseFailovers();
        await cluster.waitForFailover(prefix, 60_000);
      },
    });
    expect((await cluster.primaryFor(prefix)).port).not.toBe(primary.port);
  }, 180_000);
});

describe('Redis Sentinel', () => {
  let deployment: RedisTestSentinel;
  let target: RedisTarget;
  beforeAll(async () => {
    deployment = await startRedisSentinel();
    target = {
      mode: 'sentinel',
      sentinels: deployment.sentinels.map(addressOf),
      name: deployment.masterName,
      auth: { tls: false },
    };
  }, 120_000);
  afterAll(async () => {
    await deployment?.close();
  });
  afterEach(async () => {
    await deployment.releaseFailovers();
  });

  it('carries jobs added through either profile', async () => {
    await carriesJobsInBothProfiles(target);
  });

  it('fails fast while the primary is down and carries jobs again once the sentinels promoted its replica', async () => {
    const primary = await deployment.primary();
    await ridesOutAnOutage(target, {
      async begin() {
        await deployment.holdFailovers();
        await deployment.kill(primary);
      },
      async end() {
        await deployment.releaseFailovers();
        await deployment.waitForFailover(60_000);
      },
    });
    expect((await deployment.primary()).port).not.toBe(primary.port);
  }, 180_000);
});
