import type {
  EncryptionDetails,
  RecordingSource,
  RecordingStatus,
  StoredRecording,
} from './recording-store.ts';
import { formatRfc2822 } from './rfc2822.ts';

/** The Recording resource exactly as Twilio's 2010-04-01 API serialises it. */
export interface RecordingResource {
  account_sid: string;
  api_version: '2010-04-01';
  call_sid: string;
  conference_sid: string | null;
  date_created: string;
  date_updated: string;
  start_time: string;
  duration: string;
  sid: string;
  price: string | null;
  price_unit: string;
  status: RecordingStatus;
  channels: number;
  source: RecordingSource;
  error_code: number | null;
  uri: string;
  encryption_details: EncryptionDetails | null;
  subresource_uris: { add_on_results: string; transcriptions: string };
  media_url: string;
}

export function recordingPath(accountSid: string, recordingSid: string): string {
  return `/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
}

export function toRecordingResource(recording: StoredRecording, baseUrl: string): RecordingResource {
  const path = recordingPath(recording.accountSid, recording.sid);
  return {
    account_sid: recording.accountSid,
    api_version: '2010-04-01',
    call_sid: recording.callSid,
    conference_sid: recording.conferenceSid,
    date_created: formatRfc2822(recording.dateCreated),
    date_updated: formatRfc2822(recording.dateUpdated),
    start_time: formatRfc2822(recording.startTime),
    duration: String(recording.duration),
    sid: recording.sid,
    price: recording.price,
    price_unit: 'USD',
    status: recording.deletedAt !== null ? 'deleted' : recording.status,
    channels: recording.channels,
    source: recording.source,
    error_code: recording.errorCode,
    uri: `${path}.json`,
    encryption_details: recording.encryptionDetails,
    subresource_uris: {
      add_on_results: `${path}/AddOnResults.json`,
      transcriptions: `${path}/Transcriptions.json`,
    },
    media_url: baseUrl + path,
  };
}
