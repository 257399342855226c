import { archiveJobId } from '@recording-vault/contract';
import { workerConnection } from '@recording-vault/redis';
import { sidecarKey } from '@recording-vault/storage';
import type { MediaLie, RecordingResource, RequestLogEntry } from '@recording-vault/testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiveRig,
  assertEveryDeleteWasSafe,
  folderTempFiles,
  keyOf,
  requestsFor,
  startArchiveRig,
  waitFor,
} from './testing/archive-rig.ts';

// Twilio (or whatever stands between it and the worker) lies: a 200 whose body is not the recording, the
// resource of another recording, a body that never ends, a long Retry-After. Each case checks that the
// recording is not deleted while the lie lasts, that the job says why in words, that nothing half-written
// is left, and that the recording is archived once the truth is told.

async function expectNothingStored(rig: ArchiveRig, recording: RecordingResource): Promise<void> {
  expect(await rig.store.exists(keyOf(recording))).toBe(false);
  expect(await rig.store.exists(sidecarKey(keyOf(recording)))).toBe(false);
  expect(await folderTempFiles(rig.store)).toEqual([]);
}

/** Clears the lie, retries the failed job, and checks that the recording is then archived and deleted once. */
async function expectArchivedOnceTruthful(rig: ArchiveRig, recording: RecordingResource): Promise<void> {
  rig.emulator.clearFaults();
  await (await rig.queue.getJob(archiveJobId(recording.sid)))?.retry('failed');
  const job = await rig.settle(recording.sid);
  expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
  const channels = recording.channels === 2 ? 2 : 1;
  expect(await rig.store.hash(keyOf(recording))).toEqual(
    await rig.emulator.expectedMedia(recording.sid, { channels }),
  );
  expect(
    requestsFor(rig, recording.sid).filter((e) => e.route === 'delete' && e.status === 204),
  ).toHaveLength(1);
}

