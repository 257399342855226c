import { sidecarKey, transcriptionsKey } from '@recording-vault/storage';
import type { RecordingResource, RequestLogEntry } from '@recording-vault/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiveRig,
  assertEveryDeleteWasSafe,
  keyOf,
  requestsFor,
  startArchiveRig,
  waitFor,
} from './testing/archive-rig.ts';

// Recordings made with <Record transcribe="true"> have transcriptions. Deleting a recording whose
// transcription is in progress makes that transcription fail, so the worker waits for them, stores them
// (text included) beside the recording, reads them back, deletes them, and only then deletes the recording.

async function storedTranscriptions(rig: ArchiveRig, recording: RecordingResource) {
  const chunks: Buffer[] = [];
  for await (const chunk of await rig.store.get(transcriptionsKey(keyOf(recording))))
    chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    recordingSid: string;
    transcriptions: Array<{ sid: string; status: string; transcription_text: string | null }>;
  };
}

const seqOf = (entries: RequestLogEntry[], route: RequestLogEntry['route']) =>
  entries.filter((e) => e.route === route && e.status === 204).map((e) => e.seq);

/** A recording whose one transcription is in progress for `completeAfterFetches` listings, archived. */
async function archiveWithTranscription(
  rig: ArchiveRig,
  input: { duration: number; completeAfterFetches: number; text: string },
) {
  const recording = rig.addRecording({
    duration: input.duration,
    transcriptions: [
      { status: 'in-progress', completeAfterFetches: input.completeAfterFetches, text: input.text },
    ],
  });
  const [transcription] = rig.emulator.transcriptions(recording.sid);
  if (!transcription) throw new Error('expected a transcription');
  await rig.enqueue(recording);
  return { recording, transcription, job: await rig.settle(recording.sid) };
}

describe('transcriptions, deleted with the recording', () => {
  let rig: ArchiveRig;
  /** The emulator's last request number when each `.transcriptions.json` was written. */
  const writtenAtSeq = new Map<string, number>();

  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    await rig.startWorker(
      {},
      {
        wrapStore: (store) => ({
          ...store,
          async putJson(key, value, metadata) {
            const written = await store.putJson(key, value, metadata);
            if (key.endsWith('.transcriptions.json'))
              writtenAtSeq.set(key, rig.emulator.requests.at(-1)?.seq ?? 0);
            return written;
          },
        }),
      },
    );
  });
  afterEach(async () => {
    await assertEveryDeleteWasSafe(rig);
  });
  afterAll(async () => {
    await rig.close();
  });

  it('waits for a transcription in progress, archives its text, deletes it, then the recording', async () => {
    const { recording, transcription, job } = await archiveWithTranscription(rig, {
      duration: 20,
      completeAfterFetches: 3,
      text: 'please call me back',
    });

    expect(job.returnvalue).toMatchObject({
      outcome: 'archived',
      twilio: 'deleted',
      transcriptions: { archived: 1, deleted: 1 },
    });
    // Waiting used no attempt: the job was looked at again later, not failed and retried.
    expect(job.attemptsMade).toBeLessThanOrEqual(1);
    const requests = requestsFor(rig, recording.sid);
    const listings = requests.filter((e) => e.route === 'transcriptions');
    expect(listings.length).toBeGreaterThanOrEqual(4);
    const [transcriptionDelete] = seqOf(requests, 'delete-transcription');
    const [recordingDelete] = seqOf(requests, 'delete');
    if (transcriptionDelete === undefined || recordingDelete === undefined)
      throw new Error('expected deletes');
    // No delete while the transcription was in progress: the first three listings came before either one.
    for (const listing of listings.slice(0, 3)) expect(listing.seq).toBeLessThan(transcriptionDelete);
    // Stored, then the transcription deleted, then the recording.
    const written = writtenAtSeq.get(transcriptionsKey(keyOf(recording)));
    expect(written).toBeDefined();
    expect(transcriptionDelete).toBeGreaterThan(written ?? Number.POSITIVE_INFINITY);
    expect(recordingDelete).toBeGreaterThan(transcriptionDelete);
    expect(requests.filter((e) => e.route === 'delete-transcription')).toHaveLength(1);
    expect(requests.filter((e) => e.route === 'delete')).toHaveLength(1);

    // It completed rather than failed (Twilio's 13618), and its text is in the archive.
    expect(rig.emulator.isTranscriptionDeleted(transcription.sid)).toBe(true);
    expect(rig.emulator.isDeleted(recording.sid)).toBe(true);
    expect(rig.emulator.transcriptions(recording.sid)[0]?.status).toBe('completed');
    const archived = await storedTranscriptions(rig, recording);
    expect(archived.recordingSid).toBe(recording.sid);
    expect(archived.transcriptions).toEqual([
      expect.objectContaining({
        sid: transcription.sid,
        status: 'completed',
        transcription_text: 'please call me back',
      }),
    ]);
  });

  it('archives and deletes completed and failed transcriptions alike', async () => {
    const recording = rig.addRecording({
      duration: 10,
      transcriptions: [{ text: 'first' }, { status: 'failed' }],
    });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({
      outcome: 'archived',
      twilio: 'deleted',
      transcriptions: { archived: 2, deleted: 2 },
    });
    const archived = await storedTranscriptions(rig, recording);
    expect(archived.transcriptions.map((t) => [t.status, t.transcription_text])).toEqual([
      ['completed', 'first'],
      ['failed', null],
    ]);
    const requests = requestsFor(rig, recording.sid);
    const recordingDelete = seqOf(requests, 'delete')[0] ?? 0;
    expect(seqOf(requests, 'delete-transcription')).toHaveLength(2);
    for (const seq of seqOf(requests, 'delete-transcription')) expect(seq).toBeLessThan(recordingDelete);
  });

  it('a recording without transcriptions is archived as before: no extra object, nothing else deleted', async () => {
    const recording = rig.addRecording({ duration: 5 });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    expect(job.returnvalue).not.toHaveProperty('transcriptions');
    expect(await rig.store.exists(keyOf(recording))).toBe(true);
    expect(await rig.store.exists(sidecarKey(keyOf(recording)))).toBe(true);
    expect(await rig.store.exists(transcriptionsKey(keyOf(recording)))).toBe(false);
    const requests = requestsFor(rig, recording.sid);
    expect(requests.filter((e) => e.route === 'delete-transcription')).toEqual([]);
    expect(requests.filter((e) => e.route === 'delete' && e.status === 204)).toHaveLength(1);
  });
});

