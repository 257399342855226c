import { pipeline, Transform } from 'node:stream';
import { type ArchiveIndex, entryFromSidecar, InvalidSidecarError } from '@recording-vault/archive-index';
import type { ArchiveJob, PurgeJob } from '@recording-vault/contract';
import {
  type ObjectStore,
  recordingObjectKey,
  StorageError,
  type StoredObject,
  sidecarKey,
  transcriptionsKey,
} from '@recording-vault/storage';
import {
  isTwilioNotFound,
  type MediaDownloader,
  type MediaExpectation,
  mediaSizeBounds,
  type RecordingResource,
  type TranscriptionResource,
  TwilioApiError,
} from '@recording-vault/twilio';
import { CopyMismatchError, ImpossibleJobError, RecordingNotReadyError } from './failures.ts';
import type { TwilioAccount } from './twilio-accounts.ts';
import { type CopyProver, createCopyProver, deleteAfterVerifying, expectedCopy } from './verified-delete.ts';

export interface ArchiveSettings {
  format: 'wav' | 'mp3';
  deleteFromTwilio: boolean;
  /**
   * When the recording is deleted at once, delete its transcriptions too (default: deleteFromTwilio). They are
   * archived either way.
   */
  deleteTranscriptions?: boolean;
  /** 0 deletes at once; otherwise a purge job deletes after this delay. */
  purgeDelayMs: number;
}

export interface ArchiveDeps {
  accounts: ReadonlyMap<string, TwilioAccount>;
  /** Where archived recordings are found again (by the recordings API): written before any delete. */
  index: Pick<ArchiveIndex, 'recordArchived'>;
  media: MediaDownloader;
  store: ObjectStore;
  /** How copies are proved before anything is deleted at Twilio. Default: read back. */
  prover?: CopyProver;
  settings: ArchiveSettings;
  schedulePurge(job: PurgeJob, delayMs: number): Promise<void>;
}

/** What the job reports back while it runs. */
export interface ArchiveRun {
  signal?: AbortSignal | undefined;
  /** Keeps the storage key with the job, so a retry after the delete can still find the copy. */
  rememberKey(key: string): Promise<void>;
  /** A line for the operator, shown in the dashboard. */
  note(line: string): Promise<void>;
  /** Bytes downloaded so far. */
  progress(bytes: number): void;
  /**
   * Right before a DELETE at Twilio: throws unless this run still owns the job (its lock, extended for
   * the delete), so that a run that lost its lock to another worker never deletes.
   */
  confirmOwnership(): Promise<void>;
  /** Times each step, for metrics. */
  step<T>(
    name: 'lookup' | 'download' | 'sidecar' | 'index' | 'transcriptions' | 'verify-delete',
    work: () => Promise<T>,
  ): Promise<T>;
}

export type ArchiveResult =
  | {
      outcome: 'archived';
      key: string;
      bytes: number;
      sha256: string;
      /** Whether this run wrote the copy, or found it written by an earlier one. */
      stored: 'now' | 'earlier';
      twilio: 'deleted' | 'already-gone' | 'kept' | 'delete-scheduled';
      /** Transcriptions archived to `<key>.transcriptions.json` before the delete (absent when none). */
      transcriptions?: { archived: number; deleted: number };
    }
  | { outcome: 'already-archived'; key: string; bytes: number }
  | { outcome: 'skipped'; reason: string };

const notReady = new Set(['processing', 'in-progress', 'paused', 'stopped']);
const nothingToArchive = new Set(['absent', 'failed']);

/**
 * One recording, start to end: look it up, store it unless a verified copy is there, write its sidecar,
 * then delete it at Twilio only after the stored bytes were read back and matched. Every step is safe to
 * run again after a crash at any point.
 */
