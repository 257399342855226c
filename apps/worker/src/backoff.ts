import { cappedBackoffDelay, cappedBackoffType, type RetryPolicy } from '@recording-vault/contract';
import type { BackoffStrategy } from 'bullmq';

/**
 * The worker's side of the jobs' `capped-exponential` backoff: the base and jitter come with each job, the
 * cap is the worker's. BullMQ asks it only for that type (its own `fixed` and `exponential` it computes).
 */
export function cappedBackoffStrategy(policy: Pick<RetryPolicy, 'backoffMaxMs'>): BackoffStrategy {
  return (attemptsMade, type, _error, job) => {
    const options = job?.opts.backoff;
    const backoff = typeof options === 'object' ? options : undefined;
    if (type !== cappedBackoffType || backoff?.delay === undefined) {
      throw new Error(`unknown backoff ${String(type)}`);
    }
    return cappedBackoffDelay(attemptsMade, {
      delay: backoff.delay,
      jitter: backoff.jitter ?? 0,
      maxMs: policy.backoffMaxMs,
    });
  };
}
