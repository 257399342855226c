import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { keySlot } from '@recording-vault/redis';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisTestCluster, startRedisCluster } from './redis-cluster.ts';
import { ask } from './redis-process.ts';

// The vault's hash tag: every key of the vault is in this slot.
const key = '{rv}:archive:meta';

describe('startRedisCluster', () => {
  let cluster: RedisTestCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('comes up with three primaries, each with a replica, serving every slot', async () => {
    expect(cluster.seeds).toHaveLength(6);
    const roles = await Promise.all(cluster.nodes.map((node) => cluster.roleOf(node)));
    expect(roles.filter((role) => role === 'primary')).toHaveLength(3);
    const primary = await cluster.primaryFor(key);
    expect(await cluster.roleOf(primary)).toBe('primary');
    expect(await cluster.replicasOf(primary)).toHaveLength(1);
    for (const text of [key, '{rv}', 'rv', 'a{}b', '{}{rv}']) {
      expect(keySlot(text)).toBe(await ask(primary.port, 'CLUSTER', 'KEYSLOT', text));
    }

    const client = new Cluster(
      cluster.seeds.map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })),
    );
    await client.set(key, 'written');
    expect(await ask(primary.port, 'GET', key)).toBe('written');
    client.disconnect();
  });

  it("promotes the replica of the slot's killed primary, and takes the old primary back as a replica", async () => {
    const primary = await cluster.primaryFor(key);
    const [replica] = await cluster.replicasOf(primary);

    await cluster.kill(primary);
    expect(primary.running).toBe(false);
    const successor = await cluster.waitForFailover(key, 60_000);
    expect(successor.port).toBe(replica?.port);
    expect(await cluster.roleOf(successor)).toBe('primary');

    await cluster.restart(primary);
    await cluster.waitUntilHealthy(60_000);
    expect(await cluster.roleOf(primary)).toBe('replica');
    expect((await cluster.replicasOf(successor)).map((node) => node.port)).toEqual([primary.port]);
  }, 120_000);

  it('holds a failover back until released', async () => {
    const primary = await cluster.primaryFor(key);
    await cluster.holdFailovers();
    await cluster.kill(primary);
    // Far longer than a failover takes with a 2 s node timeout; no replica may have taken over.
    await expect(cluster.waitForFailover(key, 8_000)).rejects.toThrow(/not within/);
    await cluster.releaseFailovers();
    const successor = await cluster.waitForFailover(key, 60_000);
    expect(successor.port).not.toBe(primary.port);
  }, 120_000);
});

describe('startRedisCluster when a node cannot start', () => {
  it('fails, leaving no process and no folder behind', async () => {
    const before = await clusterFolders();
    // Redis refuses a negative node timeout: every node exits at start.
    await expect(startRedisCluster({ nodeTimeoutMs: -1 })).rejects.toThrow(
      /did not start[\s\S]*cluster-node-timeout/,
    );
    expect(await clusterFolders()).toEqual(before);
    expect(await clusterProcesses()).toEqual([]);
  }, 60_000);
});

async function clusterFolders(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('rv-redis-cluster-'));
}

/** Command lines of running processes given a folder of a test cluster (Linux). */
async function clusterProcesses(): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const lines = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')),
  );
  return lines.map((line) => line.replaceAll('\0', ' ')).filter((line) => line.includes('rv-redis-cluster-'));
}