describe('lying media answers', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    await rig.startWorker();
  });
  afterEach(async () => {
    rig.emulator.clearFaults();
    await assertEveryDeleteWasSafe(rig);
  });
  afterAll(async () => {
    await rig.close();
  });

  it.each([
    ['an empty 200', 'empty', 1, 'the body is empty'],
    ['an HTML page answered 200', 'html', 1, 'it came as text/html'],
    ['a JSON error body answered 200 as octet-stream', 'json', 1, 'cannot be a recording of 30 s'],
    ['media of another duration', 'wrong-duration', 1, 'cannot be a recording of 30 s'],
    ['mono media for a dual-channel request', 'mono', 2, 'cannot be a recording of 30 s'],
    ['a WAV header claiming more audio than the body holds', 'hollow', 1, 'its WAV header gives a file of'],
  ] as const)(
    '%s: never deleted, failed with the reason, archived once truthful',
    async (_name, lie, channels, reason) => {
      const recording = rig.addRecording({ duration: 30, channels });
      rig.emulator.injectFault({
        route: 'media',
        recordingSid: recording.sid,
        kind: 'lie',
        lie: lie as MediaLie,
      });
      await rig.enqueue(recording);
      const job = await rig.settle(recording.sid);
      expect(await job.getState()).toBe('failed');
      // Every attempt downloaded the lie and refused it: a failed attempt each time, never a copy.
      expect(job.attemptsMade).toBe(6);
      expect(job.failedReason).toContain('is not the recording Twilio described');
      expect(job.failedReason).toContain(reason);
      expect(rig.emulator.isDeleted(recording.sid)).toBe(false);
      expect(requestsFor(rig, recording.sid).filter((e) => e.route === 'delete')).toEqual([]);
      await expectNothingStored(rig, recording);
      await expectArchivedOnceTruthful(rig, recording);
    },
  );

  it.each([
    ['of another recording', 'other-sid'],
    ['under another account', 'other-account'],
  ] as const)(
    'a lookup answered with the resource %s: nothing downloaded, stored or deleted',
    async (_name, as) => {
      const other = rig.addRecording({ duration: 10 });
      const recording = rig.addRecording({ duration: 10 });
      rig.emulator.injectFault({ route: 'fetch', recordingSid: recording.sid, kind: 'wrongResource', as });
      await rig.enqueue(recording);
      const job = await rig.settle(recording.sid);
      expect(await job.getState()).toBe('failed');
      expect(job.failedReason).toContain(`Twilio answered the lookup of ${recording.sid}`);
      expect(rig.emulator.isDeleted(recording.sid)).toBe(false);
      expect(rig.emulator.isDeleted(other.sid)).toBe(false);
      // Neither this recording's media nor the other's was asked for.
      expect(
        rig.emulator.requests.filter(
          (e) => e.route === 'media' && [recording.sid, other.sid].includes(e.recordingSid ?? ''),
        ),
      ).toEqual([]);
      await expectNothingStored(rig, recording);
      await expectNothingStored(rig, other);
      await expectArchivedOnceTruthful(rig, recording);
    },
  );

  it("another recording's deleted resource, answered after the copy was stored, does not pass for this one being gone", async () => {
    const other = rig.addRecording({ duration: 5 });
    rig.emulator.deleteRecording(other.sid);
    const recording = rig.addRecording({ duration: 5 });
    // The first DELETE is refused with a pause, so that the retry's lookup can be made to lie.
    rig.emulator.injectFault({
      route: 'delete',
      recordingSid: recording.sid,
      kind: 'rateLimit',
      retryAfterSeconds: 2,
      times: 1,
    });
    await rig.enqueue(recording);
    await waitFor(
      () => requestsFor(rig, recording.sid).some((e) => e.route === 'delete' && e.status === 429),
      'the refused DELETE',
    );
    rig.emulator.injectFault({
      route: 'fetch',
      recordingSid: recording.sid,
      kind: 'wrongResource',
      as: 'other-sid',
      otherSid: other.sid,
      times: 1,
    });
    const job = await rig.settle(recording.sid);
    // Not "already archived" on the word of another recording's resource: looked up again, then deleted.
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', stored: 'earlier', twilio: 'deleted' });
    expect(rig.emulator.isDeleted(recording.sid)).toBe(true);
    const fetches = requestsFor(rig, recording.sid).filter((e) => e.route === 'fetch');
    expect(fetches.map((e) => e.fault)).toContain('wrongResource');
  });

  it('a recorded copy that cannot be this recording (an error page stored by an older vault) is not trusted', async () => {
    const recording = rig.addRecording({ duration: 10 });
    // What a vault that did not check media against the resource could have stored and recorded.
    await rig.store.putBuffer(keyOf(recording), Buffer.from('<html><body>502 Bad Gateway</body></html>'), {
      contentType: 'audio/x-wav',
      metadata: { 'recording-sid': recording.sid, 'account-sid': recording.account_sid, channels: '1' },
    });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', stored: 'now', twilio: 'deleted' });
    expect(await rig.store.hash(keyOf(recording))).toEqual(await rig.emulator.expectedMedia(recording.sid));
    const logs = (await rig.queue.getJobLogs(archiveJobId(recording.sid))).logs.join('\n');
    expect(logs).toContain("does not fit Twilio's resource");
  });

  it('a body trickling in is cut at its deadline, then the recording is archived', async () => {
    const recording = rig.addRecording({ duration: 5 });
    rig.emulator.injectFault({
      route: 'media',
      recordingSid: recording.sid,
      kind: 'trickle',
      intervalMs: 50,
      bytes: 16,
      times: 2,
    });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    expect(job.attemptsMade).toBe(3);
    const size = (await rig.emulator.expectedMedia(recording.sid)).bytes;
    const media = requestsFor(rig, recording.sid).filter((e) => e.route === 'media');
    expect(media.map((e) => e.fault)).toEqual(['trickle', 'trickle', undefined]);
    expect(media.slice(0, 2).every((e) => e.bytesSent < size)).toBe(true);
    const logs = (await rig.queue.getJobLogs(archiveJobId(recording.sid))).logs.join('\n');
    expect(logs).toContain('did not finish within its deadline');
    const deletes = requestsFor(rig, recording.sid).filter((e) => e.route === 'delete');
    expect(deletes.every((e) => e.seq > (media[2] as RequestLogEntry).seq)).toBe(true);
  });
});

