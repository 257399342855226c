import { AccountSid, RecordingSid } from './sids.ts';

/**
 * Job ids derive from the recording SID alone, so duplicate callbacks, replays, the backfill and the
 * reconciliation all collapse onto one job per recording. BullMQ ids may not contain ':' nor be all digits.
 */
export function archiveJobId(recordingSid: string): string {
  return `archive-${RecordingSid.parse(recordingSid)}`;
}

export function purgeJobId(recordingSid: string): string {
  return `purge-${RecordingSid.parse(recordingSid)}`;
}

/** One listing job per run, account and day; a new run lists again, its archive jobs still collapse. */
export function backfillDayJobId(runId: string, accountSid: string, day: string): string {
  if (!/^[a-z0-9]{1,32}$/.test(runId))
    throw new Error(`run id ${runId} must be lowercase letters and digits`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`day ${day} must be YYYY-MM-DD`);
  return `backfill-${runId}-${AccountSid.parse(accountSid)}-${day}`;
}
