import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ArchiveJob, archiveJobId, jobCatalogue, QueueName } from '@recording-vault/contract';
import { workerConnection } from '@recording-vault/redis';
import { type ObjectStore, S3_RECORDS_PREFIX, sidecarKey } from '@recording-vault/storage';
import type { RecordingResource, RequestLogEntry } from '@recording-vault/testkit';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiveRig,
  assertEveryDeleteWasSafe,
  folderTempFiles,
  keyOf,
  requestsFor,
  startArchiveRig,
  testRetryPolicy,
  waitFor,
} from './testing/archive-rig.ts';
import { expectDeletedOnceAfterDownload, isMedia } from './testing/delete-checks.ts';

// Every case ends with THE RULE checked from the outside: each DELETE the emulator answered 204 has a
// stored copy with the emulator's bytes (assertEveryDeleteWasSafe), and, per recording, the DELETE came
// after the last download that returned the whole body (expectDeletedOnceAfterDownload).

const MiB = 1024 * 1024;

const lastSeq = (rig: ArchiveRig) => rig.emulator.requests.at(-1)?.seq ?? 0;

async function attemptsMade(rig: ArchiveRig, sid: string): Promise<number> {
  return (await rig.queue.getJob(archiveJobId(sid)))?.attemptsMade ?? 0;
}

async function attemptsStarted(rig: ArchiveRig, sid: string): Promise<number> {
  return (await rig.queue.getJob(archiveJobId(sid)))?.attemptsStarted ?? 0;
}

/** What a failed put left behind, looked at right after it failed, before the job's next attempt. */
interface FailedPut {
  key: string;
  leftAtKey: boolean | 'unknown';
  /** Temporary files (folder) or staging objects and open multipart uploads (S3). */
  leftovers: unknown;
}

/** A store that notes, after every put that fails, what was left at the key and beside it. */
function observingFailedPuts(failedPuts: FailedPut[], leftovers: () => Promise<unknown>) {
  return (store: ObjectStore): ObjectStore => ({
    ...store,
    async put(key, body, options) {
      try {
        return await store.put(key, body, options);
      } catch (error) {
        failedPuts.push({
          key,
          leftAtKey: await store.exists(key).catch(() => 'unknown' as const),
          leftovers: await leftovers().catch(() => 'unknown'),
        });
        throw error;
      }
    },
  });
}

