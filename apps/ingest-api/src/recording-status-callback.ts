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

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const rfc2822 =
  /^([A-Z][a-z]{2}), (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:([+-])(\d{2})(\d{2})|GMT|UTC)$/;

/**
 * RFC 2822, as Twilio writes RecordingStartTime ("Tue, 24 Nov 2026 03:00:00 +0000"), kept as ISO 8601.
 * Every field is checked, not only the shape: `Date.parse` would quietly turn 29 Feb 2026 into 1 March,
 * 24:00 into the next day and second 75 into nothing.
 */
export function parseRfc2822(text: string): Date | undefined {
  const match = rfc2822.exec(text);
  if (!match) return undefined;
  const [, weekday, day, monthName, year, hours, minutes, seconds, sign, zoneHours, zoneMinutes] = match;
  const month = months.indexOf(monthName as string);
  const [y, d, h, m, s] = [year, day, hours, minutes, seconds].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 0 || y < 1900 || h > 23 || m > 59 || s > 59) return undefined;
  if (Number(zoneHours ?? 0) > 14 || Number(zoneMinutes ?? 0) > 59) return undefined;
  const local = new Date(Date.UTC(y, month, d, h, m, s));
  // The day must exist in that month (no 31 April), and the weekday must be the date's own.
  if (local.getUTCDate() !== d || weekdays[local.getUTCDay()] !== weekday) return undefined;
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(zoneHours ?? 0) * 60 + Number(zoneMinutes ?? 0));
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

const rfc2822Date = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const date = parseRfc2822(text);
    if (!date) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a valid RFC 2822 date, e.g. Tue, 24 Nov 2026 03:00:00 +0000',
      });
      return z.NEVER;
    }
    return date.toISOString();
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
