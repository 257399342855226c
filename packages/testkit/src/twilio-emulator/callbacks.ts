import { randomUUID } from 'node:crypto';
import twilio from 'twilio';
import type { RecordingResource } from './recording-resource.ts';
import type { RecordingTrack } from './recording-store.ts';

export type CallbackStatus = 'in-progress' | 'completed' | 'absent' | 'failed';

/**
 * The form parameters of a recording status callback for `recording`, as Twilio sends them. Real
 * callbacks may carry more parameters than these; receivers must not whitelist them.
 */
export function callbackParamsFor(
  recording: RecordingResource,
  status: CallbackStatus = 'completed',
  options: { track?: RecordingTrack } = {},
): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: recording.account_sid,
    CallSid: recording.call_sid,
    RecordingSid: recording.sid,
    RecordingUrl: recording.media_url,
    RecordingStatus: status,
    RecordingDuration: recording.duration,
    RecordingChannels: String(recording.channels),
    RecordingStartTime: recording.start_time,
    RecordingSource: recording.source,
    RecordingTrack: options.track ?? 'both',
    // Twilio sends "0" when there is no error.
    ErrorCode: String(recording.error_code ?? 0),
  };
  if (recording.conference_sid) params.ConferenceSid = recording.conference_sid;
  return params;
}

export interface SendRecordingStatusCallbackInput {
  /** Where the request goes. */
  url: string;
  authToken: string;
  params: Record<string, string>;
  /** The URL the signature covers when it differs from `url`: the public URL in front of a proxy. */
  signedUrl?: string;
  /** `I-Twilio-Idempotency-Token`; one per delivery chain (default: a fresh one). */
  idempotencyToken?: string;
  signal?: AbortSignal;
}

/** POSTs a recording status callback signed with `X-Twilio-Signature`, as Twilio would. */
export function sendRecordingStatusCallback(input: SendRecordingStatusCallbackInput): Promise<Response> {
  const signature = twilio.getExpectedTwilioSignature(
    input.authToken,
    input.signedUrl ?? input.url,
    input.params,
  );
  return fetch(input.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': signature,
      'I-Twilio-Idempotency-Token': input.idempotencyToken ?? randomUUID(),
      'User-Agent': 'TwilioProxy/1.1',
    },
    body: new URLSearchParams(input.params).toString(),
    ...(input.signal ? { signal: input.signal } : {}),
  });
}