describe('Twilio faults (folder storage)', () => {
  let rig: ArchiveRig;
  const failedPuts: FailedPut[] = [];
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    await rig.startWorker(
      {},
      { wrapStore: observingFailedPuts(failedPuts, () => folderTempFiles(rig.store)) },
    );
  });
  afterEach(async () => {
    rig.emulator.clearFaults();
    await assertEveryDeleteWasSafe(rig);
  });
  afterAll(async () => {
    await rig.close();
  });

  it.each([
    ['fetch', 500],
    ['media', 502],
    ['delete', 503],
  ] as const)('retries a %s answered %i three times, then archives and deletes', async (route, status) => {
    const recording = rig.addRecording({ duration: 5 });
    rig.emulator.injectFault({ route, recordingSid: recording.sid, kind: 'status', status, times: 3 });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    // Three failed attempts plus the one that completed (BullMQ counts a completed attempt too).
    expect(job.attemptsMade).toBe(4);
    const { log, full } = await expectDeletedOnceAfterDownload(rig, recording);
    expect(log.filter((entry) => entry.route === route && entry.status === status)).toHaveLength(3);
    // A failed delete does not make the retry download again: the recorded copy is verified instead.
    expect(full).toHaveLength(1);
  });

  it('honours a 429 with Retry-After without using up an attempt', async () => {
    const recording = rig.addRecording({ duration: 5 });
    rig.emulator.injectFault({
      route: 'fetch',
      recordingSid: recording.sid,
      kind: 'rateLimit',
      retryAfterSeconds: 1,
      times: 1,
    });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    // Only the attempt that completed counts; the rate-limited one was started but not made.
    expect(job.attemptsMade).toBe(1);
    expect(job.attemptsStarted).toBe(2);
    const fetches = requestsFor(rig, recording.sid).filter((entry) => entry.route === 'fetch');
    expect(fetches.map((entry) => entry.status)).toEqual([429, 200]);
    // A lower bound only, which a slow machine cannot break: the queue waited out Retry-After.
    expect((fetches[1] as RequestLogEntry).at - (fetches[0] as RequestLogEntry).at).toBeGreaterThanOrEqual(
      900,
    );
    await expectDeletedOnceAfterDownload(rig, recording);
  });

  it('backs off from a 429 without Retry-After (media) or with Retry-After: 0 (delete), using up no attempt', async () => {
    const recording = rig.addRecording({ duration: 5 });
    rig.emulator.injectFault({ route: 'media', recordingSid: recording.sid, kind: 'rateLimit', times: 2 });
    rig.emulator.injectFault({
      route: 'delete',
      recordingSid: recording.sid,
      kind: 'rateLimit',
      retryAfterSeconds: 0,
      times: 1,
    });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    expect(job.attemptsMade).toBe(1);
    expect(job.attemptsStarted).toBe(4);
    const { log } = await expectDeletedOnceAfterDownload(rig, recording);
    expect(log.filter((entry) => entry.status === 429).map((entry) => entry.route)).toEqual([
      'media',
      'media',
      'delete',
    ]);
  });

  // A cut at byte 0 fails the body before the store has begun to read it.
  it.each([
    ['reset', 40_000],
    ['truncate', 40_000],
    ['truncate', 0],
  ] as const)(
    'after a %s of the media body at byte %i, stores nothing, then archives',
    async (kind, afterBytes) => {
      const recording = rig.addRecording({ duration: 5 });
      rig.emulator.injectFault({ route: 'media', recordingSid: recording.sid, kind, afterBytes, times: 1 });
      await rig.enqueue(recording);
      const job = await rig.settle(recording.sid);
      expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
      expect(job.attemptsMade).toBe(2);
      const media = requestsFor(rig, recording.sid).filter(isMedia);
      expect(media.map((entry) => [entry.status, entry.fault, entry.bytesSent])).toEqual([
        [200, kind, afterBytes],
        [200, undefined, (await rig.emulator.expectedMedia(recording.sid)).bytes],
      ]);
      // Right after the failed attempt, before the retry: nothing at the key, no temporary file.
      expect(failedPuts.filter((put) => put.key === keyOf(recording))).toEqual([
        { key: keyOf(recording), leftAtKey: false, leftovers: [] },
      ]);
      expect(await folderTempFiles(rig.store)).toEqual([]);
      await expectDeletedOnceAfterDownload(rig, recording);
    },
  );

  it('makes one job of the same recording added twice at once, and ignores it once completed', async () => {
    const recording = rig.addRecording({ duration: 5 });
    const connection = workerConnection(rig.redis.url);
    const otherProducer = new Queue(QueueName.archive, { connection, prefix: rig.prefix });
    try {
      const data: ArchiveJob = {
        accountSid: recording.account_sid,
        recordingSid: recording.sid,
        origin: 'reconcile',
      };
      await Promise.all([
        rig.enqueue(recording),
        rig.enqueue(recording),
        otherProducer.add(QueueName.archive, data, {
          ...jobCatalogue.archive.options(testRetryPolicy),
          jobId: archiveJobId(recording.sid),
        }),
      ]);
      const job = await rig.settle(recording.sid);
      expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
      expect(job.attemptsMade).toBe(1);

      // A duplicate callback after completion, while the completed job is kept: ignored.
      await rig.enqueue(recording, { origin: 'manual' });
      const after = await rig.queue.getJob(archiveJobId(recording.sid));
      expect(await after?.getState()).toBe('completed');
      expect(after?.finishedOn).toBe(job.finishedOn);
      expect(after?.data.origin).toBe(job.data.origin);
    } finally {
      await otherProducer.close();
      connection.disconnect();
    }
    const { log, full } = await expectDeletedOnceAfterDownload(rig, recording);
    expect(log.filter((entry) => entry.route === 'fetch')).toHaveLength(1);
    expect(full).toHaveLength(1);
  });

  it('fails without retries when the recording vanished at Twilio before it was archived', async () => {
    const recording = rig.addRecording({ duration: 5 });
    rig.emulator.deleteRecording(recording.sid);
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('vanished at Twilio before it was archived');
    expect(requestsFor(rig, recording.sid).map((entry) => [entry.route, entry.status])).toEqual([
      ['fetch', 404],
    ]);
    expect(await rig.store.exists(keyOf(recording))).toBe(false);
    expect(await rig.store.exists(sidecarKey(keyOf(recording)))).toBe(false);
  });

  it('fails without retries for a recording SID Twilio never knew', async () => {
    const sid = `RE${randomBytes(16).toString('hex')}`;
    await rig.queue.add(
      QueueName.archive,
      { accountSid: rig.account.accountSid, recordingSid: sid, origin: 'manual' } satisfies ArchiveJob,
      { ...jobCatalogue.archive.options(testRetryPolicy), jobId: archiveJobId(sid) },
    );
    const job = await rig.settle(sid);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('vanished at Twilio before it was archived');
    expect(rig.emulator.requests.filter((entry) => entry.recordingSid === sid)).toMatchObject([
      { route: 'fetch', status: 404 },
    ]);
  });

  it('waits for a recording Twilio is still processing without using up attempts', async () => {
    const recording = rig.addRecording({ duration: 5, status: 'processing', completeAfterFetches: 3 });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    // Three looks while processing (each one started, none made), then the one that archived.
    expect(job.attemptsMade).toBe(1);
    expect(job.attemptsStarted).toBe(4);
    const { log } = await expectDeletedOnceAfterDownload(rig, recording);
    const fetches = log.filter((entry) => entry.route === 'fetch');
    expect(fetches).toHaveLength(4);
    // No media was asked for until Twilio said the recording was completed (the fourth fetch).
    expect(log.filter(isMedia).every((entry) => entry.seq > (fetches[3] as RequestLogEntry).seq)).toBe(true);
  });
});

