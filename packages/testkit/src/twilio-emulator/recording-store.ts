import { randomBytes } from 'node:crypto';
import { isSid, makeSid } from './sid.ts';
import type { StoredTranscription, TranscriptionInput } from './transcription-resource.ts';

export type RecordingStatus =
  | 'in-progress'
  | 'paused'
  | 'stopped'
  | 'processing'
  | 'completed'
  | 'absent'
  | 'failed'
  | 'deleted';

export type RecordingSource =
  | 'DialVerb'
  | 'Conference'
  | 'OutboundAPI'
  | 'Trunking'
  | 'RecordVerb'
  | 'StartCallRecordingAPI'
  | 'StartConferenceRecordingAPI';

export type RecordingTrack = 'inbound' | 'outbound' | 'both';

export interface EncryptionDetails {
  encryption_public_key_sid: string;
  encryption_cek: string;
  encryption_iv: string;
}

export interface ApiKey {
  sid: string;
  secret: string;
}

export interface EmulatorAccount {
  accountSid: string;
  authToken: string;
  apiKeys: ApiKey[];
}

export interface AccountInput {
  accountSid?: string;
  authToken?: string;
  /** Defaults to one generated key; pass [] for none. */
  apiKeys?: ApiKey[];
}

export interface RecordingInput {
  accountSid: string;
  sid?: string;
  callSid?: string;
  conferenceSid?: string | null;
  /** Rounded down to the second, as Twilio's dates are. Defaults to now. */
  dateCreated?: Date | string | number;
  /** Defaults to dateCreated. */
  startTime?: Date | string | number;
  /** Whole seconds. Make it large (e.g. 7000 s ≈ 107 MiB of mono WAV) for big-media tests. */
  duration: number;
  channels?: 1 | 2;
  source?: RecordingSource;
  track?: RecordingTrack;
  /** Defaults to `completed`. */
  status?: Exclude<RecordingStatus, 'deleted'>;
  /** Defaults to 16101 for `absent`, null otherwise. */
  errorCode?: number | null;
  /** A `processing` recording answers this many resource fetches as `processing`, then is `completed`. */
  completeAfterFetches?: number;
  /** A `processing` recording is `completed` from this moment on. */
  completeAt?: Date | number;
  /** Voice Recording Encryption: `encryption_details` is set and the media is ciphertext. */
  encrypted?: boolean;
  /** Overrides the emulator's `signedMedia` option for this recording. */
  signedMedia?: boolean;
  price?: string | null;
  /** Transcriptions (`<Record transcribe="true">`): listed under the recording, each deletable. */
  transcriptions?: TranscriptionInput[];
}

/** The emulator's mutable state for one recording. Dates are epoch milliseconds. */
export interface StoredRecording {
  sid: string;
  accountSid: string;
  callSid: string;
  conferenceSid: string | null;
  dateCreated: number;
  dateUpdated: number;
  startTime: number;
  duration: number;
  channels: 1 | 2;
  source: RecordingSource;
  track: RecordingTrack;
  status: Exclude<RecordingStatus, 'deleted'>;
  errorCode: number | null;
  encryptionDetails: EncryptionDetails | null;
  signedMedia: boolean | undefined;
  price: string | null;
  deletedAt: number | null;
  fetchesUntilComplete: number | null;
  completeAt: number | null;
}

export interface RecordingCounts {
  total: number;
  active: number;
  deleted: number;
}

export interface RecordingStore {
  addAccount(input?: AccountInput): EmulatorAccount;
  account(accountSid: string): EmulatorAccount | undefined;
  /** The account an API key SID belongs to, with the key. */
  apiKey(keySid: string): { account: EmulatorAccount; key: ApiKey } | undefined;
  addRecording(input: RecordingInput): StoredRecording;
  /** Applies any due `completeAt` transition before answering. */
  get(sid: string): StoredRecording | undefined;
  /** Newest first (date_created, then SID, both descending), deleted ones included. */
  sorted(accountSid: string): readonly StoredRecording[];
  markDeleted(sid: string): boolean;
  /** Counts a resource fetch toward `completeAfterFetches`. */
  noteFetch(recording: StoredRecording): void;
  complete(sid: string): void;
  /** The recording's transcriptions in creation order, deleted ones included. */
  transcriptionsOf(recordingSid: string): readonly StoredTranscription[];
  transcription(sid: string): StoredTranscription | undefined;
  /** Counts a listing toward each in-progress transcription's `completeAfterFetches`. */
  noteTranscriptionListing(recordingSid: string): void;
  /** Moves an `in-progress` transcription to `completed` now. */
  completeTranscription(sid: string): void;
  /** False when unknown or already deleted. */
  markTranscriptionDeleted(sid: string): boolean;
  counts(accountSid?: string): RecordingCounts;
}

