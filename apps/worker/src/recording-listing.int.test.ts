import { archiveJobId, backfillDayEntries, daysBetween, QueueName } from '@recording-vault/contract';
import { workerConnection } from '@recording-vault/redis';
import { vaultStats } from '@recording-vault/stats';
import type { RecordingResource } from '@recording-vault/testkit';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingListing } from './recording-listing.ts';
import {
  type ArchiveRig,
  assertEveryDeleteWasSafe,
  keyOf,
  startArchiveRig,
  testRetryPolicy,
  waitFor,
} from './testing/archive-rig.ts';
import { createTwilioAccounts } from './twilio-accounts.ts';

describe('backfill', () => {
  let rig: ArchiveRig;
  let seeded: RecordingResource[];
  let backfillQueue: Queue;
  let connection: Redis | undefined;
  const from = '2025-03-01';
  const to = '2025-03-30';

  async function runBackfill(runId: string): Promise<void> {
    await backfillQueue.addBulk(
      backfillDayEntries(
        runId,
        rig.accounts.map((a) => a.accountSid),
        daysBetween(from, to),
      ),
    );
    await waitFor(
      async () => {
        const counts = await backfillQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        const archiving = await rig.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0) && Object.values(archiving).every((n) => n === 0);
      },
      `backfill run ${runId}`,
      120_000,
    );
  }

  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder', accounts: 2 });
    const [first, second] = rig.accounts;
    if (!first || !second) throw new Error('two accounts expected');
    // 3,000 recordings over 30 days in two accounts: a dense day of 2,100 (three pages at PageSize 1,000,
    // listed while the workers delete), the rest spread out; some absent, some already deleted, some
    // dual-channel. Sized so that a busy machine slows it without failing it.
    seeded = [
      ...rig.emulator.seedRecordings({
        accountSid: first.accountSid,
        count: 2_100,
        from: '2025-03-10T00:00:00Z',
        to: '2025-03-10T23:59:59Z',
        minDuration: 1,
        maxDuration: 2,
      }),
      ...rig.emulator.seedRecordings({
        accountSid: first.accountSid,
        count: 300,
        from: `${from}T00:00:00Z`,
        to: `${to}T23:59:59Z`,
        minDuration: 1,
        maxDuration: 2,
        seed: 'spread',
      }),
      ...rig.emulator.seedRecordings({
        accountSid: second.accountSid,
        count: 400,
        from: `${from}T00:00:00Z`,
        to: `${to}T23:59:59Z`,
        minDuration: 1,
        maxDuration: 2,
      }),
      ...rig.emulator.seedRecordings({
        accountSid: second.accountSid,
        count: 150,
        from: `${from}T00:00:00Z`,
        to: `${to}T23:59:59Z`,
        status: 'absent',
        seed: 'absent',
      }),
      ...rig.emulator.seedRecordings({
        accountSid: first.accountSid,
        count: 50,
        from: `${from}T00:00:00Z`,
        to: `${to}T23:59:59Z`,
        seed: 'gone',
      }),
    ];
    for (const recording of seeded.slice(-50)) rig.emulator.deleteRecording(recording.sid);
    // Recordings outside the range are not touched.
    rig.emulator.seedRecordings({
      accountSid: first.accountSid,
      count: 20,
      from: '2025-04-02',
      to: '2025-04-03',
      seed: 'outside',
    });
    connection = new Redis(rig.redis.url);
    connection.on('error', () => {});
    backfillQueue = new Queue(QueueName.backfill, { connection, prefix: rig.prefix });
    await rig.startWorker({}, { concurrency: 16 });
  });
  afterAll(async () => {
    await backfillQueue.close();
    connection?.disconnect();
    await rig.close();
  });

  it('archives and deletes every completed recording in range, and touches nothing else', async () => {
    expect(seeded).toHaveLength(3_000);
    await runBackfill('first');
    const completed = seeded.filter((r) => r.status === 'completed');
    const alreadyGone = new Set(seeded.slice(-50).map((r) => r.sid));
    const toArchive = completed.filter((r) => !alreadyGone.has(r.sid));
    expect(toArchive.length).toBe(2_800);
    // The dense day came in three pages, the second and third by page token while deletes went on.
    const denseDayPages = rig.emulator.requests.filter(
      (r) => r.route === 'list' && r.accountSid === rig.account.accountSid && r.query.PageToken !== undefined,
    );
    expect(denseDayPages.length).toBeGreaterThanOrEqual(2);

    const deletes = rig.emulator.requests.filter((r) => r.route === 'delete' && r.status === 204);
    expect(new Set(deletes.map((r) => r.recordingSid)).size).toBe(2_800);
    expect(deletes).toHaveLength(2_800);
    for (const recording of toArchive) expect(rig.emulator.isDeleted(recording.sid)).toBe(true);
    for (const recording of seeded.filter((r) => r.status === 'absent')) {
      expect(rig.emulator.isDeleted(recording.sid)).toBe(false);
      expect(await rig.store.exists(keyOf(recording))).toBe(false);
    }
    expect(rig.emulator.counts().active).toBe(150 + 20);
    const sample = toArchive.filter((_, i) => i % 97 === 0);
    for (const recording of sample) {
      expect(await rig.store.hash(keyOf(recording))).toEqual(
        await rig.emulator.expectedMedia(recording.sid, { channels: recording.channels === 2 ? 2 : 1 }),
      );
    }
    expect((await rig.queue.getJobCounts('failed')).failed).toBe(0);
    const redis = new Redis(rig.redis.url);
    const stats = vaultStats(redis, rig.prefix);
    const [first, second] = await Promise.all(rig.accounts.map((a) => stats.read(a.accountSid)));
    expect((first?.archived ?? 0) + (second?.archived ?? 0)).toBe(2_800);
    expect(second?.skipped).toBe(0);
    redis.disconnect();
    await assertEveryDeleteWasSafe(rig);
    // As long as runBackfill's own wait, so that a busy machine slows this test without failing it.
  }, 150_000);

  it('run twice, archives nothing new', async () => {
    const mediaBefore = rig.emulator.requests.filter((r) => r.route === 'media').length;
    const listsBefore = rig.emulator.requests.filter((r) => r.route === 'list').length;
    await runBackfill('second');
    expect(rig.emulator.requests.filter((r) => r.route === 'list').length).toBeGreaterThan(listsBefore);
    expect(rig.emulator.requests.filter((r) => r.route === 'media').length).toBe(mediaBefore);
    expect(rig.emulator.requests.filter((r) => r.route === 'delete' && r.status === 204)).toHaveLength(2_800);
  });
});