describe('transcriptions with DELETE_TRANSCRIPTIONS=false', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    await rig.startWorker({ deleteTranscriptions: false });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('archives the transcriptions, waits for them, deletes only the recording', async () => {
    const { recording, transcription, job } = await archiveWithTranscription(rig, {
      duration: 10,
      completeAfterFetches: 2,
      text: 'kept at Twilio',
    });
    expect(job.returnvalue).toMatchObject({
      outcome: 'archived',
      twilio: 'deleted',
      transcriptions: { archived: 1, deleted: 0 },
    });
    expect(await assertEveryDeleteWasSafe(rig)).toBe(1);
    expect(rig.emulator.requests.filter((e) => e.method === 'DELETE').map((e) => e.route)).toEqual([
      'delete',
    ]);
    expect(rig.emulator.isTranscriptionDeleted(transcription.sid)).toBe(false);
    expect(rig.emulator.transcriptions(recording.sid)[0]).toMatchObject({
      status: 'completed',
      transcription_text: 'kept at Twilio',
    });
    expect((await storedTranscriptions(rig, recording)).transcriptions).toEqual([
      expect.objectContaining({ sid: transcription.sid, transcription_text: 'kept at Twilio' }),
    ]);
  });
});

describe('transcriptions with PURGE_DELAY', () => {
  let rig: ArchiveRig;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('archives them with the recording, and the purge job deletes them, then the recording', async () => {
    const vault = await rig.startWorker({ purgeDelayMs: 500 });
    const { recording, transcription, job } = await archiveWithTranscription(rig, {
      duration: 10,
      completeAfterFetches: 1,
      text: 'archived before the purge',
    });
    expect(job.returnvalue).toMatchObject({
      twilio: 'delete-scheduled',
      transcriptions: { archived: 1, deleted: 0 },
    });
    // Archived at once, text included; nothing deleted yet.
    expect((await storedTranscriptions(rig, recording)).transcriptions).toEqual([
      expect.objectContaining({ sid: transcription.sid, transcription_text: 'archived before the purge' }),
    ]);
    expect(rig.emulator.isTranscriptionDeleted(transcription.sid)).toBe(false);

    const purgeId = `purge-${recording.sid}`;
    await waitFor(
      async () => ['completed', 'failed'].includes(await vault.queues.purge.getJobState(purgeId)),
      'the purge job',
    );
    const purge = await vault.queues.purge.getJob(purgeId);
    expect(purge?.returnvalue).toMatchObject({
      twilio: 'deleted',
      transcriptions: { archived: 1, deleted: 1 },
    });
    const requests = requestsFor(rig, recording.sid);
    const [transcriptionDeleted] = seqOf(requests, 'delete-transcription');
    const [recordingDeleted] = seqOf(requests, 'delete');
    expect(transcriptionDeleted).toBeLessThan(recordingDeleted ?? 0);
    expect(await assertEveryDeleteWasSafe(rig)).toBe(1);
    await vault.close(1_000);
  });
});
