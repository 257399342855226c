import type { RecordingResource } from '@recording-vault/testkit';

/**
 * Where the README says a recording's copy lives: `{AccountSid}/{YYYY}/{MM}/{DD}/{CallSid}/{RecordingSid}.wav`,
 * the UTC date of its start. Written out here rather than taken from the storage package, so the run checks
 * the layout instead of trusting it.
 */
export function archiveKeyOf(recording: RecordingResource): string {
  const start = new Date(recording.start_time);
  const month = String(start.getUTCMonth() + 1).padStart(2, '0');
  const day = String(start.getUTCDate()).padStart(2, '0');
  return `${recording.account_sid}/${start.getUTCFullYear()}/${month}/${day}/${recording.call_sid}/${recording.sid}.wav`;
}