export function createArchiver(deps: ArchiveDeps) {
  const { store, settings } = deps;
  const prover = deps.prover ?? createCopyProver(store, 'read-back');
  const deletesTranscriptions = settings.deleteTranscriptions ?? settings.deleteFromTwilio;

  async function archiveRecording(job: ArchiveJob, run: ArchiveRun): Promise<ArchiveResult> {
    const account = deps.accounts.get(job.accountSid);
    if (!account) throw new ImpossibleJobError(`account ${job.accountSid} is not configured in this worker`);

    // 1. Look it up. The answer must be this recording's (see lookUp) before anything it says counts.
    const recording = await run.step('lookup', () => lookUp(account, job, run.signal));
    if (recording === 'gone') {
      const key = job.archiveKey ?? keyFromJob(job, settings.format);
      const copy = key ? await recordedCopy(key) : undefined;
      if (copy) {
        // A run that crashed between its delete and its end may not have indexed it (an older worker).
        await run.step('index', () => indexStoredSidecar(copy.key));
        return { outcome: 'already-archived', key: copy.key, bytes: copy.bytes };
      }
      throw new ImpossibleJobError('the recording vanished at Twilio before it was archived');
    }
    if (notReady.has(recording.status)) throw new RecordingNotReadyError(recording.status);
    if (nothingToArchive.has(recording.status)) {
      return {
        outcome: 'skipped',
        reason: `recording is ${recording.status} (error ${recording.error_code ?? 'none'})`,
      };
    }
    if (recording.status !== 'completed')
      throw new ImpossibleJobError(`unexpected recording status ${recording.status}`);
    const durationSeconds = Number(recording.duration);
    if (recording.duration === null || recording.duration === undefined || !(durationSeconds >= 0)) {
      throw new TwilioApiError(
        'bad-media',
        `Twilio's resource gives no usable duration (${String(recording.duration)}), so the media cannot be checked against it`,
      );
    }

    const key = keyFor(job, recording, settings.format);
    if (job.archiveKey !== key) await run.rememberKey(key);
    const channels = recording.channels === 2 ? 2 : 1;

    // 2. Skip what is done: a copy whose size and hash were recorded when it was written, and which fits the
    // resource (its recording and channels, a size its duration allows; one stored before media was checked
    // against the resource may not), else it is downloaded again over it.
    const expect = {
      format: settings.format,
      channels,
      durationSeconds,
      encrypted: recording.encryption_details != null,
    } as const;
    let copy = await recordedCopy(key);
    if (copy && !fitsResource(copy, job, expect)) {
      await run.note(`stored ${key} does not fit Twilio's resource (${copy.bytes} bytes): downloading again`);
      copy = undefined;
    }
    const stored = copy ? 'earlier' : 'now';
    if (copy) {
      await run.note(`already stored: ${key} (${copy.bytes} bytes, sha256 ${copy.sha256})`);
    } else {
      // 3. Download and store in one stream.
      copy = await run.step('download', () => downloadAndStore(account, job, key, expect, run));
      await run.note(`stored ${key}: ${copy.bytes} bytes, sha256 ${copy.sha256}`);
    }

    // 4. The metadata sidecar and the recording's index entry, before anything is deleted.
    const record = sidecar(job, recording, copy, channels);
    await run.step('sidecar', () => store.putJson(sidecarKey(key), record));
    await run.step('index', () => indexSidecar(record));

    // 5. Verify and delete.
    const target = expectedCopy(copy);
    const done = { outcome: 'archived', key, bytes: copy.bytes, sha256: copy.sha256, stored } as const;
    if (!settings.deleteFromTwilio) return { ...done, twilio: 'kept' };
    if (settings.purgeDelayMs > 0) {
      // Its transcriptions are archived now and deleted by the purge job, before the recording.
      const transcriptions = await run.step('transcriptions', () =>
        keepTranscriptions(account, job, key, run, false),
      );
      await deps.schedulePurge(
        { accountSid: job.accountSid, recordingSid: job.recordingSid, ...target },
        settings.purgeDelayMs,
      );
      await run.note(`delete at Twilio scheduled in ${settings.purgeDelayMs / 1000} s`);
      return {
        ...done,
        twilio: 'delete-scheduled',
        ...(transcriptions ? { transcriptions } : {}),
      };
    }
    // 6. Transcriptions: waited for (deleting the recording would fail one in progress), archived and read
    // back, then deleted, all before the recording.
    const transcriptions = await run.step('transcriptions', () =>
      keepTranscriptions(account, job, key, run, deletesTranscriptions),
    );
    const deleted = await run.step('verify-delete', () =>
      deleteAfterVerifying(store, prover, account.rest, job.recordingSid, target, {
        signal: run.signal,
        onMismatch: 'remove-copy',
        confirmOwnership: run.confirmOwnership,
      }),
    );
    await run.note(`verified ${key} by ${prover.method} and deleted the recording at Twilio (${deleted})`);
    return {
      ...done,
      twilio: deleted,
      ...(transcriptions ? { transcriptions } : {}),
    };
  }

  /**
   * Every transcription of the recording, stored with its text in `<key>.transcriptions.json` and proved as
   * recordings are, then deleted at Twilio when `andDelete`. Throws RecordingNotReadyError
   * while one is in progress. Transcriptions an earlier run archived and deleted stay in the file. Undefined
   * when the recording has none: nothing is written.
   */
  async function keepTranscriptions(
    account: TwilioAccount,
    job: Pick<ArchiveJob, 'accountSid' | 'recordingSid'>,
    key: string,
    run: Pick<ArchiveRun, 'signal' | 'note' | 'confirmOwnership'>,
    andDelete: boolean,
  ): Promise<{ archived: number; deleted: number } | undefined> {
    let listed: TranscriptionResource[];
    try {
      listed = await account.rest.listTranscriptions(job.recordingSid, { signal: run.signal });
    } catch (error) {
      // Gone since the lookup (another run's delete): nothing left to wait for; the delete says 'already-gone'.
      if (isTwilioNotFound(error)) return undefined;
      throw error;
    }
    const pending = listed.find((t) => t.status !== 'completed' && t.status !== 'failed');
    if (pending) {
      throw new RecordingNotReadyError(
        `transcription-${pending.status}`,
        `transcription ${pending.sid} is ${pending.status}; waiting before the delete`,
      );
    }
    // Nothing at Twilio: nothing to wait for, keep or delete, and no storage round trip for the common case
    // (a file an earlier run stored and proved before deleting these transcriptions stays as it is).
    if (listed.length === 0) return undefined;
    const fileKey = transcriptionsKey(key);
    const earlier = await storedTranscriptions(fileKey);

    const bySid = new Map((earlier ?? []).map((t) => [t.sid, t]));
    for (const transcription of listed) bySid.set(transcription.sid, transcription);
    const all = [...bySid.values()];
    let written: StoredObject | undefined;
    if (JSON.stringify(all) !== JSON.stringify(earlier)) {
      written = await store.putJson(fileKey, {
        recordingSid: job.recordingSid,
        accountSid: job.accountSid,
        archivedAt: new Date().toISOString(),
        transcriptions: all,
      });
    }
    // The same rule as the recording's: nothing is deleted until the stored file is proved to be what was written.
    const recorded = written ?? (await store.stat(fileKey));
    const prove = async () => {
      const proof = recorded && (await prover.prove(expectedCopy(recorded), run.signal));
      if (!recorded || !proof?.matches) {
        throw new CopyMismatchError(
          `stored transcriptions ${fileKey} do not match what was written${proof ? ` (${proof.found})` : ''}; the recording and its transcriptions are kept at Twilio`,
        );
      }
      return recorded;
    };
    const proved = await prove();
    await run.note(`stored ${all.length} transcription(s) in ${fileKey} (sha256 ${proved.sha256})`);

    let deleted = 0;
    if (andDelete) {
      for (const transcription of listed) {
        // Proved again once the request slot is held: no wait comes between the proof and the DELETE.
        await account.rest.deleteTranscription(transcription.sid, {
          signal: run.signal,
          async beforeSend() {
            await prove();
            await run.confirmOwnership();
          },
        });
        deleted++;
      }
      if (deleted > 0) await run.note(`deleted ${deleted} transcription(s) at Twilio`);
    }
    return { archived: all.length, deleted };
  }

  /** Indexes a recording from its sidecar: the same entry `vault reindex` would make from storage. */
  async function indexSidecar(record: unknown): Promise<void> {
    let entry: ReturnType<typeof entryFromSidecar>;
    try {
      entry = entryFromSidecar(record);
    } catch (error) {
      // A resource without date_created, or without a call or conference, cannot be found again: keep it.
      if (error instanceof InvalidSidecarError) throw new ImpossibleJobError(error.message);
      throw error;
    }
    await deps.index.recordArchived(entry);
  }

  /** Indexes a stored copy from the sidecar beside it, when there is one. */
  async function indexStoredSidecar(key: string): Promise<void> {
    const jsonKey = sidecarKey(key);
    if (!(await store.exists(jsonKey))) return;
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(jsonKey)) chunks.push(chunk as Buffer);
    const record: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    try {
      await deps.index.recordArchived(entryFromSidecar(record));
    } catch (error) {
      // The copy is archived and gone at Twilio whatever its sidecar says: `vault reindex` reports it.
      if (!(error instanceof InvalidSidecarError)) throw error;
    }
  }

  /** The transcriptions an earlier run stored for this recording; undefined when there is no such file. */
  async function storedTranscriptions(fileKey: string): Promise<TranscriptionResource[] | undefined> {
    if (!(await recordedCopy(fileKey))) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(fileKey)) chunks.push(chunk as Buffer);
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { transcriptions?: unknown };
    return Array.isArray(parsed.transcriptions) ? (parsed.transcriptions as TranscriptionResource[]) : [];
  }

  /**
   * The copy at `key` with the size and hash recorded when it was written; undefined when there is none. An
   * object without that record (written by something else, or left by a store that is not atomic) proves
   * nothing: it counts as no copy, and is overwritten by a fresh download while Twilio still has the recording.
   */
  async function recordedCopy(key: string): Promise<StoredObject | undefined> {
    try {
      return await store.stat(key);
    } catch (error) {
      if (error instanceof StorageError && error.kind === 'unrecorded') return undefined;
      throw error;
    }
  }

  async function downloadAndStore(
    account: TwilioAccount,
    job: ArchiveJob,
    key: string,
    expect: MediaExpectation,
    run: ArchiveRun,
  ): Promise<StoredObject> {
    // The media is checked against the resource as it streams (type, channels, duration, header sizes):
    // a body that is not the recording fails the put, and nothing is stored at the key.
    const media = await deps.media.download(account.credentials, job.recordingSid, {
      ...expect,
      signal: run.signal,
    });
    let seen = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        run.progress(seen);
        done(null, chunk);
      },
    });
    // pipeline, not pipe: it hands a failure of either stream to the other and listens for errors on both.
    // With pipe, a media body that failed before the store began reading `counted` was re-emitted as an
    // unhandled 'error', which crashes the process. The store sees the failure when it reads `counted`.
    pipeline(media.body, counted, () => {});
    try {
      return await store.put(key, counted, {
        contentType: media.contentType,
        ...(media.contentLength === undefined ? {} : { expectedBytes: media.contentLength }),
        metadata: {
          'recording-sid': job.recordingSid,
          'account-sid': job.accountSid,
          channels: String(expect.channels),
        },
        ...(run.signal ? { signal: run.signal } : {}),
      });
    } catch (error) {
      // A store that failed before reading the body (a folder it cannot write) leaves the download paused:
      // end it, so that its connection and its request slot at Twilio are given back now.
      counted.destroy(error as Error);
      throw error;
    }
  }

  return Object.assign(archiveRecording, {
    /** For the purge job: the transcriptions archived (again, if new ones came) and deleted, before the recording. */
    keepTranscriptions: (
      account: TwilioAccount,
      job: Pick<ArchiveJob, 'accountSid' | 'recordingSid'>,
      key: string,
      run: Pick<ArchiveRun, 'signal' | 'note' | 'confirmOwnership'>,
    ) => keepTranscriptions(account, job, key, run, deletesTranscriptions),
  });
}

