import { Redis, type RedisOptions } from 'ioredis';

/**
 * The HTTP producer must answer Twilio quickly even when Redis is down: no offline queue, one try per
 * command, a short connect timeout. Commands fail at once while disconnected and the caller answers 503;
 * ioredis keeps reconnecting in the background, so the endpoint recovers by itself. Auto-pipelining sends
 * the jobs of concurrent requests in one write instead of one system call each.
 */
export function producerConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...options,
  });
}

/**
 * Workers wait for Redis for as long as it takes: a blocked worker is harmless, a worker that drops a job
 * on the floor because Redis blinked is not. BullMQ requires `maxRetriesPerRequest: null` for workers.
 */
export function workerConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 500, 5_000),
    ...options,
  });
}

/** What `logConnectionChanges` needs of a logger (pino's, in the apps). */
export interface ConnectionLog {
  info(message: string): void;
  error(details: { err: unknown }, message: string): void;
}

/**
 * Logs what an operator needs to know of a Redis connection and nothing more: "redis unreachable" once when
 * it cannot connect at start, "redis connection lost" once when it drops, "redis connected" when it is back.
 * ioredis repeats the error on every reconnect attempt: the change is logged, not each attempt. `meanwhile`
 * says what the app does until Redis answers, e.g. "answering 503 until it returns".
 */
export function logConnectionChanges(redis: Redis, log: ConnectionLog, meanwhile?: string): void {
  let state: 'starting' | 'up' | 'down' = 'starting';
  const suffix = meanwhile ? `; ${meanwhile}` : '';
  redis.on('ready', () => {
    if (state !== 'up') log.info('redis connected');
    state = 'up';
  });
  redis.on('error', (error) => {
    if (state === 'down') return;
    log.error({ err: error }, `${state === 'up' ? 'redis connection lost' : 'redis unreachable'}${suffix}`);
    state = 'down';
  });
}
