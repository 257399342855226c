import type { JobsOptions } from 'bullmq';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Base of the exponential backoff, in milliseconds. */
  backoffMs: number;
  /** Seconds a completed job is kept, during which a duplicate callback for the same recording is ignored. */
  keepCompletedSeconds: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 10,
  backoffMs: 5_000,
  keepCompletedSeconds: 7 * 24 * 3600,
});

/**
 * Options every archive job is added with. Failed jobs are never removed automatically: they wait in the
 * failed set for an operator. Jitter spreads the retries of many jobs that failed together (a Twilio or
 * storage outage) so they do not come back as one burst.
 */
export function archiveJobOptions(policy: RetryPolicy = defaultRetryPolicy): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: policy.keepCompletedSeconds },
    removeOnFail: false,
  };
}
