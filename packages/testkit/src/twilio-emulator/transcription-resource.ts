import { formatRfc2822 } from './rfc2822.ts';

export type TranscriptionStatus = 'in-progress' | 'completed' | 'failed';

/** A transcription of a recording made with `<Record transcribe="true">`. */
export interface TranscriptionInput {
  sid?: string;
  /** Defaults to `completed`. */
  status?: TranscriptionStatus;
  /** The text once completed (Twilio shows none while in progress). */
  text?: string;
  /** An `in-progress` transcription answers this many listings as in progress, then is `completed`. */
  completeAfterFetches?: number;
}

/** The emulator's mutable state for one transcription. Dates are epoch milliseconds. */
export interface StoredTranscription {
  sid: string;
  accountSid: string;
  recordingSid: string;
  status: TranscriptionStatus;
  text: string;
  duration: number;
  dateCreated: number;
  dateUpdated: number;
  deletedAt: number | null;
  listingsUntilComplete: number | null;
}

/** The Transcription resource as Twilio's 2010-04-01 API serialises it. */
export interface TranscriptionResource {
  account_sid: string;
  api_version: '2010-04-01';
  date_created: string;
  date_updated: string;
  duration: string;
  price: string | null;
  price_unit: string;
  recording_sid: string;
  sid: string;
  status: TranscriptionStatus;
  transcription_text: string | null;
  type: 'fast';
  uri: string;
}

export function transcriptionPath(accountSid: string, transcriptionSid: string): string {
  return `/2010-04-01/Accounts/${accountSid}/Transcriptions/${transcriptionSid}`;
}

export function toTranscriptionResource(transcription: StoredTranscription): TranscriptionResource {
  const completed = transcription.status === 'completed';
  return {
    account_sid: transcription.accountSid,
    api_version: '2010-04-01',
    date_created: formatRfc2822(transcription.dateCreated),
    date_updated: formatRfc2822(transcription.dateUpdated),
    duration: String(transcription.duration),
    // Twilio bills $0.05 per transcribed minute, started minutes count.
    price: completed ? (-0.05 * Math.max(1, Math.ceil(transcription.duration / 60))).toFixed(4) : null,
    price_unit: 'USD',
    recording_sid: transcription.recordingSid,
    sid: transcription.sid,
    status: transcription.status,
    transcription_text: completed ? transcription.text : null,
    type: 'fast',
    uri: `${transcriptionPath(transcription.accountSid, transcription.sid)}.json`,
  };
}

/** One page holding every transcription of a recording: a recording has a handful at most. */
export function transcriptionListPage(listPath: string, transcriptions: readonly TranscriptionResource[]) {
  const uri = `${listPath}?PageSize=50&Page=0`;
  return {
    transcriptions,
    first_page_uri: uri,
    next_page_uri: null,
    previous_page_uri: null,
    page: 0,
    page_size: 50,
    start: 0,
    end: Math.max(0, transcriptions.length - 1),
    uri,
  };
}
