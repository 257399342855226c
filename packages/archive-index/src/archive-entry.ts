import { AccountSid, ConferenceSid, RecordingSid } from '@recording-vault/contract';
import { sidecarKey } from '@recording-vault/storage';
import { z } from 'zod';

export type ArchiveFormat = 'wav' | 'mp3';

/** What the index knows of one archived recording: enough to find, check and serve it without storage. */
export interface ArchiveEntry {
  readonly recordingSid: string;
  readonly accountSid: string;
  /** The storage key of the recording's bytes; its sidecar is `<key>.json`. */
  readonly key: string;
  readonly format: ArchiveFormat;
  /** The stored size and SHA-256 (lowercase hex), as recorded when the copy was written and verified. */
  readonly bytes: number;
  readonly sha256: string;
  /** Null for a conference recording Twilio gave without a call. */
  readonly callSid: string | null;
  readonly conferenceSid: string | null;
  /** Twilio's `date_created`, epoch milliseconds: the order of listings. */
  readonly dateCreated: number;
  /** Whole seconds, as Twilio gives them. */
  readonly durationSeconds: number;
  /** Channels of the stored file. */
  readonly channels: 1 | 2;
  /** Voice Recording Encryption: the stored bytes are ciphertext. */
  readonly encrypted: boolean;
}

/** An entry as a lookup returns it: with where its sidecar (Twilio's resource) is. */
export interface IndexedRecording extends ArchiveEntry {
  readonly sidecarKey: string;
}

/** A sidecar that cannot be indexed, with the reason in words. */
export class InvalidSidecarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSidecarError';
  }
}

const CallSidOrNone = z
  .string()
  .regex(/^CA[0-9a-f]{32}$/, 'must be CA followed by 32 lowercase hex digits')
  .or(z.literal(''))
  .nullable()
  .optional();

/**
 * The sidecar the worker writes beside each recording (`<key>.json`): Twilio's resource as returned, the
 * callback's facts, and the archive's own record. Only what the index needs is checked; the rest passes.
 */
export const ArchiveSidecar = z.looseObject({
  recording: z.looseObject({
    sid: RecordingSid,
    account_sid: AccountSid,
    call_sid: CallSidOrNone,
    conference_sid: ConferenceSid.nullable().optional(),
    date_created: z.string(),
    duration: z.union([z.string(), z.number()]),
    encryption_details: z.unknown().optional(),
  }),
  archive: z.looseObject({
    key: z.string(),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    format: z.enum(['wav', 'mp3']),
    channels: z.union([z.literal(1), z.literal(2)]),
  }),
});
export type ArchiveSidecar = z.infer<typeof ArchiveSidecar>;

// The worker's layout (recordingObjectKey): account / UTC day / call or conference / recording.format.
const RECORDING_KEY =
  /^(AC[0-9a-f]{32})\/\d{4}\/\d{2}\/\d{2}\/(?:CA|CF)[0-9a-f]{32}\/(RE[0-9a-f]{32})\.(wav|mp3)$/;

/**
 * The index entry of a sidecar. The worker indexes what it just wrote with this, and a rebuild reads the
 * same sidecars back through it, so both give identical entries. A sidecar whose parts disagree (a key of
 * another recording or account, a format the key does not end with) is refused: the index must never point
 * a recording at bytes that are not its own.
 */
export function entryFromSidecar(sidecar: unknown): ArchiveEntry {
  const parsed = ArchiveSidecar.safeParse(sidecar);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidSidecarError(
      `sidecar is not an archive record: ${issue?.path.join('.') || 'document'} ${issue?.message ?? ''}`.trim(),
    );
  }
  const { recording, archive } = parsed.data;
  const key = RECORDING_KEY.exec(archive.key);
  if (!key) {
    throw new InvalidSidecarError(`archive.key ${JSON.stringify(archive.key)} is not a recording's key`);
  }
  if (key[1] !== recording.account_sid || key[2] !== recording.sid || key[3] !== archive.format) {
    throw new InvalidSidecarError(
      `archive.key ${archive.key} is not the ${archive.format} of ${recording.sid} (account ${recording.account_sid})`,
    );
  }
  const dateCreated = Date.parse(recording.date_created);
  if (!Number.isFinite(dateCreated) || dateCreated < 0) {
    throw new InvalidSidecarError(
      `recording.date_created ${JSON.stringify(recording.date_created)} is no date`,
    );
  }
  const durationSeconds = Number(recording.duration);
  if (!Number.isSafeInteger(durationSeconds) || durationSeconds < 0) {
    throw new InvalidSidecarError(
      `recording.duration ${JSON.stringify(recording.duration)} is not whole seconds`,
    );
  }
  return {
    recordingSid: recording.sid,
    accountSid: recording.account_sid,
    key: archive.key,
    format: archive.format,
    bytes: archive.bytes,
    sha256: archive.sha256,
    callSid: recording.call_sid || null,
    conferenceSid: recording.conference_sid ?? null,
    dateCreated,
    durationSeconds,
    channels: archive.channels,
    encrypted: recording.encryption_details != null,
  };
}

export function withSidecarKey(entry: ArchiveEntry): IndexedRecording {
  return { ...entry, sidecarKey: sidecarKey(entry.key) };
}