/** Whether a recorded copy can be this recording: its SIDs and channels as stored, its size in bounds. */
function fitsResource(copy: StoredObject, job: ArchiveJob, expect: MediaExpectation): boolean {
  const { min, max } = mediaSizeBounds(expect);
  const meta = copy.metadata;
  return (
    (meta['recording-sid'] ?? job.recordingSid) === job.recordingSid &&
    (meta['account-sid'] ?? job.accountSid) === job.accountSid &&
    (meta.channels ?? String(expect.channels)) === String(expect.channels) &&
    copy.bytes >= min &&
    copy.bytes <= max
  );
}

async function lookUp(
  account: TwilioAccount,
  job: ArchiveJob,
  signal: AbortSignal | undefined,
): Promise<RecordingResource | 'gone'> {
  let recording: RecordingResource;
  try {
    recording = await account.rest.fetchRecording(job.recordingSid, { signal });
  } catch (error) {
    if (isTwilioNotFound(error)) return 'gone';
    throw error;
  }
  // One recording, one identity: a resource that carries other SIDs is not this recording, whatever its
  // status says (another recording's `deleted` must not pass for this one being gone). The key, the
  // download and the delete all follow the job's SIDs.
  if (recording.sid !== job.recordingSid || recording.account_sid !== job.accountSid) {
    throw new TwilioApiError(
      'bad-media',
      `Twilio answered the lookup of ${job.recordingSid} (account ${job.accountSid}) with the resource of ${recording.sid} (account ${recording.account_sid}); nothing is stored or deleted`,
    );
  }
  return recording.status === 'deleted' ? 'gone' : recording;
}