describe('reconciliation', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('archives a recording whose callback never came, once per period however many workers run', async () => {
    const period = 700;
    await rig.startWorker({}, { reconcileEveryMs: period, reconcileWindowMs: 3_600_000 });
    await rig.startWorker({}, { reconcileEveryMs: period, reconcileWindowMs: 3_600_000 });
    const startedAt = Date.now();
    const dropped = rig.addRecording({ duration: 3 });
    await waitFor(
      async () => rig.emulator.isDeleted(dropped.sid),
      'the reconciliation to archive it',
      20_000,
    );
    expect(await rig.store.hash(keyOf(dropped))).toEqual(await rig.emulator.expectedMedia(dropped.sid));
    const job = await rig.settle(dropped.sid);
    expect(job.data.origin).toBe('reconcile');

    await new Promise((resolve) => setTimeout(resolve, 4 * period));
    const elapsed = Date.now() - startedAt;
    const listings = rig.emulator.requests.filter((r) => r.route === 'list' && r.at >= startedAt).length;
    // Two workers share one scheduler: about one listing per period, not two.
    expect(listings).toBeGreaterThanOrEqual(2);
    expect(listings).toBeLessThanOrEqual(Math.ceil(elapsed / period) + 1);
  });
});

describe('a listed recording whose archive job failed', () => {
  let rig: ArchiveRig;
  let redis: Redis;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    redis = new Redis(rig.redis.url);
    redis.on('error', () => {});
  });
  afterAll(async () => {
    redis.disconnect();
    await rig.close();
  });

  function listing() {
    return createRecordingListing({
      accounts: createTwilioAccounts({
        accounts: [
          {
            accountSid: rig.account.accountSid,
            authTokens: [rig.account.authToken],
            region: 'us1',
            apiOrigin: rig.emulator.baseUrl,
          },
        ],
      }),
      archiveQueue: rig.queue,
      retryPolicy: testRetryPolicy,
      stats: vaultStats(redis, rig.prefix),
      log: { info: (details, msg) => lines.push({ ...details, msg }) },
    });
  }

  /** Enqueues the recording's job as a callback would, and settles it with a stand-in processor. */
  async function settled(recording: RecordingResource, work: () => Promise<unknown>): Promise<void> {
    await rig.enqueue(recording);
    const connection = workerConnection(rig.redis.url);
    connection.on('error', () => {});
    const worker = new Worker(QueueName.archive, work, { connection, prefix: rig.prefix });
    worker.on('error', () => {});
    try {
      await rig.settle(recording.sid);
    } finally {
      await worker.close();
      connection.disconnect();
    }
  }

  it('is re-armed by a backfill day, counted in its checkpoints and result', async () => {
    lines.length = 0;
    const failed = rig.addRecording({ duration: 2 });
    await settled(failed, async () => {
      throw new UnrecoverableError('gave up');
    });
    const day = new Date(failed.date_created).toISOString().slice(0, 10);
    const checkpoints: unknown[] = [];
    const result = await listing().listDay(
      { accountSid: rig.account.accountSid, day, listed: 0, enqueued: 0 },
      async (progress) => {
        checkpoints.push(progress);
      },
    );
    expect(result).toEqual({ listed: 1, enqueued: 1, rearmed: 1 });
    expect(checkpoints.at(-1)).toMatchObject({ listed: 1, enqueued: 1, rearmed: 1 });
    const job = await rig.queue.getJob(archiveJobId(failed.sid));
    expect(await job?.getState()).toBe('waiting');
    expect(job?.attemptsMade).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ recordingSid: failed.sid, failedReason: 'gave up' })]);

    // Out of the way of the next test, which lists the last hour.
    await job?.remove();
    rig.emulator.deleteRecording(failed.sid);
  });

  it('is re-armed by the reconciliation and then archived, while a completed job is left alone', async () => {
    lines.length = 0;
    const failed = rig.addRecording({ duration: 2 });
    const completed = rig.addRecording({ duration: 2 });
    await settled(failed, async () => {
      throw new UnrecoverableError('storage refused the write');
    });
    await settled(completed, async () => 'archived');
    expect(await rig.queue.getJobState(archiveJobId(failed.sid))).toBe('failed');

    const summary = await listing().reconcile(3_600_000);
    expect(summary[rig.account.accountSid]).toEqual({ listed: 2, enqueued: 2, rearmed: 1 });
    expect((await vaultStats(redis, rig.prefix).read(rig.account.accountSid)).lastReconcile).toMatchObject({
      listed: 2,
      enqueued: 2,
      rearmed: 1,
    });
    const rearmed = await rig.queue.getJob(archiveJobId(failed.sid));
    expect(await rearmed?.getState()).toBe('waiting');
    expect(rearmed?.attemptsMade).toBe(0);
    expect(rearmed?.attemptsStarted).toBe(0);
    expect(await rig.queue.getJobState(archiveJobId(completed.sid))).toBe('completed');
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 're-armed failed archive job',
        recordingSid: failed.sid,
        failedReason: 'storage refused the write',
      }),
    ]);

    // With a worker running, the re-armed job archives the recording: no operator needed.
    await rig.startWorker();
    const job = await rig.settle(failed.sid);
    expect(await job.getState()).toBe('completed');
    expect(rig.emulator.isDeleted(failed.sid)).toBe(true);
    expect(await rig.store.hash(keyOf(failed))).toEqual(await rig.emulator.expectedMedia(failed.sid));
  });
});
