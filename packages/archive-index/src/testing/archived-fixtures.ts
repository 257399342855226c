import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { type ObjectStore, recordingObjectKey, sidecarKey } from '@recording-vault/storage';
import { type ArchiveEntry, entryFromSidecar } from '../archive-entry.ts';
import type { ArchiveIndex } from '../archive-index.ts';

/** Builds archived recordings for tests: the bytes, the sidecar and the index entry, as the worker leaves them. */

export interface ArchivedRecordingInput {
  accountSid: string;
  recordingSid?: string;
  /** Null for a conference recording without a call (then `conferenceSid` names the folder). */
  callSid?: string | null;
  conferenceSid?: string | null;
  /** Whole seconds, as Twilio's dates are. */
  dateCreated: Date;
  durationSeconds?: number;
  channels?: 1 | 2;
  format?: 'wav' | 'mp3';
  encrypted?: boolean;
}

export interface ArchivedRecording {
  entry: ArchiveEntry;
  /** The recording resource as Twilio returned it, which the sidecar keeps. */
  resource: Record<string, unknown>;
  sidecar: Record<string, unknown>;
  /** The stored bytes. */
  body: Buffer;
}

export function sidOf(prefix: 'AC' | 'CA' | 'CF' | 'RE' | 'SK'): string {
  return prefix + randomBytes(16).toString('hex');
}

/** Twilio's 2010 date format: `Tue, 24 Nov 2026 03:00:00 +0000`. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * Stores a recording and its sidecar exactly as the worker does (the key from `recordingObjectKey`, the
 * object with its SIDs and channels as metadata, the sidecar `{recording, callback, archive}` beside it),
 * then indexes the sidecar when an index is given. The bytes are random behind a WAV-like header: what the
 * API serves is checked byte for byte, not as audio.
 */
export async function archiveRecording(
  store: ObjectStore,
  input: ArchivedRecordingInput,
  index?: ArchiveIndex,
): Promise<ArchivedRecording> {
  const recordingSid = input.recordingSid ?? sidOf('RE');
  const callSid = input.callSid === undefined ? sidOf('CA') : input.callSid;
  const conferenceSid = input.conferenceSid ?? null;
  const format = input.format ?? 'wav';
  const channels = input.channels ?? 1;
  const duration = input.durationSeconds ?? 2;
  const size = format === 'wav' ? 44 + duration * 16_000 * channels : duration * 4_000;
  const body = Buffer.concat([Buffer.from(format === 'wav' ? 'RIFF' : 'ID3\u0003'), randomBytes(size - 4)]);
  const key = recordingObjectKey({
    accountSid: input.accountSid,
    callSid: (callSid ?? conferenceSid) as string,
    recordingSid,
    startTime: input.dateCreated,
    format,
  });
  const path = `/2010-04-01/Accounts/${input.accountSid}/Recordings/${recordingSid}`;
  const resource = {
    account_sid: input.accountSid,
    api_version: '2010-04-01',
    call_sid: callSid,
    conference_sid: conferenceSid,
    date_created: rfc2822(input.dateCreated),
    date_updated: rfc2822(input.dateCreated),
    start_time: rfc2822(input.dateCreated),
    duration: String(duration),
    sid: recordingSid,
    price: '-0.0025',
    price_unit: 'USD',
    status: 'completed',
    channels,
    source: conferenceSid ? 'Conference' : 'DialVerb',
    error_code: null,
    uri: `${path}.json`,
    encryption_details: input.encrypted
      ? {
          encryption_public_key_sid: `CR${randomBytes(16).toString('hex')}`,
          encryption_cek: randomBytes(32).toString('base64'),
          encryption_iv: randomBytes(12).toString('base64'),
        }
      : null,
    subresource_uris: {
      add_on_results: `${path}/AddOnResults.json`,
      transcriptions: `${path}/Transcriptions.json`,
    },
    media_url: `https://api.twilio.com${path}`,
  };
  const copy = await store.put(key, Readable.from([body]), {
    contentType: format === 'mp3' ? 'audio/mpeg' : 'audio/x-wav',
    expectedBytes: body.length,
    metadata: { 'recording-sid': recordingSid, 'account-sid': input.accountSid, channels: String(channels) },
  });
  const sidecar = {
    recording: resource,
    callback: null,
    archive: {
      key: copy.key,
      bytes: copy.bytes,
      sha256: copy.sha256,
      contentType: copy.contentType,
      format,
      channels,
      origin: 'callback',
      archivedAt: new Date().toISOString(),
    },
  };
  await store.putJson(sidecarKey(key), sidecar);
  const entry = entryFromSidecar(sidecar);
  if (index) await index.recordArchived(entry);
  return { entry, resource, sidecar, body };
}

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
