import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask } from './redis-process.ts';
import { type RedisTestSentinel, startRedisSentinel } from './redis-sentinel.ts';

describe('startRedisSentinel', () => {
  let deployment: RedisTestSentinel;
  beforeAll(async () => {
    deployment = await startRedisSentinel();
  }, 120_000);
  afterAll(async () => {
    await deployment?.close();
  });

  it('comes up with a primary and its replica, which the sentinels name to a client', async () => {
    expect(deployment.sentinels).toHaveLength(3);
    const [first, second] = deployment.nodes;
    expect((await deployment.primary()).port).toBe(first?.port);
    expect(await deployment.roleOf(second as (typeof deployment.nodes)[number])).toBe('replica');

    const client = new Redis({
      sentinels: deployment.sentinels.map((address) => ({
        host: '127.0.0.1',
        port: Number(address.split(':')[1]),
      })),
      name: deployment.masterName,
    });
    await client.set('k', 'written');
    expect(await ask(first?.port as number, 'GET', 'k')).toBe('written');
    client.disconnect();
  });

  it('promotes the replica of a killed primary, and takes the old primary back as a replica', async () => {
    const primary = await deployment.killPrimary();
    expect(primary.running).toBe(false);
    const successor = await deployment.waitForFailover(60_000);
    expect(successor.port).not.toBe(primary.port);
    expect(await deployment.roleOf(successor)).toBe('primary');

    await deployment.restart(primary);
    await deployment.waitUntilHealthy(90_000);
    expect(await deployment.roleOf(primary)).toBe('replica');
    expect((await deployment.primary()).port).toBe(successor.port);
  }, 150_000);

  it('holds a failover back until released', async () => {
    await deployment.holdFailovers();
    const primary = await deployment.killPrimary();
    // Far longer than a failover takes with a 2 s down-after; the sentinels may not have promoted anyone.
    await expect(deployment.waitForFailover(8_000)).rejects.toThrow(/not within/);
    await deployment.releaseFailovers();
    const successor = await deployment.waitForFailover(60_000);
    expect(successor.port).not.toBe(primary.port);
  }, 120_000);
});
