import { setTimeout as sleep } from 'node:timers/promises';
import { archiveJobId, QueueName } from '@recording-vault/contract';
import {
  closeConnection,
  type RedisConnection,
  type RedisTarget,
  redisConnection,
} from '@recording-vault/redis';
import { Queue } from 'bullmq';

export type JobCounts = Readonly<Record<string, number>>;

export interface QueueWatch {
  /** Archive and purge job counts by state, summed; undefined while Redis does not answer. */
  counts(): Promise<JobCounts | undefined>;
  /** Of the completed archive jobs: how many ran more than once, the most attempts and stalls one took. */
  effort(): Promise<{
    jobs: number;
    retried: number;
    maxAttempts: number;
    stalled: number;
    maxStalled: number;
  }>;
  /** Which of these recordings have no archive job in Redis. */
  missingJobs(recordingSids: readonly string[]): Promise<string[]>;
  /**
   * When the archive job of each recording was added (BullMQ's job timestamp, from the adding process'
   * clock, which is this machine's); absent when there is no such job.
   */
  jobsAddedAt(recordingSids: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

const states = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
  'completed',
] as const;

/**
 * The run's own view of the queues, over its own connection, never blocking long while Redis is down; on a
 * single server or a cluster, as the apps reach it.
 */
export function watchQueues(target: RedisTarget, prefix: string): QueueWatch {
  const connection = redisConnection(target, 'worker', { maxRetriesPerRequest: 1, lazyConnect: true });
  connection.on('error', () => {});
  /** A connection of its own: the shared one may still be reconnecting after a restart or a failover. */
  const withOwnConnection = async <T>(use: (client: RedisConnection) => Promise<T>) => {
    const client = redisConnection(target, 'worker', { maxRetriesPerRequest: 3 });
    client.on('error', () => {});
    try {
      return await use(client);
    } finally {
      await closeConnection(client);
    }
  };
  const jobKey = (sid: string) => `${prefix}:${QueueName.archive}:${archiveJobId(sid)}`;
  const archive = new Queue(QueueName.archive, { connection, prefix });
  const purge = new Queue(QueueName.purge, { connection, prefix });
  for (const queue of [archive, purge]) queue.on('error', () => {});

  return {
    async counts() {
      const both = await withTimeout(
        Promise.all([archive.getJobCounts(...states), purge.getJobCounts(...states)]),
        3_000,
      );
      if (!both) return undefined;
      const [a, p] = both;
      return Object.fromEntries(states.map((state) => [state, (a[state] ?? 0) + (p[state] ?? 0)]));
    },
    async effort() {
      const jobs = await archive.getJobs(['completed'], 0, -1);
      return {
        jobs: jobs.length,
        retried: jobs.filter((job) => job.attemptsMade > 1 || job.stalledCounter > 0).length,
        maxAttempts: Math.max(0, ...jobs.map((job) => job.attemptsMade)),
        stalled: jobs.filter((job) => job.stalledCounter > 0).length,
        maxStalled: Math.max(0, ...jobs.map((job) => job.stalledCounter)),
      };
    },
    async missingJobs(recordingSids) {
      return await withOwnConnection(async (client) => {
        const pipeline = client.pipeline();
        for (const sid of recordingSids) pipeline.exists(jobKey(sid));
        const results = answersOf(await pipeline.exec());
        return recordingSids.filter((_sid, i) => results[i] === 0);
      });
    },
    async jobsAddedAt(recordingSids) {
      return await withOwnConnection(async (client) => {
        const pipeline = client.pipeline();
        for (const sid of recordingSids) pipeline.hget(jobKey(sid), 'timestamp');
        const results = answersOf(await pipeline.exec());
        const addedAt = new Map<string, number>();
        recordingSids.forEach((sid, i) => {
          const value = results[i];
          if (typeof value === 'string') addedAt.set(sid, Number(value));
        });
        return addedAt;
      });
    },
    async close() {
      await withTimeout(Promise.all([archive.close(), purge.close()]), 2_000);
      await closeConnection(connection);
    },
  };
}

/** A pipeline's answers; a command that failed fails the whole question rather than pass for an answer. */
function answersOf(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('the pipeline was not run');
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
  return results.map(([, answer]) => answer);
}

/** Archive and purge jobs not yet finished one way or the other. */
export function busyJobs(counts: JobCounts): number {
  return ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']
    .map((state) => counts[state] ?? 0)
    .reduce((a, b) => a + b, 0);
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return await Promise.race([work.catch(() => undefined), sleep(ms, undefined)]);
}
