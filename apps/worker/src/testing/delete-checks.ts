import type { RecordingResource, RequestLogEntry } from '@recording-vault/testkit';
import { expect } from 'vitest';
import { type ArchiveRig, keyOf, requestsFor } from './archive-rig.ts';

export const isMedia = (entry: RequestLogEntry) => entry.route === 'media' || entry.route === 'signed-media';

/** Media requests that sent the whole body: 200, no body fault, every byte handed to the socket. */
export async function fullDownloads(
  rig: ArchiveRig,
  recording: RecordingResource,
): Promise<RequestLogEntry[]> {
  const { bytes } = await rig.emulator.expectedMedia(recording.sid);
  return requestsFor(rig, recording.sid).filter(
    (entry) =>
      isMedia(entry) &&
      entry.status === 200 &&
      entry.fault !== 'reset' &&
      entry.fault !== 'truncate' &&
      entry.bytesSent === bytes,
  );
}

/**
 * One DELETE answered 204; every DELETE request, whatever its answer, came after a whole download; the 204
 * came after the last whole download; nothing was downloaded after it; the stored copy is the emulator's.
 */
export async function expectDeletedOnceAfterDownload(rig: ArchiveRig, recording: RecordingResource) {
  const log = requestsFor(rig, recording.sid);
  const full = await fullDownloads(rig, recording);
  const deleted = log.filter((entry) => entry.route === 'delete' && entry.status === 204);
  expect(deleted).toHaveLength(1);
  expect(full.length).toBeGreaterThan(0);
  const deleteSeq = (deleted[0] as RequestLogEntry).seq;
  const firstFull = (full[0] as RequestLogEntry).seq;
  expect((full.at(-1) as RequestLogEntry).seq).toBeLessThan(deleteSeq);
  for (const entry of log.filter((e) => e.route === 'delete')) expect(entry.seq).toBeGreaterThan(firstFull);
  expect(log.filter((entry) => isMedia(entry) && entry.seq > deleteSeq)).toEqual([]);
  expect(await rig.store.hash(keyOf(recording))).toEqual(await rig.emulator.expectedMedia(recording.sid));
  expect(rig.emulator.isDeleted(recording.sid)).toBe(true);
  return { log, full };
}