describe('S3 storage faults', () => {
  let rig: ArchiveRig;
  let s3: NonNullable<ArchiveRig['s3']>;
  const failedPuts: FailedPut[] = [];
  /** Runs once, right before the next proof of a recording: a test's way to act between store and verify. */
  let beforeNextProof: (() => Promise<void>) | undefined;

  /**
   * What a failed put may not leave in the bucket: the store's own objects but for the records of copies
   * that are there (`.incoming/` probes, records without their object), and open multipart uploads (the S3
   * test server checks no signatures).
   */
  async function s3Leftovers(): Promise<{ hidden: string[]; uploads: string[] }> {
    const keys = async (query: string) => {
      const xml = await (await fetch(`${s3.endpoint}/recordings?${query}`)).text();
      return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1] as string);
    };
    const all = new Set(await keys('list-type=2'));
    const recordOfStoredCopy = (key: string) =>
      key.startsWith(S3_RECORDS_PREFIX) && all.has(key.slice(S3_RECORDS_PREFIX.length, -'.json'.length));
    return {
      hidden: [...all].filter((key) => key.startsWith('.') && !recordOfStoredCopy(key)),
      uploads: await keys('uploads'),
    };
  }

  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 's3', partSize: 5 * MiB });
    s3 = rig.s3 as NonNullable<ArchiveRig['s3']>;
    await rig.startWorker(
      {},
      {
        wrapStore: (store) => ({
          ...observingFailedPuts(failedPuts, s3Leftovers)(store),
          async prove(key, expected, options) {
            const act = key.endsWith('.wav') ? beforeNextProof : undefined;
            beforeNextProof = act ? undefined : beforeNextProof;
            await act?.();
            return await store.prove(key, expected, options);
          },
        }),
      },
    );
  });
  afterEach(async () => {
    rig.emulator.clearFaults();
    await assertEveryDeleteWasSafe(rig);
  });
  afterAll(async () => {
    await rig.close();
  });

  it.each([
    ['reset', 450, 6 * MiB],
    ['truncate', 450, 6 * MiB],
    ['reset', 5, 40_000],
  ] as const)(
    'after a %s of a %i s recording at byte %i, leaves nothing behind, then archives',
    async (kind, duration, afterBytes) => {
      // 450 s of WAV is about 6.9 MiB: over the 5 MiB part size, so it is uploaded in parts to a staging key.
      const recording = rig.addRecording({ duration });
      const expected = await rig.emulator.expectedMedia(recording.sid);
      rig.emulator.injectFault({ route: 'media', recordingSid: recording.sid, kind, afterBytes, times: 1 });
      s3.clearOperations();
      const putsBefore = failedPuts.length;
      await rig.enqueue(recording);
      const job = await rig.settle(recording.sid);
      expect(job.returnvalue).toMatchObject({ outcome: 'archived', ...expected, twilio: 'deleted' });
      expect(job.attemptsMade).toBe(2);

      const key = keyOf(recording);
      // Right after the failed attempt, before the retry: nothing at the key, no stray object or open upload.
      expect(failedPuts.slice(putsBefore)).toEqual([
        { key, leftAtKey: false, leftovers: { hidden: [], uploads: [] } },
      ]);
      // The large recording really went up in parts, in both attempts; the small one never.
      const uploads = new Set(
        s3.operations.filter((op) => op.name === 'UploadPart' && op.key === key).map((op) => op.uploadId),
      );
      expect(uploads.size).toBe(duration === 450 ? 2 : 0);
      // The key was written once, by the attempt that had the whole body.
      const writes = s3.operations.filter(
        (op) => op.key === key && ['PutObject', 'CopyObject', 'CompleteMultipartUpload'].includes(op.name),
      );
      expect(writes).toHaveLength(1);
      expect(await s3Leftovers()).toEqual({ hidden: [], uploads: [] });
      const { full } = await expectDeletedOnceAfterDownload(rig, recording);
      expect(full).toHaveLength(1);
    },
  );

  it('pauses while S3 is unreachable, using up no attempt, and deletes only once the copy is stored', async () => {
    const recording = rig.addRecording({ duration: 5 });
    await s3.stop();
    await rig.enqueue(recording);
    // Behaviour, not a clock: storage stays down until the job has been tried three times against it.
    await waitFor(
      async () => (await attemptsStarted(rig, recording.sid)) >= 3,
      'three tries against the stopped S3',
      20_000,
    );
    expect(await attemptsMade(rig, recording.sid)).toBe(0);
    expect(requestsFor(rig, recording.sid).filter((entry) => entry.route === 'delete')).toEqual([]);
    expect(rig.emulator.isDeleted(recording.sid)).toBe(false);
    const upFrom = lastSeq(rig);
    await s3.start();

    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    // The outage used up no attempt: only the one that succeeded counts.
    expect(job.attemptsMade).toBe(1);
    expect(job.attemptsStarted).toBeGreaterThanOrEqual(3);
    const { log } = await expectDeletedOnceAfterDownload(rig, recording);
    expect(log.filter((entry) => entry.route === 'delete').every((entry) => entry.seq > upFrom)).toBe(true);
  });

  it('does not delete when S3 goes away between storing the copy and verifying it', async () => {
    const recording = rig.addRecording({ duration: 5 });
    let stopped = false;
    beforeNextProof = async () => {
      await s3.stop();
      stopped = true;
    };
    await rig.enqueue(recording);
    await waitFor(
      async () => (await attemptsStarted(rig, recording.sid)) >= 2,
      'a verify tried again',
      20_000,
    );
    expect(stopped).toBe(true);
    expect(requestsFor(rig, recording.sid).filter((entry) => entry.route === 'delete')).toEqual([]);
    const upFrom = lastSeq(rig);
    await s3.start();

    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    const { log, full } = await expectDeletedOnceAfterDownload(rig, recording);
    expect(log.filter((entry) => entry.route === 'delete').every((entry) => entry.seq > upFrom)).toBe(true);
    // The copy stored before the outage is verified again, not downloaded again.
    expect(full).toHaveLength(1);
  });
});

