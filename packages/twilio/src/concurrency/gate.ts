import { TwilioApiError } from '../errors.ts';

/** How a request ended, as far as the account's concurrency limit is concerned. */
export interface RequestOutcome {
  /** The HTTP status, or `error` when no answer came. */
  status: number | 'error';
  /** From a 429's `Retry-After`. */
  retryAfterMs?: number | undefined;
}

/** A slot in an account's window, held for the whole of one request (its body included). */
export interface Permit {
  /** Gives the slot back and tells the window how the request went. Only the first call counts. */
  release(outcome: RequestOutcome): void;
}

/** The requests in flight for one account, across every process. */
export interface RequestGate {
  /** Waits for a slot. Rejects with the signal's reason when it aborts first. */
  acquire(signal?: AbortSignal): Promise<Permit>;
}

/** 429s answered to one request before its error goes to the caller (the job then waits its turn). */
export const limitedTriesPerRequest = 5;

/**
 * Runs one request in a slot of the account's window, and again (in a new slot) when Twilio answers 429:
 * such a request was not processed, so sending it again is always safe. `send` must give its permit back
 * (with the outcome) once the request is over, body included; an error it throws before that releases it
 * here.
 */
export async function throughGate<T>(
  gate: RequestGate | undefined,
  send: (permit: Permit | undefined) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (!gate) return send(undefined);
  for (let tries = 1; ; tries++) {
    const permit = await gate.acquire(signal);
    try {
      return await send(permit);
    } catch (error) {
      permit.release(outcomeOf(error));
      const limited = error instanceof TwilioApiError && error.kind === 'rate-limited';
      if (!limited || tries >= limitedTriesPerRequest || signal?.aborted) throw error;
    }
  }
}

/** The outcome a failed request reports to the window. */
export function outcomeOf(error: unknown): RequestOutcome {
  // Twilio's 20429 counts as the limit whatever the status it came with, as it does for the resend.
  if (error instanceof TwilioApiError && error.kind === 'rate-limited') {
    return { status: 429, retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof TwilioApiError && error.status !== undefined) {
    return { status: error.status, retryAfterMs: error.retryAfterMs };
  }
  return { status: 'error' };
}
