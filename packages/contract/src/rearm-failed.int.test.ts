import { producerConnection, workerConnection } from '@recording-vault/redis';
import { type RedisTestServer, startRedisServer, testQueuePrefix } from '@recording-vault/testkit';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { archiveJobEntry } from './job-catalogue.ts';
import { archiveJobId } from './job-ids.ts';
import { QueueName } from './queues.ts';
import { rearmFailedArchiveJobs } from './rearm-failed.ts';

const account = `AC${'1'.repeat(32)}`;
const sid = (n: number) => `RE${n.toString(16).padStart(32, '0')}`;

let server: RedisTestServer;
let connection: Redis;
let queue: Queue;
let prefix: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  ({ prefix, cleanup } = testQueuePrefix(server.url));
  connection = producerConnection(server.url);
  queue = new Queue(QueueName.archive, { connection, prefix });
  await queue.waitUntilReady();
});
afterEach(async () => {
  await queue.close();
  connection.disconnect();
  await cleanup();
});

async function add(recordingSid: string): Promise<void> {
  const entry = archiveJobEntry({ accountSid: account, recordingSid, origin: 'callback' });
  await queue.add(entry.name, entry.data, entry.opts);
}

/** Runs every waiting job through `work` until each has completed or failed. */
async function drain(work: (recordingSid: string) => Promise<unknown>): Promise<void> {
  const workerRedis = workerConnection(server.url);
  const worker = new Worker(QueueName.archive, (job) => work(job.data.recordingSid), {
    connection: workerRedis,
    prefix,
  });
  try {
    for (let i = 0; i < 400; i++) {
      const pending = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(pending).every((n) => n === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('jobs did not settle');
  } finally {
    await worker.close();
    workerRedis.disconnect();
  }
}

describe('rearmFailedArchiveJobs', () => {
  it('puts failed jobs back to waiting with attempts reset, and leaves every other job alone', async () => {
    const [failed, completed, waiting, unknown] = [sid(1), sid(2), sid(3), sid(4)];
    await add(failed);
    await add(completed);
    await drain(async (recordingSid) => {
      if (recordingSid === failed) throw new UnrecoverableError('gone at Twilio');
      return 'archived';
    });
    await add(waiting);
    const lines: Record<string, unknown>[] = [];

    const rearmed = await rearmFailedArchiveJobs(queue, [failed, completed, waiting, unknown], {
      info: (details, msg) => lines.push({ ...details, msg }),
    });

    expect(rearmed).toEqual([failed]);
    const job = await queue.getJob(archiveJobId(failed));
    expect(await job?.getState()).toBe('waiting');
    expect(job?.attemptsMade).toBe(0);
    expect(job?.attemptsStarted).toBe(0);
    expect(await queue.getJobState(archiveJobId(completed))).toBe('completed');
    expect(await queue.getJobState(archiveJobId(waiting))).toBe('waiting');
    expect(await queue.getJob(archiveJobId(unknown))).toBeUndefined();
    expect(lines).toEqual([
      {
        msg: 're-armed failed archive job',
        recordingSid: failed,
        jobId: archiveJobId(failed),
        failedReason: 'gone at Twilio',
      },
    ]);
  });

  it('re-arms a job once when two producers race for it, without an error', async () => {
    const recordingSid = sid(5);
    await add(recordingSid);
    await drain(async () => {
      throw new UnrecoverableError('failed');
    });
    const results = await Promise.all([
      rearmFailedArchiveJobs(queue, [recordingSid]),
      rearmFailedArchiveJobs(queue, [recordingSid]),
      rearmFailedArchiveJobs(queue, [recordingSid]),
    ]);
    expect(results.flat()).toEqual([recordingSid]);
    expect(await queue.getJobState(archiveJobId(recordingSid))).toBe('waiting');
  });

  it.each([
    ['removed', (job: Job) => job.remove()],
    ['retried by an operator', (job: Job) => job.retry('failed')],
  ])('skips a job %s between the look and the retry', async (_name, meanwhile) => {
    const recordingSid = sid(6);
    await add(recordingSid);
    await drain(async () => {
      throw new UnrecoverableError('failed');
    });
    // The job leaves the failed set right after it is read, before it is retried.
    const getJob = queue.getJob.bind(queue);
    queue.getJob = async (id) => {
      const job = await getJob(id);
      const elsewhere = await getJob(id);
      if (elsewhere) await meanwhile(elsewhere);
      return job;
    };
    expect(await rearmFailedArchiveJobs(queue, [recordingSid])).toEqual([]);
  });

  it('asks Redis nothing for an empty list', async () => {
    expect(await rearmFailedArchiveJobs(queue, [])).toEqual([]);
  });
});
