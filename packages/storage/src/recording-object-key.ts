import { assertObjectKey } from './object-key.ts';
import { StorageError } from './storage-error.ts';

export type RecordingFormat = 'wav' | 'mp3';

export interface RecordingKeyInput {
  readonly accountSid: string;
  /** The call (`CA…`), or for a conference recording without one, the conference (`CF…`). */
  readonly callSid: string;
  readonly recordingSid: string;
  /** The recording's start; its UTC date names the folders. */
  readonly startTime: Date;
  readonly format: RecordingFormat;
}

const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;
const CALL_OR_CONFERENCE_SID = /^(CA|CF)[0-9a-f]{32}$/;
const RECORDING_SID = /^RE[0-9a-f]{32}$/;

/**
 * `{AccountSid}/{YYYY}/{MM}/{DD}/{CallSid}/{RecordingSid}.{wav|mp3}`: one folder per account and UTC day
 * so an operator can find, list and expire recordings by date, and one per call to keep its legs together.
 */
export function recordingObjectKey(input: RecordingKeyInput): string {
  const { accountSid, callSid, recordingSid, startTime, format } = input;
  check(ACCOUNT_SID.test(accountSid), `account SID ${JSON.stringify(accountSid)} is not AC + 32 hex digits`);
  check(
    CALL_OR_CONFERENCE_SID.test(callSid),
    `call SID ${JSON.stringify(callSid)} is not CA or CF + 32 hex digits`,
  );
  check(
    RECORDING_SID.test(recordingSid),
    `recording SID ${JSON.stringify(recordingSid)} is not RE + 32 hex digits`,
  );
  check(format === 'wav' || format === 'mp3', `format ${JSON.stringify(format)} is not wav or mp3`);
  check(
    startTime instanceof Date && !Number.isNaN(startTime.getTime()),
    `start time ${String(startTime)} is not a valid date`,
  );
  const year = startTime.getUTCFullYear();
  check(year >= 1000 && year <= 9999, `start time ${startTime.toISOString()} has no four-digit year`);
  const month = String(startTime.getUTCMonth() + 1).padStart(2, '0');
  const day = String(startTime.getUTCDate()).padStart(2, '0');
  return `${accountSid}/${year}/${month}/${day}/${callSid}/${recordingSid}.${format}`;
}

/** Where the recording's own JSON (Twilio's metadata, our record of the archive) sits beside it. */
export function sidecarKey(key: string): string {
  assertObjectKey(key);
  return `${key}.json`;
}

/** Where a recording's transcriptions (Twilio's resources, with their text) are kept beside it. */
export function transcriptionsKey(key: string): string {
  assertObjectKey(key);
  return `${key}.transcriptions.json`;
}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new StorageError('invalid', message, { code: 'InvalidKey' });
}
