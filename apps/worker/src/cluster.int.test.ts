import { type RedisClusterNode, type RedisTestCluster, startRedisCluster } from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerHandle } from './start.ts';
import { keyOf, type RigOnRedis, startArchiveRigOnCluster } from './testing/archive-rig.ts';
import { askNode, listenForReleases, startWorkerFromEnv } from './testing/worker-from-env.ts';

// The hash tag puts every key of the vault in one slot, as production must on a cluster.
const prefix = '{rv-test}';

const keysOn = (port: number) => askNode(port, (node) => node.dbsize());

/** Subscribers of `channel` connected to that node (PUBSUB NUMSUB counts a node's own). */
const subscribersOn = (port: number, channel: string) =>
  askNode(port, async (node) => Number(((await node.pubsub('NUMSUB', channel)) as [string, number])[1]));

describe('a worker on a Redis Cluster (3 primaries, 3 replicas)', () => {
  let cluster: RedisTestCluster;
  let rig: RigOnRedis;
  let worker: WorkerHandle;
  const teardowns: Array<() => Promise<void>> = [];
  const onTeardown = (teardown: () => Promise<void>) => teardowns.push(teardown);

  /** A replica of a primary other than `primary`. */
  async function nodeAwayFrom(primary: RedisClusterNode): Promise<RedisClusterNode> {
    for (const node of cluster.nodes) {
      if (node.port === primary.port || (await cluster.roleOf(node)) !== 'primary') continue;
      const [replica] = await cluster.replicasOf(node);
      if (replica) return replica;
    }
    throw new Error('no other primary with a replica');
  }

  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
    rig = await startArchiveRigOnCluster(cluster, prefix, { driver: 'folder' });
    // Started as its main starts it, from the variables an operator sets: the cluster mode's own.
    worker = await startWorkerFromEnv(rig, prefix, {
      REDIS_CLUSTER_NODES: cluster.seeds.slice(0, 2).join(','),
    });
  }, 120_000);

  afterAll(async () => {
    for (const teardown of teardowns) await teardown();
    await worker?.close();
    await rig?.close();
    await cluster?.close();
  });

  it('archives a recording end to end, every key of the vault in the slot of its hash tag', async () => {
    // The window's releases are published by a script on the slot's primary; a cluster passes them to
    // subscribers on every node. This one listens on another primary's replica.
    const elsewhere = await nodeAwayFrom(await cluster.primaryFor(prefix));
    const { released, close } = await listenForReleases(elsewhere.port, prefix);
    onTeardown(close);

    const recording = rig.addRecording({ duration: 6, channels: 1 });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid, 60_000);
    expect(job.failedReason).toBeUndefined();
    const expected = await rig.emulator.expectedMedia(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', key: keyOf(recording), twilio: 'deleted' });
    expect(await rig.store.hash(keyOf(recording))).toEqual(expected);
    expect(rig.emulator.isDeleted(recording.sid)).toBe(true);
    // Written by the worker's scripts: the archive index, and the account's window of Twilio requests
    // (adaptive concurrency is on by default, its releases published to subscribers on any node).
    expect(await rig.index.lookup(recording.sid)).toMatchObject({ recordingSid: recording.sid });
    await expect.poll(() => released, { timeout: 30_000 }).toContain(rig.account.accountSid);
    // The worker's own subscriber (an ioredis Cluster in subscriber mode) is on one of the nodes.
    const subscribers = await Promise.all(
      cluster.nodes.map((node) => subscribersOn(node.port, `${prefix}:twilio-window:released`)),
    );
    expect(subscribers.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(2);

    const keysByPrimary = new Map<number, number>();
    for (const node of cluster.nodes) {
      if ((await cluster.roleOf(node)) === 'primary') keysByPrimary.set(node.port, await keysOn(node.port));
    }
    const slotPrimary = await cluster.primaryFor(prefix);
    expect(keysByPrimary.size).toBe(3);
    expect(keysByPrimary.get(slotPrimary.port)).toBeGreaterThan(0);
    keysByPrimary.delete(slotPrimary.port);
    expect([...keysByPrimary.values()]).toEqual([0, 0]);
  });

  it("goes on archiving once the slot's primary failed over to its replica", async () => {
    const primary = await cluster.primaryFor(prefix);
    await cluster.kill(primary);
    const successor = await cluster.waitForFailover(prefix, 60_000);
    expect(successor.port).not.toBe(primary.port);

    // Added and worked through connections that waited out the failover, without being recreated.
    const recording = rig.addRecording({ duration: 4, channels: 1 });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid, 60_000);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    expect(await rig.store.hash(keyOf(recording))).toEqual(await rig.emulator.expectedMedia(recording.sid));
  }, 120_000);
});
