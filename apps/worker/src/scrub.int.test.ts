import { Readable } from 'node:stream';
import { sidecarKey } from '@recording-vault/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiveRig, keyOf, startArchiveRig, waitFor } from './testing/archive-rig.ts';
import { scrubSchedulerId } from './workers.ts';

// Once Twilio's copy is deleted the vault holds the only one: the scheduled scrub keeps reading the stored
// copies back and checking them against what the archive recorded.

describe('the scheduled scrub', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('reads every archived copy back and reports the one that changed and the one whose sidecar went', async () => {
    const archiver = await rig.startWorker();
    const recordings = [1, 2, 3, 4].map((duration) => rig.addRecording({ duration }));
    for (const recording of recordings) await rig.enqueue(recording);
    for (const recording of recordings) {
      expect((await rig.settle(recording.sid)).returnvalue).toMatchObject({ twilio: 'deleted' });
    }
    await archiver.close(1_000);
    const [changed, unsided] = recordings;
    if (!changed || !unsided) throw new Error('recordings expected');
    await rig.store.put(keyOf(changed), Readable.from([Buffer.from('not the recording any more')]), {
      contentType: 'audio/x-wav',
    });
    await rig.store.delete(sidecarKey(keyOf(unsided)));

    const scrubbing = await rig.startWorker({}, { scrubEveryMs: 60_000, scrubSample: 0 });
    const scrubs = scrubbing.queues.scrub;
    expect(await scrubs.getJobScheduler(scrubSchedulerId)).toMatchObject({ every: 60_000 });
    await waitFor(async () => (await scrubs.getJobs(['completed', 'failed'])).length > 0, 'a scrub');
    const [scrub] = await scrubs.getJobs(['completed', 'failed']);
    expect(await scrub?.getState()).toBe('completed');
    expect(scrub?.returnvalue).toMatchObject({
      walked: 4,
      checked: 4,
      ok: 2,
      corrupt: 1,
      noSidecar: 1,
      missing: 0,
      unreadable: 0,
      complete: true,
    });
    await scrubbing.close(1_000);
  });
});
