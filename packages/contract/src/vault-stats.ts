import type { Redis } from 'ioredis';

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
}

/**
 * Running totals per account, kept in Redis beside the queues (under the same prefix, so a Redis Cluster
 * hash tag keeps them in one slot). Completed jobs are removed after a while; these totals are not.
 */
export function vaultStats(redis: Redis, prefix: string) {
  const accountKey = (accountSid: string) => `${prefix}:vault-stats:${accountSid}`;
  const reconcileKey = `${prefix}:vault-stats:reconcile`;
  return {
    async countArchived(accountSid: string, bytes: number): Promise<void> {
      await redis
        .multi()
        .hincrby(accountKey(accountSid), 'archived', 1)
        .hincrby(accountKey(accountSid), 'bytes', bytes)
        .exec();
    },
    async countSkipped(accountSid: string): Promise<void> {
      await redis.hincrby(accountKey(accountSid), 'skipped', 1);
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
