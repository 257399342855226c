import { QueueName, type ReconcileSummary, vaultStats } from '@recording-vault/contract';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { formatBytes } from './progress-display.ts';

export interface AccountStatus {
  accountSid: string;
  archived: number;
  bytes: number;
  skipped: number;
  pending: number;
  failed: number;
  /** The most common reasons archive jobs of this account failed, most frequent first. */
  failureReasons: Array<{ reason: string; count: number }>;
  lastReconciliation: ReconcileSummary | null;
}

/** Reasons differ only by SIDs, keys and numbers for the same cause: group them as one. */
function reasonClass(reason: string): string {
  return reason
    .replace(/\b(AC|CA|RE|CF)[0-9a-f]{32}\b/g, '$1…')
    .replace(/[0-9a-f]{64}/g, '…')
    .replace(/\d+/g, 'N')
    .slice(0, 200);
}

export async function readStatus(
  redis: Redis,
  prefix: string,
  accounts: readonly string[],
): Promise<AccountStatus[]> {
  const archive = new Queue(QueueName.archive, { connection: redis, prefix });
  try {
    const stats = vaultStats(redis, prefix);
    const pendingJobs = await archive.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
    const failedJobs = await archive.getJobs(['failed']);
    return await Promise.all(
      accounts.map(async (accountSid) => {
        const totals = await stats.read(accountSid);
        const failed = failedJobs.filter((job) => job.data?.accountSid === accountSid);
        const reasons = new Map<string, number>();
        for (const job of failed) {
          const reason = reasonClass(job.failedReason ?? 'unknown');
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
        return {
          accountSid,
          archived: totals.archived,
          bytes: totals.bytes,
          skipped: totals.skipped,
          pending: pendingJobs.filter((job) => job.data?.accountSid === accountSid).length,
          failed: failed.length,
          failureReasons: [...reasons]
            .map(([reason, count]) => ({ reason, count }))
            .sort((a, b) => b.count - a.count)
            .slice(0, 5),
          lastReconciliation: totals.lastReconcile,
        };
      }),
    );
  } finally {
    await archive.close();
  }
}

export function formatStatus(statuses: readonly AccountStatus[]): string {
  return statuses
    .map((s) => {
      const lines = [
        `${s.accountSid}: archived ${s.archived} (${formatBytes(s.bytes)}), skipped ${s.skipped}, pending ${s.pending}, failed ${s.failed}`,
        ...s.failureReasons.map((r) => `  ${r.count} × ${r.reason}`),
        s.lastReconciliation
          ? `  last reconciliation ${s.lastReconciliation.at}: listed ${s.lastReconciliation.listed}, enqueued ${s.lastReconciliation.enqueued}`
          : '  no reconciliation yet',
      ];
      return lines.join('\n');
    })
    .join('\n');
}
