import type { Cluster, Redis } from 'ioredis';

export interface AccountStats {
  /** Recordings stored by the vault (each counted once, when its bytes were written). */
  archived: number;
  /** Bytes of those recordings. */
  bytes: number;
  /** Recordings Twilio reported as absent or failed: nothing to archive. */
  skipped: number;
}

export interface ReconcileSummary {
  at: string;
  listed: number;
  enqueued: number;
  /** Failed archive jobs put back to waiting; absent in summaries recorded before it was counted. */
  rearmed?: number;
}

/** Adds to a total once per recording: a marker (kept a week) remembers it was counted. */
const countOnce = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  if tonumber(ARGV[2]) > 0 then redis.call('HINCRBY', KEYS[2], 'bytes', ARGV[2]) end
  return 1
end
return 0`;

const markerSeconds = 7 * 24 * 3600;

/**
 * Running totals per account, kept in Redis beside the queues (under the same prefix, so a Redis Cluster
 * hash tag keeps them in one slot). Completed jobs are removed after a while; these totals are not. Each
 * recording counts once, however many times its job ran: a worker may die between storing a copy and
 * finishing its job, and the retry must not count the copy again (nor miss it).
 */
export function vaultStats(redis: Redis | Cluster, prefix: string) {
  const accountKey = (accountSid: string) => `${prefix}:vault-stats:${accountSid}`;
  const markerKey = (recordingSid: string) => `${prefix}:vault-stats:counted:${recordingSid}`;
  const reconcileKey = `${prefix}:vault-stats:reconcile`;
  const count = (accountSid: string, recordingSid: string, field: 'archived' | 'skipped', bytes: number) =>
    redis.eval(countOnce, 2, markerKey(recordingSid), accountKey(accountSid), field, bytes, markerSeconds);
  return {
    async countArchived(accountSid: string, recordingSid: string, bytes: number): Promise<void> {
      await count(accountSid, recordingSid, 'archived', bytes);
    },
    async countSkipped(accountSid: string, recordingSid: string): Promise<void> {
      await count(accountSid, recordingSid, 'skipped', 0);
    },
    async recordReconcile(accountSid: string, summary: ReconcileSummary): Promise<void> {
      await redis.hset(reconcileKey, accountSid, JSON.stringify(summary));
    },
    async read(accountSid: string): Promise<AccountStats & { lastReconcile: ReconcileSummary | null }> {
      const [counts, reconcile] = await Promise.all([
        redis.hgetall(accountKey(accountSid)),
        redis.hget(reconcileKey, accountSid),
      ]);
      return {
        archived: Number(counts.archived ?? 0),
        bytes: Number(counts.bytes ?? 0),
        skipped: Number(counts.skipped ?? 0),
        lastReconcile: reconcile ? (JSON.parse(reconcile) as ReconcileSummary) : null,
      };
    },
  };
}

export type VaultStats = ReturnType<typeof vaultStats>;
