/** What an account's API requests looked like since the counters were last reset. */
export interface ConcurrencyStats {
  /** The cap in force (undefined: none). */
  limit: number | undefined;
  /** Requests in flight now. */
  inFlight: number;
  /** The most in flight at once. */
  peak: number;
  /** Requests let through, and requests refused with 429 because the cap was reached. */
  accepted: number;
  refused: number;
  /** Time-weighted average of the requests in flight over `elapsedMs`. */
  averageInFlight: number;
  elapsedMs: number;
}

interface AccountLoad {
  inFlight: number;
  peak: number;
  accepted: number;
  refused: number;
  /** Requests in flight integrated over time (request·ms) up to `changedAt`. */
  area: number;
  changedAt: number;
}

/**
 * Twilio's concurrency limit, per account: a request that arrives while `limit` requests of the same account
 * are in flight is refused with 429 (error 20429) and not processed. A request is in flight from its arrival
 * until its response has been sent (body included). Also measures how much of the limit a client uses.
 */
export function createConcurrencyCap(clock: () => number, initialLimit?: number) {
  let limit = initialLimit;
  let since = clock();
  const loads = new Map<string, AccountLoad>();

  const load = (accountSid: string): AccountLoad => {
    let found = loads.get(accountSid);
    if (!found) {
      found = { inFlight: 0, peak: 0, accepted: 0, refused: 0, area: 0, changedAt: since };
      loads.set(accountSid, found);
    }
    return found;
  };
  const advance = (account: AccountLoad, now: number) => {
    account.area += account.inFlight * (now - account.changedAt);
    account.changedAt = now;
  };

  return {
    setLimit(next: number | undefined): void {
      if (next !== undefined && !(Number.isInteger(next) && next >= 1)) {
        throw new Error(`the concurrency limit must be a whole number ≥ 1, got ${next}`);
      }
      limit = next;
    },

    /**
     * Admits a request of the account, or refuses it (false) when the cap is reached. An admitted request
     * must call the returned `done` once its response is over.
     */
    admit(accountSid: string): (() => void) | false {
      const account = load(accountSid);
      if (limit !== undefined && account.inFlight >= limit) {
        account.refused += 1;
        return false;
      }
      advance(account, clock());
      account.inFlight += 1;
      account.accepted += 1;
      account.peak = Math.max(account.peak, account.inFlight);
      let over = false;
      return () => {
        if (over) return;
        over = true;
        advance(account, clock());
        account.inFlight -= 1;
      };
    },

    stats(accountSid: string): ConcurrencyStats {
      const account = load(accountSid);
      const now = clock();
      advance(account, now);
      const elapsedMs = now - since;
      return {
        limit,
        inFlight: account.inFlight,
        peak: account.peak,
        accepted: account.accepted,
        refused: account.refused,
        averageInFlight: elapsedMs > 0 ? account.area / elapsedMs : 0,
        elapsedMs,
      };
    },

    /** Starts the counters and the average again from now (requests in flight stay counted). */
    reset(): void {
      since = clock();
      for (const account of loads.values()) {
        Object.assign(account, {
          peak: account.inFlight,
          accepted: 0,
          refused: 0,
          area: 0,
          changedAt: since,
        });
      }
    },
  };
}
