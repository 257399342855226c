import type { MediaFormat } from './media-generator.ts';
import type { LoggedRoute } from './request-log.ts';

/** What a path on the API origin addresses. Fetch and delete share a path (a recording's, a transcription's): the caller looks at the method. */
export interface ApiRoute {
  route: LoggedRoute;
  accountSid: string | null;
  recordingSid: string | null;
  format: MediaFormat | null;
  /** For `transcription` (and its delete): the transcription addressed. */
  transcriptionSid?: string;
}

const API_ROUTE = /^\/2010-04-01\/Accounts\/([^/]+)(\/.*)?$/;
const RECORDING_ROUTE = /^\/Recordings\/([^/.]+)(?:\.(json|wav|mp3))?$/;
const TRANSCRIPTIONS_ROUTE = /^\/Recordings\/([^/.]+)\/Transcriptions\.json$/;
const TRANSCRIPTION_ROUTE = /^\/Transcriptions\/([^/.]+)\.json$/;

export function matchApiRoute(path: string): ApiRoute {
  const unknown: ApiRoute = { route: 'unknown', accountSid: null, recordingSid: null, format: null };
  const account = API_ROUTE.exec(path);
  if (!account?.[1]) return unknown;
  const accountSid = account[1];
  const rest = account[2] ?? '';
  if (rest === '/Recordings.json') return { route: 'list', accountSid, recordingSid: null, format: null };
  const transcriptions = TRANSCRIPTIONS_ROUTE.exec(rest);
  if (transcriptions?.[1]) {
    return { route: 'transcriptions', accountSid, recordingSid: transcriptions[1], format: null };
  }
  const transcription = TRANSCRIPTION_ROUTE.exec(rest);
  if (transcription?.[1]) {
    return {
      route: 'transcription',
      accountSid,
      recordingSid: null,
      format: null,
      transcriptionSid: transcription[1],
    };
  }
  const recording = RECORDING_ROUTE.exec(rest);
  if (!recording?.[1]) return { ...unknown, accountSid };
  const recordingSid = recording[1];
  const extension = recording[2];
  if (extension === 'json') return { route: 'fetch', accountSid, recordingSid, format: null };
  return { route: 'media', accountSid, recordingSid, format: extension === 'mp3' ? 'mp3' : 'wav' };
}