describe('Redis crash', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    await rig.startWorker();
  });
  afterAll(async () => {
    await rig.close();
  });

  it('archives every recording exactly once when Redis is killed with jobs queued and in flight', async () => {
    const recordings = Array.from({ length: 8 }, () => rig.addRecording({ duration: 5 }));
    // Slow media holds the first jobs (concurrency 4) in flight across the crash; the rest wait queued.
    rig.emulator.injectFault({ route: 'media', kind: 'latency', ms: 300 });
    for (const recording of recordings) await rig.enqueue(recording);
    await waitFor(() => rig.emulator.requests.some(isMedia), 'a download in flight', 20_000);
    const started = new Set(
      rig.emulator.requests.filter((entry) => entry.route === 'fetch').map((entry) => entry.recordingSid),
    );
    await rig.redis.kill();
    expect(started.size).toBeLessThan(recordings.length);
    // Let in-flight downloads finish while Redis is down, so the worker's next writes meet the outage.
    await waitFor(
      () =>
        rig.emulator.requests.some((entry) => isMedia(entry) && entry.status === 200 && entry.bytesSent > 0),
      'a download finished with Redis down',
      20_000,
    );
    await rig.redis.start();

    for (const recording of recordings) {
      const job = await rig.settle(recording.sid);
      expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
      const { full } = await expectDeletedOnceAfterDownload(rig, recording);
      expect(full).toHaveLength(1);
    }
    expect(await assertEveryDeleteWasSafe(rig)).toBe(recordings.length);
  });
});

