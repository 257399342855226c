import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisTarget } from '@recording-vault/redis';
import { startRedisCluster, startRedisServer } from '@recording-vault/testkit';
import type { Row } from './verify.ts';

/** `CHAOS_REDIS`: one server (as compose runs it), or a Redis Cluster of 3 primaries and 3 replicas. */
export type RedisMode = 'single' | 'cluster';

export function redisModeOf(value: string | undefined): RedisMode {
  if (value === undefined || value === '' || value === 'single') return 'single';
  if (value === 'cluster') return 'cluster';
  throw new Error(`CHAOS_REDIS must be single or cluster, not ${JSON.stringify(value)}`);
}

/** What became of the run's Redis crash. */
export interface RedisCrash {
  /** When the process serving the vault's keys was SIGKILLed. */
  killedAt: number;
  /**
   * From when a callback could be acknowledged again, at the earliest: when the killed server was started
   * again (single); when the killed node, the only possible replica of the promoted primary, was (cluster).
   */
  acknowledgeableFrom: number;
  /** Cluster: when the promoted replica was seen serving the slot (it may have been a little earlier). */
  promotedAt?: number;
  /**
   * When Redis could again keep the promise a 204 makes: the server restarted (single); the promoted
   * primary with a replica in sync again (cluster).
   */
  recoveredAt: number;
  /** What happened, for the table: the first line is given the moment of the kill. */
  headline: string;
  details: Row[];
}

export interface RedisUnderTest {
  readonly mode: RedisMode;
  /** Where the run's own connections find it. */
  readonly target: RedisTarget;
  /** The apps' settings for it. */
  readonly env: Record<string, string>;
  /** Every key of the vault's, under a hash tag on a cluster. */
  readonly prefix: string;
  /**
   * SIGKILLs the Redis process holding the vault's keys and brings Redis back as production would: a single
   * server is restarted after `downMs` (its AOF replayed); on a cluster the slot's replica takes over, and
   * the killed node is restarted `downMs` after that, as an orchestrator restarts a crashed container,
   * rejoining as the replica of its successor. `servingAgain` runs as soon as a primary serves the vault's
   * keys again (the server restarted; the replica promoted, before the killed node is back). Resolves once
   * Redis is whole again.
   */
  crash(downMs: number, say: (line: string) => void, servingAgain: () => Promise<void>): Promise<RedisCrash>;
  close(): Promise<void>;
}

export async function startRedisUnderTest(mode: RedisMode): Promise<RedisUnderTest> {
  return mode === 'single' ? await singleServer() : await cluster();
}

async function singleServer(): Promise<RedisUnderTest> {
  // Redis persists as compose runs it: AOF with `appendfsync everysec`.
  const redis = await startRedisServer({ appendOnly: true, appendFsync: 'everysec' });
  return {
    mode: 'single',
    target: redis.url,
    env: { REDIS_URL: redis.url },
    prefix: 'rv-chaos',
    async crash(downMs, say, servingAgain) {
      const killedAt = Date.now();
      await redis.kill();
      say(`SIGKILL redis-server; back in ${seconds(downMs)}`);
      await sleep(downMs);
      const restartedAt = Date.now();
      await redis.start();
      await servingAgain();
      return {
        killedAt,
        acknowledgeableFrom: restartedAt,
        recoveredAt: Date.now(),
        headline: `Redis (AOF, everysec) SIGKILL, restarted after ${seconds(downMs)}`,
        details: [],
      };
    },
    close: () => redis.close(),
  };
}

async function cluster(): Promise<RedisUnderTest> {
  const redis = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
  const prefix = '{rv-chaos}';
  return {
    mode: 'cluster',
    target: {
      mode: 'cluster',
      nodes: redis.seeds.map((seed) => {
        const [host = '', port = ''] = seed.split(':');
        return { host, port: Number(port) };
      }),
      auth: { tls: false },
    },
    env: { REDIS_CLUSTER_NODES: redis.seeds.join(',') },
    prefix,
    async crash(downMs, say, servingAgain) {
      const primary = await redis.primaryFor(prefix);
      const killedAt = Date.now();
      await redis.kill(primary);
      say(`SIGKILL the primary of the vault's slot (${primary.address})`);
      const successor = await redis.waitForFailover(prefix, 120_000);
      const promotedAt = Date.now();
      say(`its replica ${successor.address} took over after ${seconds(promotedAt - killedAt)}`);
      await servingAgain();
      await sleep(downMs);
      const restartedAt = Date.now();
      await redis.restart(primary);
      await redis.waitUntilHealthy(120_000);
      const recoveredAt = Date.now();
      say(`the killed node is back as a replica in sync, ${seconds(recoveredAt - killedAt)} after the kill`);
      return {
        killedAt,
        acknowledgeableFrom: restartedAt,
        promotedAt,
        recoveredAt,
        headline: "Redis Cluster: the primary of the vault's slot SIGKILLed",
        details: [
          { label: '…failover: its replica promoted after', value: seconds(promotedAt - killedAt) },
          {
            label: '…the killed node restarted after; a replica in sync again after',
            value: `${seconds(restartedAt - killedAt)}; ${seconds(recoveredAt - killedAt)}`,
          },
        ],
      };
    },
    close: () => redis.close(),
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
