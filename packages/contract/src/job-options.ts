/**
 * The backoff of every job: exponential from `backoffMs`, with jitter, capped at the worker's
 * `backoffMaxMs`. A custom type, because BullMQ's own `exponential` cannot be capped; workers register it.
 */
export const cappedBackoffType = 'capped-exponential';

/** Delay before attempt `attemptsMade + 1`: base × 2^(attemptsMade − 1), capped, then up to `jitter` less. */
export function cappedBackoffDelay(
  attemptsMade: number,
  backoff: { delay: number; jitter: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.delay * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling * (1 - backoff.jitter * random()));
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Base of the exponential backoff, in milliseconds. */
  backoffMs: number;
  /** The longest wait between two attempts, in milliseconds (the worker applies it). */
  backoffMaxMs: number;
  /** Seconds a completed job is kept, during which a duplicate callback for the same recording is ignored. */
  keepCompletedSeconds: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 10,
  backoffMs: 5_000,
  backoffMaxMs: 300_000,
  keepCompletedSeconds: 7 * 24 * 3600,
});

/** The UTC days from `from` to `to`, both included, as YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let day = new Date(`${from}T00:00:00Z`);
    day <= new Date(`${to}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() + 1)
  ) {
    days.push(day.toISOString().slice(0, 10));
  }
  return days;
}
