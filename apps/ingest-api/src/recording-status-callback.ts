import { AccountSid, CallSid, ConferenceSid, RecordingSid } from '@recording-vault/contract';
import { z } from 'zod';

/** Twilio writes some parameters empty rather than leaving them out: treat those as absent. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().max(max, `must be at most ${max}`));

/** RFC 2822, as Twilio writes RecordingStartTime ("Tue, 24 Nov 2026 03:00:00 +0000"); kept as ISO 8601. */
const rfc2822Date = z
  .string()
  .max(64)
  .regex(
    /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UTC)$/,
    'must be an RFC 2822 date',
  )
  .transform((text, ctx) => {
    const time = Date.parse(text);
    if (Number.isNaN(time)) {
      ctx.addIssue({ code: 'custom', message: 'must be a valid date' });
      return z.NEVER;
    }
    return new Date(time).toISOString();
  });

/**
 * Twilio's recording status callback. The fields the vault uses are checked; any other parameter is let
 * through (Twilio adds parameters without notice), though never copied into job data.
 */
export const RecordingStatusCallback = z.looseObject({
  AccountSid: AccountSid,
  RecordingSid: RecordingSid,
  RecordingStatus: z.enum(['in-progress', 'completed', 'absent', 'failed'], {
    error: 'must be one of in-progress, completed, absent, failed',
  }),
  CallSid: optional(CallSid),
  ConferenceSid: optional(ConferenceSid),
  RecordingDuration: optional(wholeNumber(7 * 24 * 3600)),
  RecordingChannels: optional(
    z.enum(['1', '2'], { error: 'must be 1 or 2' }).transform((v) => (v === '2' ? 2 : 1) as 1 | 2),
  ),
  RecordingStartTime: optional(rfc2822Date),
  RecordingSource: optional(z.string().regex(/^[A-Za-z]{1,64}$/, 'must be a word such as DialVerb')),
  RecordingTrack: optional(z.string().regex(/^[a-z_-]{1,32}$/, 'must be a track name such as both')),
  ErrorCode: optional(z.string().regex(/^\d{1,6}$/, 'must be a numeric Twilio error code')),
  RecordingUrl: optional(z.url({ protocol: /^https?$/ }).max(2048)),
});

export type RecordingStatusCallback = z.output<typeof RecordingStatusCallback>;

/** The first problem, named by the parameter at fault, for a 400 answer. */
export function describeInvalidCallback(error: z.ZodError): { field: string; reason: string } {
  const issue = error.issues[0];
  return { field: String(issue?.path[0] ?? 'body'), reason: issue?.message ?? 'invalid' };
}
