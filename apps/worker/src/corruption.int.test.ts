import { type RecordingResource, rgwSkipReason } from '@recording-vault/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiveRig, assertEveryDeleteWasSafe, keyOf, startArchiveRig } from './testing/archive-rig.ts';
import { expectDeletedOnceAfterDownload, fullDownloads } from './testing/delete-checks.ts';

// A body damaged on its way to storage: one byte flipped by a front between the worker and S3, after the
// worker measured the download. The copy must be refused by the server or caught by the proof before any
// DELETE, the recording downloaded again, and archived whole in the end.

const MiB = 1024 * 1024;

/**
 * A worker proving copies by digest, storing through a front that damages uploads on demand, for the
 * tests of one describe block; every DELETE is checked after each test.
 */
function damagingRig(driver: 's3' | 'rgw') {
  const state = {} as { rig: ArchiveRig; front: NonNullable<ArchiveRig['front']> };
  beforeAll(async () => {
    state.rig = await startArchiveRig({ driver, partSize: 5 * MiB, front: true });
    state.front = state.rig.front as NonNullable<ArchiveRig['front']>;
    await state.rig.startWorker({}, { verifyMode: 'digest' });
  });
  afterEach(async () => {
    await assertEveryDeleteWasSafe(state.rig);
  });
  afterAll(async () => {
    await state.rig.close();
  });
  return state;
}

/**
 * Archived and deleted at Twilio, after a second whole download: the damaged copy was not trusted. Gives
 * the job, and how often the worker read the copy back (on the test double, which logs its requests).
 */
async function archivedWholeAfterTwoDownloads(rig: ArchiveRig, recording: RecordingResource) {
  const job = await rig.settle(recording.sid);
  // Counted before the checks below, which read the copy themselves.
  const readBacksByWorker = rig.s3 ? readBacks(rig.s3, recording) : undefined;
  expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
  const { full } = await expectDeletedOnceAfterDownload(rig, recording);
  expect(full).toHaveLength(2);
  expect(await fullDownloads(rig, recording)).toHaveLength(2);
  return { job, readBacksByWorker };
}

/** GETs of the recording's key: the proof's reads back (nothing else reads the copy). */
function readBacks(s3: NonNullable<ArchiveRig['s3']>, recording: RecordingResource): number {
  return s3.operations.filter(
    (operation) => operation.key === keyOf(recording) && operation.name === 'GetObject',
  ).length;
}

describe('an upload damaged on its way to S3, proved by the ETag S3 computed', () => {
  const setup = damagingRig('s3');

  it('an upload that arrives whole is proved by a HEAD: nothing is read back', async () => {
    const { rig } = setup;
    const s3 = rig.s3 as NonNullable<ArchiveRig['s3']>;
    s3.clearOperations();
    const recordings = [rig.addRecording({ duration: 30 }), rig.addRecording({ duration: 460 })];
    for (const recording of recordings) await rig.enqueue(recording);
    for (const recording of recordings) {
      const job = await rig.settle(recording.sid);
      expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
      const onKey = s3.operations.filter((operation) => operation.key === keyOf(recording));
      expect(onKey.filter((operation) => operation.name === 'GetObject')).toEqual([]);
      expect(onKey.some((operation) => operation.name === 'HeadObject')).toBe(true);
    }
  });

  // The test double takes the damaged body: its ETag, the MD5 of other bytes, is of neither predicted form,
  // so the bytes read back decide.
  it('a whole-object PUT: the ETag is not the predicted one, the bytes read back differ, the copy is removed, downloaded again, then deleted', async () => {
    const { rig, front } = setup;
    const s3 = rig.s3 as NonNullable<ArchiveRig['s3']>;
    const recording = rig.addRecording({ duration: 30 });
    front.corruptNext('PutObject', (key) => key === keyOf(recording));
    s3.clearOperations();
    await rig.enqueue(recording);

    const { job, readBacksByWorker } = await archivedWholeAfterTwoDownloads(rig, recording);
    // The damaged copy, read back once; the whole one after it, proved by its ETag.
    expect(readBacksByWorker).toBe(1);
    expect(front.corrupted).toContainEqual({ operation: 'PutObject', key: keyOf(recording), status: 200 });
    const { logs } = await rig.queue.getJobLogs(job.id as string);
    expect(logs.join('\n')).toMatch(/stored copy did not match the download/);
  });

  it('one part of a multipart upload: caught the same way', async () => {
    const { rig, front } = setup;
    const s3 = rig.s3 as NonNullable<ArchiveRig['s3']>;
    // About 7 MiB of WAV: two parts of a multipart upload.
    const recording = rig.addRecording({ duration: 460 });
    const before = front.corrupted.length;
    front.corruptNext('UploadPart', (key) => key === keyOf(recording));
    s3.clearOperations();
    await rig.enqueue(recording);

    const { readBacksByWorker } = await archivedWholeAfterTwoDownloads(rig, recording);
    expect(readBacksByWorker).toBe(1);
    expect(front.corrupted.slice(before)).toEqual([
      expect.objectContaining({ operation: 'UploadPart', status: 200 }),
    ]);
  });
});

// Ceph RGW checks Content-MD5: it refuses the damaged body, the attempt fails as retryable before anything
// is stored at the key, and the next attempt downloads and stores the recording whole.
describe.skipIf(rgwSkipReason() !== undefined)('an upload damaged on its way to Ceph RGW', () => {
  const setup = damagingRig('rgw');

  it.each([
    ['a whole-object PUT', 'PutObject', 30],
    ['one part of a multipart upload', 'UploadPart', 460],
  ] as const)(
    '%s is refused by the server, downloaded again, then archived whole',
    async (_, operation, duration) => {
      const { rig, front } = setup;
      const recording = rig.addRecording({ duration });
      const before = front.corrupted.length;
      front.corruptNext(operation, (key) => key === keyOf(recording));
      await rig.enqueue(recording);

      await archivedWholeAfterTwoDownloads(rig, recording);
      expect(front.corrupted.slice(before)).toEqual([{ operation, key: keyOf(recording), status: 400 }]);
    },
  );
});