describe('a recording already archived and deleted at Twilio', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    // DELETE_FROM_TWILIO=false, then the test deletes at the emulator: a crash between DELETE and completion.
    await rig.startWorker({ deleteFromTwilio: false });
  });
  afterAll(async () => {
    await rig.close();
  });

  async function archivedThenDeleted(): Promise<RecordingResource> {
    const recording = rig.addRecording({ duration: 5 });
    await rig.enqueue(recording);
    expect((await rig.settle(recording.sid)).returnvalue).toMatchObject({
      outcome: 'archived',
      twilio: 'kept',
    });
    expect(rig.emulator.deleteRecording(recording.sid)).toBe(true);
    return recording;
  }

  async function expectAlreadyArchived(recording: RecordingResource): Promise<void> {
    const job = await rig.settle(recording.sid);
    expect(await job.getState()).toBe('completed');
    const { bytes } = await rig.emulator.expectedMedia(recording.sid);
    expect(job.returnvalue).toEqual({ outcome: 'already-archived', key: keyOf(recording), bytes });
    const log = requestsFor(rig, recording.sid);
    expect(log.filter(isMedia)).toHaveLength(1);
    expect(log.filter((entry) => entry.route === 'delete')).toEqual([]);
    expect(log.at(-1)).toMatchObject({ route: 'fetch', status: 404 });
  }

  it('the same job run again finds the copy by the key it remembered', async () => {
    const recording = await archivedThenDeleted();
    const job = await rig.queue.getJob(archiveJobId(recording.sid));
    expect(job?.data.archiveKey).toBe(keyOf(recording));
    await job?.retry('completed');
    await expectAlreadyArchived(recording);
  });

  it('a new job carrying the archive key finds the copy', async () => {
    const recording = await archivedThenDeleted();
    // As if the completed job had aged out before a replayed callback came in.
    await rig.queue.remove(archiveJobId(recording.sid));
    await rig.enqueue(recording, { origin: 'manual', archiveKey: keyOf(recording) });
    await expectAlreadyArchived(recording);
  });

  it('a new job carrying the callback start time finds the copy', async () => {
    const recording = await archivedThenDeleted();
    await rig.queue.remove(archiveJobId(recording.sid));
    await rig.enqueue(recording, {
      callback: {
        status: 'completed',
        startTime: new Date(recording.start_time).toISOString(),
        receivedAt: new Date().toISOString(),
      },
    });
    await expectAlreadyArchived(recording);
  });

  it('a job from a listing (backfill, reconciliation) carrying the start time finds the copy', async () => {
    const recording = await archivedThenDeleted();
    await rig.queue.remove(archiveJobId(recording.sid));
    await rig.enqueue(recording, {
      origin: 'reconcile',
      startTime: new Date(recording.start_time).toISOString(),
    });
    await expectAlreadyArchived(recording);
  });
});