export function createRecordingStore(clock: () => number): RecordingStore {
  const accounts = new Map<string, EmulatorAccount>();
  const apiKeys = new Map<string, { account: EmulatorAccount; key: ApiKey }>();
  const recordings = new Map<string, StoredRecording>();
  const byAccount = new Map<string, { list: StoredRecording[]; dirty: boolean }>();
  const transcriptions = new Map<string, StoredTranscription>();
  const transcriptionsByRecording = new Map<string, StoredTranscription[]>();

  const settle = (recording: StoredRecording): StoredRecording => {
    if (
      recording.status === 'processing' &&
      recording.completeAt !== null &&
      clock() >= recording.completeAt
    ) {
      recording.status = 'completed';
      recording.dateUpdated = wholeSecond(recording.completeAt);
      recording.price ??= priceFor(recording.duration);
    }
    return recording;
  };

  const complete = (recording: StoredRecording): void => {
    if (recording.status !== 'processing') return;
    recording.status = 'completed';
    recording.dateUpdated = wholeSecond(clock());
    recording.price ??= priceFor(recording.duration);
  };

  const completeTranscription = (transcription: StoredTranscription): void => {
    if (transcription.status !== 'in-progress') return;
    transcription.status = 'completed';
    transcription.dateUpdated = wholeSecond(clock());
    transcription.listingsUntilComplete = null;
  };

  const addTranscriptions = (recording: StoredRecording, inputs: readonly TranscriptionInput[]): void => {
    const list: StoredTranscription[] = [];
    for (const input of inputs) {
      const sid = input.sid ?? makeSid('TR');
      if (!isSid(sid, 'TR')) throw new Error(`invalid transcription SID ${sid}`);
      if (transcriptions.has(sid)) throw new Error(`transcription ${sid} already exists`);
      const status = input.status ?? 'completed';
      const transcription: StoredTranscription = {
        sid,
        accountSid: recording.accountSid,
        recordingSid: recording.sid,
        status,
        text: input.text ?? '',
        duration: recording.duration,
        dateCreated: recording.dateUpdated,
        dateUpdated: recording.dateUpdated,
        deletedAt: null,
        listingsUntilComplete: status === 'in-progress' ? (input.completeAfterFetches ?? null) : null,
      };
      transcriptions.set(sid, transcription);
      list.push(transcription);
    }
    transcriptionsByRecording.set(recording.sid, list);
  };

  return {
    addAccount(input = {}) {
      const account: EmulatorAccount = {
        accountSid: input.accountSid ?? makeSid('AC'),
        authToken: input.authToken ?? randomBytes(16).toString('hex'),
        apiKeys: input.apiKeys ?? [{ sid: makeSid('SK'), secret: randomBytes(16).toString('base64url') }],
      };
      if (!isSid(account.accountSid, 'AC')) throw new Error(`invalid account SID ${account.accountSid}`);
      for (const key of account.apiKeys) {
        if (!isSid(key.sid, 'SK')) throw new Error(`invalid API key SID ${key.sid}`);
        apiKeys.set(key.sid, { account, key });
      }
      accounts.set(account.accountSid, account);
      if (!byAccount.has(account.accountSid)) byAccount.set(account.accountSid, { list: [], dirty: false });
      return account;
    },

    account: (accountSid) => accounts.get(accountSid),
    apiKey: (keySid) => apiKeys.get(keySid),

    addRecording(input) {
      const bucket = byAccount.get(input.accountSid);
      if (!bucket) throw new Error(`unknown account ${input.accountSid}: addAccount first`);
      const sid = input.sid ?? makeSid('RE');
      if (!isSid(sid, 'RE')) throw new Error(`invalid recording SID ${sid}`);
      if (recordings.has(sid)) throw new Error(`recording ${sid} already exists`);
      if (!Number.isInteger(input.duration) || input.duration < 0) {
        throw new Error(`duration must be whole seconds ≥ 0, got ${input.duration}`);
      }
      const channels = input.channels ?? 1;
      if (channels !== 1 && channels !== 2) throw new Error(`channels must be 1 or 2, got ${channels}`);
      const status = input.status ?? 'completed';
      const dateCreated = wholeSecond(toMillis(input.dateCreated ?? clock()));
      const conferenceSid = input.conferenceSid ?? null;
      const recording: StoredRecording = {
        sid,
        accountSid: input.accountSid,
        callSid: input.callSid ?? makeSid('CA'),
        conferenceSid,
        dateCreated,
        dateUpdated: dateCreated + input.duration * 1000,
        startTime: wholeSecond(toMillis(input.startTime ?? dateCreated)),
        duration: input.duration,
        channels,
        source: input.source ?? (conferenceSid ? 'StartConferenceRecordingAPI' : 'DialVerb'),
        track: input.track ?? 'both',
        status,
        errorCode: input.errorCode !== undefined ? input.errorCode : status === 'absent' ? 16101 : null,
        encryptionDetails: input.encrypted ? makeEncryptionDetails() : null,
        signedMedia: input.signedMedia,
        price:
          input.price !== undefined ? input.price : status === 'completed' ? priceFor(input.duration) : null,
        deletedAt: null,
        fetchesUntilComplete: status === 'processing' ? (input.completeAfterFetches ?? null) : null,
        completeAt:
          status === 'processing' && input.completeAt !== undefined ? toMillis(input.completeAt) : null,
      };
      recordings.set(sid, recording);
      addTranscriptions(recording, input.transcriptions ?? []);
      bucket.list.push(recording);
      bucket.dirty = true;
      return recording;
    },

    get(sid) {
      const recording = recordings.get(sid);
      return recording && settle(recording);
    },

    sorted(accountSid) {
      const bucket = byAccount.get(accountSid);
      if (!bucket) return [];
      if (bucket.dirty) {
        bucket.list.sort(compareNewestFirst);
        bucket.dirty = false;
      }
      for (const recording of bucket.list) settle(recording);
      return bucket.list;
    },

    markDeleted(sid) {
      const recording = recordings.get(sid);
      if (!recording || recording.deletedAt !== null) return false;
      recording.deletedAt = clock();
      recording.dateUpdated = wholeSecond(recording.deletedAt);
      // Twilio warning 13618: a transcription still in progress when its recording is deleted fails.
      for (const transcription of transcriptionsByRecording.get(sid) ?? []) {
        if (transcription.status !== 'in-progress') continue;
        transcription.status = 'failed';
        transcription.dateUpdated = wholeSecond(recording.deletedAt);
        transcription.listingsUntilComplete = null;
      }
      return true;
    },

    noteFetch(recording) {
      if (recording.status !== 'processing' || recording.fetchesUntilComplete === null) return;
      recording.fetchesUntilComplete -= 1;
      if (recording.fetchesUntilComplete <= 0) complete(recording);
    },

    complete(sid) {
      const recording = recordings.get(sid);
      if (!recording) throw new Error(`unknown recording ${sid}`);
      complete(recording);
    },

    transcriptionsOf: (recordingSid) => transcriptionsByRecording.get(recordingSid) ?? [],
    transcription: (sid) => transcriptions.get(sid),

    noteTranscriptionListing(recordingSid) {
      for (const transcription of transcriptionsByRecording.get(recordingSid) ?? []) {
        if (transcription.status !== 'in-progress' || transcription.listingsUntilComplete === null) continue;
        transcription.listingsUntilComplete -= 1;
        if (transcription.listingsUntilComplete <= 0) completeTranscription(transcription);
      }
    },

    completeTranscription(sid) {
      const transcription = transcriptions.get(sid);
      if (!transcription) throw new Error(`unknown transcription ${sid}`);
      completeTranscription(transcription);
    },

    markTranscriptionDeleted(sid) {
      const transcription = transcriptions.get(sid);
      if (!transcription || transcription.deletedAt !== null) return false;
      transcription.deletedAt = clock();
      return true;
    },

    counts(accountSid) {
      let total = 0;
      let deleted = 0;
      for (const recording of recordings.values()) {
        if (accountSid !== undefined && recording.accountSid !== accountSid) continue;
        total++;
        if (recording.deletedAt !== null) deleted++;
      }
      return { total, active: total - deleted, deleted };
    },
  };
}

/** The order of Twilio's list: newest first; the SID breaks ties so the order is total. */
export function compareNewestFirst(
  a: Pick<StoredRecording, 'dateCreated' | 'sid'>,
  b: Pick<StoredRecording, 'dateCreated' | 'sid'>,
): number {
  if (a.dateCreated !== b.dateCreated) return b.dateCreated - a.dateCreated;
  return a.sid < b.sid ? 1 : a.sid > b.sid ? -1 : 0;
}

function toMillis(value: Date | string | number): number {
  const millis =
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(millis)) throw new Error(`invalid date ${String(value)}`);
  return millis;
}

function wholeSecond(millis: number): number {
  return Math.floor(millis / 1000) * 1000;
}

/** Twilio bills $0.0025 per recorded minute, started minutes count. */
function priceFor(durationSeconds: number): string {
  return (-0.0025 * Math.max(1, Math.ceil(durationSeconds / 60))).toFixed(4);
}

function makeEncryptionDetails(): EncryptionDetails {
  return {
    encryption_public_key_sid: makeSid('CR'),
    encryption_cek: randomBytes(256).toString('base64'),
    encryption_iv: randomBytes(12).toString('base64'),
  };
}