describe('Retry-After', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('pauses the queue for a Retry-After of 45 s as given, then for no more than the cap', async () => {
    const vault = await rig.startWorker();
    const recording = rig.addRecording({ duration: 5 });
    rig.emulator.injectFault({
      route: 'fetch',
      recordingSid: recording.sid,
      kind: 'rateLimit',
      retryAfterSeconds: 45,
      times: 1,
    });
    await rig.enqueue(recording);
    await waitFor(() => requestsFor(rig, recording.sid).some((e) => e.status === 429), 'the 429');
    await waitFor(async () => (await rig.queue.getRateLimitTtl()) > 0, 'the queue to pause');
    // The pause is Twilio's 45 s (less the time since), not BullMQ's default ceiling of 30 s.
    expect(await rig.queue.getRateLimitTtl()).toBeGreaterThan(30_000);
    expect(await rig.queue.getRateLimitTtl()).toBeLessThanOrEqual(45_000);
    expect(requestsFor(rig, recording.sid).filter((e) => e.route === 'fetch')).toHaveLength(1);
    // Ending the pause by hand (as an operator could) lets the job through at once.
    await rig.queue.removeRateLimitKey();
    await vault.close(1_000);
    await rig.startWorker({}, { retryAfterMaxMs: 1_500 });
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    expect(job.attemptsMade).toBe(1);

    // With a cap of 1.5 s, a Retry-After of 45 s pauses the queue for 1.5 s.
    const capped = rig.addRecording({ duration: 5 });
    rig.emulator.injectFault({
      route: 'fetch',
      recordingSid: capped.sid,
      kind: 'rateLimit',
      retryAfterSeconds: 45,
      times: 1,
    });
    await rig.enqueue(capped);
    await waitFor(() => requestsFor(rig, capped.sid).some((e) => e.status === 429), 'the second 429');
    expect(await rig.queue.getRateLimitTtl()).toBeLessThanOrEqual(1_500);
    expect((await rig.settle(capped.sid)).returnvalue).toMatchObject({ outcome: 'archived' });
    await assertEveryDeleteWasSafe(rig);
  });
});

describe('a run that lost its lock', () => {
  let rig: ArchiveRig;
  let dropLockOf: string | undefined;
  let redis: Redis;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    redis = workerConnection(rig.redis.url);
    await rig.startWorker(
      {},
      {
        lockDurationMs: 2_000,
        // Right before the verify, the job's lock vanishes, as when it expired under a stalled event loop and
        // the stalled-job check handed the job to another worker.
        wrapStore: (store) => ({
          ...store,
          async prove(key, expected, options) {
            if (dropLockOf && key.includes(dropLockOf)) {
              await redis.del(`${rig.prefix}:archive:${archiveJobId(dropLockOf)}:lock`);
              dropLockOf = undefined;
            }
            return await store.prove(key, expected, options);
          },
        }),
      },
    );
  });
  afterAll(async () => {
    redis.disconnect();
    await rig.close();
  });

  it('does not delete; the run that holds the lock deletes, once', async () => {
    const recording = rig.addRecording({ duration: 5 });
    dropLockOf = recording.sid;
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    expect(dropLockOf).toBeUndefined();
    // The run that lost its lock stopped before the DELETE; the run that took the job over sent the only one.
    const log = requestsFor(rig, recording.sid);
    expect(log.filter((e) => e.route === 'delete').map((e) => e.status)).toEqual([204]);
    const fetches = log.filter((e) => e.route === 'fetch');
    expect(fetches.length).toBeGreaterThanOrEqual(2);
    // The DELETE came from the run that took the job over (after its lookup), not from the one that lost it.
    const deleteSeq = (log.find((e) => e.route === 'delete') as RequestLogEntry).seq;
    expect(deleteSeq).toBeGreaterThan((fetches[1] as RequestLogEntry).seq);
    const logs = (await rig.queue.getJobLogs(archiveJobId(recording.sid))).logs.join('\n');
    expect(logs).toContain('no longer locked by this worker');
    await assertEveryDeleteWasSafe(rig);
  });
});