function keyFor(job: ArchiveJob, recording: RecordingResource, format: 'wav' | 'mp3'): string {
  const callSid = recording.call_sid || recording.conference_sid;
  const startedAt = recording.start_time ?? recording.date_created;
  if (!callSid || !startedAt) {
    throw new ImpossibleJobError(
      'Twilio returned the recording without a call or conference SID, or without a start time',
    );
  }
  return recordingObjectKey({
    accountSid: job.accountSid,
    callSid,
    recordingSid: job.recordingSid,
    startTime: new Date(startedAt),
    format,
  });
}

/** Where a copy made for this job would be, for a recording Twilio no longer knows. */
function keyFromJob(job: ArchiveJob, format: 'wav' | 'mp3'): string | undefined {
  const callSid = job.callSid ?? job.callback?.conferenceSid;
  const startTime = job.startTime ?? job.callback?.startTime;
  if (!callSid || !startTime) return undefined;
  return recordingObjectKey({
    accountSid: job.accountSid,
    callSid,
    recordingSid: job.recordingSid,
    startTime: new Date(startTime),
    format,
  });
}

function sidecar(job: ArchiveJob, recording: RecordingResource, copy: StoredObject, channels: 1 | 2) {
  return {
    // Everything Twilio said, encryption_details included: without them an encrypted recording can never
    // be decrypted once Twilio has deleted it.
    recording,
    callback: job.callback ?? null,
    archive: {
      key: copy.key,
      bytes: copy.bytes,
      sha256: copy.sha256,
      contentType: copy.contentType,
      format: copy.key.endsWith('.mp3') ? 'mp3' : 'wav',
      channels,
      origin: job.origin,
      archivedAt: new Date().toISOString(),
    },
  };
}
