import { z } from 'zod';

/**
 * A Recording resource as Twilio's REST API returns it. Only the fields the vault relies on are checked;
 * the rest pass through untouched, because the metadata sidecar keeps everything Twilio said.
 */
export const RecordingResource = z.looseObject({
  sid: z.string(),
  account_sid: z.string(),
  call_sid: z.string().nullable(),
  conference_sid: z.string().nullable().optional(),
  status: z.string(),
  start_time: z.string().nullable().optional(),
  date_created: z.string().nullable().optional(),
  duration: z.union([z.string(), z.number()]).nullable().optional(),
  channels: z.number().nullable().optional(),
  source: z.string().nullable().optional(),
  error_code: z.union([z.number(), z.string()]).nullable().optional(),
  encryption_details: z.unknown().optional(),
});
export type RecordingResource = z.infer<typeof RecordingResource>;

/**
 * A Transcription resource (`<Record transcribe="true">`). Only what the vault relies on is checked; the rest
 * passes through, because the archive keeps everything Twilio said.
 */
export const TranscriptionResource = z.looseObject({
  sid: z.string(),
  status: z.string(),
  recording_sid: z.string().nullable().optional(),
  transcription_text: z.string().nullable().optional(),
});
export type TranscriptionResource = z.infer<typeof TranscriptionResource>;

export const TranscriptionPage = z.looseObject({
  transcriptions: z.array(TranscriptionResource),
  next_page_uri: z.string().nullable().optional(),
});

/** What a listing yields per recording: enough to decide whether to archive it. */
export interface RecordingSummary {
  sid: string;
  accountSid: string;
  callSid: string | null;
  status: string;
  dateCreated: Date;
  startTime: Date;
  durationSeconds: number;
  channels: number;
  source: string;
}

export type MediaFormat = 'wav' | 'mp3';
