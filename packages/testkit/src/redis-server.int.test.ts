import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisTestServer, startRedisServer, testQueuePrefix } from './redis-server.ts';

describe('startRedisServer', () => {
  let server: RedisTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('keeps an added job across kill -9 and restart when AOF is on', async () => {
    server = await startRedisServer({ appendOnly: true, appendFsync: 'always' });
    const { prefix } = testQueuePrefix(server.url);
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    connection.on('error', () => {});
    const queue = new Queue('archive', { connection, prefix });
    await queue.add('archive', { recordingSid: 'RE1' }, { jobId: 'archive-RE1' });

    await server.kill();
    const probe = connect(server.port, '127.0.0.1');
    const [refused] = await once(probe, 'error');
    expect(refused.code).toBe('ECONNREFUSED');
    await server.start();

    const job = await queue.getJob('archive-RE1');
    expect(job?.data).toEqual({ recordingSid: 'RE1' });
    await queue.close();
    connection.disconnect();
  });

  it('loses everything on kill -9 without AOF, which is why production turns it on', async () => {
    server = await startRedisServer({ appendOnly: false });
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    client.on('error', () => {});
    await client.set('k', 'v');
    await server.kill();
    await server.start();
    expect(await client.get('k')).toBeNull();
    client.disconnect();
  });

  it('cleans up only the keys under a test prefix', async () => {
    server = await startRedisServer();
    const client = new Redis(server.url);
    const mine = testQueuePrefix(server.url);
    await client.set(`${mine.prefix}:archive:1`, 'x');
    await client.set('other:archive:1', 'y');
    await mine.cleanup();
    expect(await client.keys('*')).toEqual(['other:archive:1']);
    client.disconnect();
  });
});

describe('pause and resume', () => {
  let server: RedisTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('stalls Redis with connections open, then lets it answer again, the stalled command included', async () => {
    server = await startRedisServer();
    const client = new Redis(server.url);
    client.on('error', () => {});
    expect(await client.ping()).toBe('PONG');

    await server.pause();
    const stalled = client.set('k', 'v');
    const first = await Promise.race([stalled, sleep(300).then(() => 'no answer')]);
    expect(first).toBe('no answer');
    expect(client.status).toBe('ready');

    await server.resume();
    expect(await stalled).toBe('OK');
    expect(await client.get('k')).toBe('v');
    client.disconnect();
  });

  it('closes a paused server', async () => {
    server = await startRedisServer();
    await server.pause();
    await server.close();
    server = undefined;
  });
});
