import { daysBetween } from '@recording-vault/contract';
import type { TwilioRestClient } from '@recording-vault/twilio';

export interface DryRunReport {
  accountSid: string;
  /** Every recording listed in the range. */
  listed: number;
  /** Those a backfill would archive. */
  completed: number;
  /** Their length, in whole seconds as Twilio gives it, and in minutes. */
  seconds: number;
  minutes: number;
  estimatedBytes: number;
  /** What keeping the completed ones at Twilio costs a month, at the given price per minute. */
  monthlyCost: number;
}

/**
 * Lists what a backfill would archive, and touches nothing: no job, no download, no delete. Sizes follow
 * Twilio's formats: WAV is 16,000 bytes a second per channel (plus a 44-byte header), MP3 4,000 a second.
 */
export async function dryRun(
  client: TwilioRestClient,
  range: { from: string; to: string },
  format: 'wav' | 'mp3',
  pricePerMinute: number,
): Promise<DryRunReport> {
  const report: DryRunReport = {
    accountSid: client.accountSid,
    listed: 0,
    completed: 0,
    seconds: 0,
    minutes: 0,
    estimatedBytes: 0,
    monthlyCost: 0,
  };
  for (const day of daysBetween(range.from, range.to)) {
    const pages = client.listRecordingPages({
      createdAfter: new Date(`${day}T00:00:00Z`),
      createdBefore: new Date(`${day}T23:59:59Z`),
      pageSize: 1000,
    });
    for await (const page of pages) {
      report.listed += page.recordings.length;
      for (const recording of page.recordings) {
        if (recording.status !== 'completed') continue;
        report.completed++;
        report.seconds += recording.durationSeconds;
        report.estimatedBytes +=
          format === 'wav'
            ? 44 + recording.durationSeconds * 16_000 * (recording.channels === 2 ? 2 : 1)
            : recording.durationSeconds * 4_000;
      }
    }
  }
  report.minutes = report.seconds / 60;
  report.monthlyCost = report.minutes * pricePerMinute;
  return report;
}
