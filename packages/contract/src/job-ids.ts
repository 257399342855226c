import { RecordingSid } from './sids.ts';

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
