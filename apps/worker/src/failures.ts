import { StorageError } from '@recording-vault/storage';
import { TwilioApiError } from '@recording-vault/twilio';
import { ZodError } from 'zod';

/** The job can never succeed as it stands: fail it at once with this reason, no retries. */
export class ImpossibleJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImpossibleJobError';
  }
}

/**
 * Twilio has not finished the recording yet, or a transcription of it (deleting a recording whose
 * transcription is in progress makes the transcription fail): look again later, without using up an attempt.
 */
export class RecordingNotReadyError extends Error {
  readonly status: string;

  constructor(status: string, message = `recording is ${status} at Twilio; trying again later`) {
    super(message);
    this.name = 'RecordingNotReadyError';
    this.status = status;
  }
}

/** The stored bytes did not match what was downloaded; the bad copy was removed and the job retries. */
export class CopyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyMismatchError';
  }
}

/**
 * This run no longer owns its job: its lock expired (a stalled event loop, a lost Redis connection) and
 * another worker may be running it. It must not delete anything; the other run finishes the job.
 */
export class LockLostError extends Error {
  constructor(jobId: string | undefined) {
    super(`job ${jobId ?? '?'} is no longer locked by this worker; leaving it to the worker that holds it`);
    this.name = 'LockLostError';
  }
}

export type FailureDecision =
  /** Retry with the job's exponential backoff, using up an attempt. */
  | { action: 'retry'; reason: string }
  /** Fail for good, with a reason an operator can read in the dashboard. */
  | { action: 'fail'; reason: string }
  /**
   * Wait, without using up an attempt: for `Retry-After` (`delayMs`) or a growing backoff. `scope` says whose
   * limit it is: Twilio's 429 is the account's (its request window handles it; without one the queue pauses),
   * a storage outage stops every job alike (the queue pauses).
   */
  | { action: 'rate-limit'; reason: string; delayMs: number | undefined; scope: 'account' | 'queue' }
  /** Come back later without using up an attempt. */
  | { action: 'later'; reason: string };

/**
 * The one place where a failure becomes a retry decision, by error type, never by message text. A media
 * body that failed inside a storage write is judged by its cause, the Twilio error.
 */
export function decideFailure(error: unknown): FailureDecision {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof ImpossibleJobError) return { action: 'fail', reason };
  // Job data is parsed before a job runs (an invalid one fails at once there): a ZodError here is an answer
  // from Twilio that does not have the shape of a recording, which another try may not repeat.
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    return {
      action: 'retry',
      reason: `Twilio's answer did not have the expected shape: ${issue?.path.join('.') || 'the answer'}: ${issue?.message ?? 'unreadable'}`,
    };
  }
  if (error instanceof RecordingNotReadyError) return { action: 'later', reason };
  if (error instanceof CopyMismatchError) return { action: 'retry', reason };
  if (error instanceof StorageError && error.kind === 'source-failed' && error.cause !== undefined) {
    return decideFailure(error.cause);
  }
  if (error instanceof TwilioApiError) {
    if (error.kind === 'rate-limited') {
      return { action: 'rate-limit', reason, delayMs: error.retryAfterMs, scope: 'account' };
    }
    return { action: error.retryable ? 'retry' : 'fail', reason };
  }
  // Storage that does not answer fails every job alike: pause the queue (backing off while it stays down)
  // rather than let an outage use up every job's attempts and leave them all in the failed set.
  if (error instanceof StorageError && error.kind === 'unavailable') {
    return {
      action: 'rate-limit',
      reason: `storage unreachable, pausing: ${reason}`,
      delayMs: undefined,
      scope: 'queue',
    };
  }
  if (error instanceof StorageError) return { action: error.retryable ? 'retry' : 'fail', reason };
  // Unknown failures are retried: a bug shows up as a job failing all its attempts, not a lost recording.
  return { action: 'retry', reason };
}
