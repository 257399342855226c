import { describeRedisTarget, type RedisTarget, redisConnection } from '@recording-vault/redis';

/**
 * One connection attempt and a PING, bounded: at start-up a missing Redis is a message, not a hang. A URL,
 * or the settings of any mode (a cluster answers once its slots are known).
 */
export async function redisAnswers(target: RedisTarget, timeoutMs = 2_000): Promise<boolean> {
  const client = redisConnection(target, 'producer', {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** The host port compose publishes its Redis on (REDIS_HOST_PORT's default in docker-compose.yml). */
export const composeRedisHostPort = 6380;

/** What to tell someone who ran `pnpm start` or `pnpm demo` without a Redis. */
export function redisMissingHelp(target: RedisTarget): string {
  if (typeof target !== 'string' && target.mode !== 'single') {
    const variables =
      target.mode === 'cluster' ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS, REDIS_SENTINEL_NAME';
    return `${describeRedisTarget(target)} does not answer (${variables}); check the addresses and credentials.`;
  }
  const url = typeof target === 'string' ? target : target.url;
  return [
    `Redis does not answer at ${redactUrl(url)} (REDIS_URL).`,
    'Start one, then run this again:',
    '  redis-server --appendonly yes --maxmemory-policy noeviction',
    '      (from your distribution: apt install redis-server, brew install redis)',
    '  docker run -d --name rv-redis -p 127.0.0.1:6379:6379 redis:7.4-alpine \\',
    '      redis-server --appendonly yes --maxmemory-policy noeviction',
    `or use the stack's Redis, which compose publishes on 127.0.0.1:${composeRedisHostPort} (REDIS_HOST_PORT):`,
    '  docker compose up -d redis',
    `  export REDIS_URL=redis://127.0.0.1:${composeRedisHostPort}`,
    'or point REDIS_URL at a Redis you run.',
  ].join('\n');
}

/** A Redis URL may carry a password: show where, never with what. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