describe('an object at the key without a recorded size and hash', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    await rig.startWorker();
  });
  afterAll(async () => {
    await rig.close();
  });

  it('proves nothing: the recording is downloaded again over it, then verified and deleted', async () => {
    const recording = rig.addRecording({ duration: 4 });
    // What a non-atomic store or another program could leave: bytes, but no record of what they should be.
    const path = join(rig.store.location.replace(/^file:\/\//, ''), keyOf(recording));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, 'half a recording');
    await expect(rig.store.stat(keyOf(recording))).rejects.toMatchObject({ kind: 'unrecorded' });

    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', stored: 'now', twilio: 'deleted' });
    expect(await rig.store.hash(keyOf(recording))).toEqual(await rig.emulator.expectedMedia(recording.sid));
    await assertEveryDeleteWasSafe(rig);
  });
});

describe('a stored copy that no longer matches right before the delete', () => {
  let rig: ArchiveRig;
  const removedKeys: string[] = [];
  let corruptNext: string | undefined;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    await rig.startWorker(
      {},
      {
        // Overwrites the copy with other bytes of the same length right before the worker re-reads it.
        wrapStore: (store) => ({
          ...store,
          async prove(key, expected, options) {
            if (key === corruptNext) {
              corruptNext = undefined;
              const stored = await store.stat(key);
              if (!stored) throw new Error(`nothing at ${key} to corrupt`);
              await store.putBuffer(key, Buffer.alloc(stored.bytes, 0x55), {
                contentType: stored.contentType,
              });
            }
            return await store.prove(key, expected, options);
          },
          async delete(key) {
            removedKeys.push(key);
            await store.delete(key);
          },
        }),
      },
    );
  });
  afterAll(async () => {
    await rig.close();
  });

  it('keeps the recording at Twilio, removes the bad copy, downloads again, then deletes', async () => {
    const recording = rig.addRecording({ duration: 5 });
    corruptNext = keyOf(recording);
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    expect(job.attemptsMade).toBe(2);
    expect(corruptNext).toBeUndefined();
    expect(removedKeys).toEqual([keyOf(recording)]);
    expect((await rig.queue.getJobLogs(archiveJobId(recording.sid))).logs.join('\n')).toContain(
      'stored copy did not match the download',
    );
    const { log, full } = await expectDeletedOnceAfterDownload(rig, recording);
    // Two whole downloads, and no DELETE at all before the second one.
    expect(full).toHaveLength(2);
    const secondDownload = (full[1] as RequestLogEntry).seq;
    expect(log.filter((entry) => entry.route === 'delete').every((entry) => entry.seq > secondDownload)).toBe(
      true,
    );
    expect(await assertEveryDeleteWasSafe(rig)).toBe(1);
  });
});
