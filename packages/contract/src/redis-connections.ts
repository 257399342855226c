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
