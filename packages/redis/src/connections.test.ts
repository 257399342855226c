import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeRedisTarget,
  producerConnection,
  type RedisConnection,
  type RedisTarget,
  workerConnection,
} from './connections.ts';

const auth = { username: 'vault', password: 'cluster-password', tls: true };
const cluster: RedisTarget = { mode: 'cluster', nodes: [{ host: 'redis-1', port: 6379 }], auth };
const sentinel: RedisTarget = {
  mode: 'sentinel',
  sentinels: [{ host: 'sentinel-1', port: 26379 }],
  name: 'vault',
  auth,
  sentinelPassword: 'sentinel-password',
};

// Built without connecting: these tests read the options each mode and profile ends up with.
const opened: RedisConnection[] = [];
const lazily = <T extends RedisConnection>(connection: T): T => {
  opened.push(connection);
  return connection;
};
afterEach(() => {
  for (const connection of opened.splice(0)) connection.disconnect();
});

describe('a cluster connection', () => {
  it('fails fast in the producer profile', () => {
    const connection = lazily(producerConnection(cluster, { lazyConnect: true }));
    expect(connection).toBeInstanceOf(Cluster);
    const { options } = connection as Cluster;
    expect(options).toMatchObject({
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      scaleReads: 'master',
    });
    expect(options.redisOptions).toMatchObject({ maxRetriesPerRequest: 1, connectTimeout: 1_000 });
    expect(options.clusterRetryStrategy?.(100)).toBe(2_000);
  });

  it('waits in the worker profile, with the maxRetriesPerRequest BullMQ requires of each node', () => {
    const { options } = lazily(workerConnection(cluster, { lazyConnect: true })) as Cluster;
    expect(options).toMatchObject({
      enableOfflineQueue: true,
      scaleReads: 'master',
      retryDelayOnFailover: 500,
    });
    expect(options.redisOptions?.maxRetriesPerRequest).toBeNull();
  });

  it('gives every node the credentials and TLS', () => {
    const { options } = lazily(workerConnection(cluster, { lazyConnect: true })) as Cluster;
    expect(options.redisOptions).toMatchObject({ username: 'vault', password: 'cluster-password', tls: {} });
    expect(options.redisOptions).not.toHaveProperty('retryStrategy');
    expect(options.redisOptions).not.toHaveProperty('enableOfflineQueue');
  });
});

describe('a sentinel connection', () => {
  it('asks the sentinels for the primary, with the profile and credentials', () => {
    const connection = lazily(producerConnection(sentinel, { lazyConnect: true }));
    expect(connection).toBeInstanceOf(Redis);
    expect((connection as Redis).options).toMatchObject({
      sentinels: [{ host: 'sentinel-1', port: 26379 }],
      name: 'vault',
      role: 'master',
      username: 'vault',
      password: 'cluster-password',
      sentinelPassword: 'sentinel-password',
      tls: {},
      enableTLSForSentinelMode: true,
      sentinelTLS: {},
      failoverDetector: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    expect(
      (lazily(workerConnection(sentinel, { lazyConnect: true })) as Redis).options.maxRetriesPerRequest,
    ).toBeNull();
  });
});

describe('a single server connection', () => {
  it('takes a URL, as before, or settings in single mode', () => {
    const fromUrl = lazily(producerConnection('redis://:secret@redis:6379', { lazyConnect: true }));
    const fromSettings = lazily(
      producerConnection({ mode: 'single', url: 'redis://:secret@redis:6379' }, { lazyConnect: true }),
    );
    for (const connection of [fromUrl, fromSettings]) {
      expect((connection as Redis).options).toMatchObject({
        host: 'redis',
        password: 'secret',
        enableOfflineQueue: false,
      });
    }
    expect(
      lazily(workerConnection('redis://redis:6379', { lazyConnect: true })).options.maxRetriesPerRequest,
    ).toBeNull();
  });
});

describe('describeRedisTarget', () => {
  it('says where Redis is looked for, never with credentials', () => {
    expect(describeRedisTarget('redis://vault:secret@redis:6379/0')).toBe('Redis at redis://redis:6379/0');
    expect(describeRedisTarget({ mode: 'single', url: 'rediss://:secret@redis:6380' })).toBe(
      'Redis at rediss://redis:6380',
    );
    const twoNodes: RedisTarget = {
      mode: 'cluster',
      nodes: [
        { host: 'redis-1', port: 6379 },
        { host: '::1', port: 7000 },
      ],
      auth,
    };
    expect(describeRedisTarget(twoNodes)).toBe('the Redis Cluster at redis-1:6379, [::1]:7000');
    expect(describeRedisTarget(sentinel)).toBe(
      'the Redis primary vault through the sentinels at sentinel-1:26379',
    );
    expect(JSON.stringify([describeRedisTarget(cluster), describeRedisTarget(sentinel)])).not.toContain(
      'password',
    );
  });
});
