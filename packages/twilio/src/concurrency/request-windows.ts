import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Permit, RequestGate } from './gate.ts';
import { acquireScript, readScript, releaseScript, renewScript } from './scripts.ts';

export interface RequestWindowOptions {
  /**
   * A connection for commands, to one server or a cluster; waits for Redis while it is away
   * (`maxRetriesPerRequest: null`). A duplicate of it listens for released slots: a cluster delivers what
   * the scripts publish on any node to a subscriber on any other.
   */
  connection: Redis | Cluster;
  /** The queues' prefix: every key lives under it, so a hash tag keeps them in the queues' slot. */
  prefix: string;
  /** The most requests ever in flight for one account (TWILIO_MAX_CONCURRENCY). */
  ceiling: number;
  /** Where a new account's window starts. Default 4 (or the ceiling, if lower). */
  initial?: number;
  /**
   * How much slower the window grows once it has reached the limit Twilio last showed. Default 8: about one
   * 429 per 8 windows' worth of answers while the limit stays where it is.
   */
  probe?: number;
  /** The longest pause a `Retry-After` may impose on an account. Default 5 minutes. */
  maxPauseMs?: number;
  /** A slot whose process died is given back after this long. Renewed every third of it while held. Default 10 s. */
  leaseMs?: number;
  /** Told of every 429, for metrics. */
  onLimited?: (accountSid: string) => void;
  /** Told of a release or renewal Redis refused; the lease then ends on its own. */
  onError?: (error: unknown) => void;
}

export interface WindowState {
  accountSid: string;
  /** Requests allowed in flight now. */
  window: number;
  inFlight: number;
  /** The limit Twilio last showed with a 429, if it has. */
  limit: number | null;
  /** Until when a `Retry-After` holds the account's requests back, if it does. */
  pausedUntil: Date | null;
  /** 429s that cut the window, all 429s, and every answer counted. */
  cuts: number;
  limited: number;
  answered: number;
}

export type RequestWindows = ReturnType<typeof createRequestWindows>;

/** Keys of one account's window, all under the queues' prefix. */
function windowKeys(prefix: string, accountSid: string) {
  return {
    state: `${prefix}:twilio-window:${accountSid}`,
    held: `${prefix}:twilio-window:${accountSid}:held`,
  };
}

const accountsKey = (prefix: string) => `${prefix}:twilio-window:accounts`;
const releasedChannel = (prefix: string) => `${prefix}:twilio-window:released`;

/** When nobody says a slot came free (a lost message, a lease that ran out), look again after this. */
const fallbackWaitMs = 250;

/**
 * Adaptive per-account concurrency for Twilio requests, shared by every worker process through Redis.
 *
 * Twilio answers 429 when an account has more requests in flight than its limit, which is not published.
 * Each account's window starts small and grows with every clean answer; a 429 sets it to the number of
 * requests that were in flight when the refused one was sent (the limit Twilio just showed), then it grows
 * again slowly past that, to notice a limit that rose. One account's 429s never slow another account.
 *
 * A process waits for a slot in one queue per account; a release anywhere publishes a message that wakes
 * the waiters at once, so a freed slot is taken up in about one Redis round trip.
 */
export function createRequestWindows(options: RequestWindowOptions) {
  const { connection, prefix, ceiling } = options;
  const initial = Math.min(options.initial ?? 4, ceiling);
  const probe = options.probe ?? 8;
  const leaseMs = options.leaseMs ?? 10_000;
  const maxPauseMs = options.maxPauseMs ?? 300_000;
  const channel = releasedChannel(prefix);
  const redis = connection as (Redis | Cluster) & {
    rvWindowAcquire(...args: Array<string | number>): Promise<number[]>;
    rvWindowRenew(...args: Array<string | number>): Promise<number>;
    rvWindowRelease(...args: Array<string | number>): Promise<number>;
    rvWindowRead(...args: Array<string | number>): Promise<Array<string | number | null>>;
  };
  redis.defineCommand('rvWindowAcquire', { numberOfKeys: 3, lua: acquireScript });
  redis.defineCommand('rvWindowRenew', { numberOfKeys: 1, lua: renewScript });
  redis.defineCommand('rvWindowRelease', { numberOfKeys: 2, lua: releaseScript });
  redis.defineCommand('rvWindowRead', { numberOfKeys: 2, lua: readScript });

  const subscriber = duplicateOf(connection);
  const gates = new Map<string, AccountGate>();
  /** Lease renewals of the permits held in this process. */
  const renewals = new Set<NodeJS.Timeout>();
  subscriber.on('message', (_channel: string, accountSid: string) => gates.get(accountSid)?.wake());
  subscriber.on('error', (error) => options.onError?.(error));
  subscriber.subscribe(channel).catch((error) => options.onError?.(error));

  interface Waiter {
    resolve(permit: Permit): void;
    reject(reason: unknown): void;
    signal: AbortSignal | undefined;
  }

  class AccountGate implements RequestGate {
    readonly #accountSid: string;
    readonly #keys: ReturnType<typeof windowKeys>;
    readonly #waiters: Waiter[] = [];
    #pumping = false;
    #wake: (() => void) | undefined;

    constructor(accountSid: string) {
      this.#accountSid = accountSid;
      this.#keys = windowKeys(prefix, accountSid);
    }

    wake(): void {
      this.#wake?.();
    }

    acquire(signal?: AbortSignal): Promise<Permit> {
      signal?.throwIfAborted();
      return new Promise<Permit>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject, signal };
        const onAbort = () => {
          const at = this.#waiters.indexOf(waiter);
          if (at >= 0) this.#waiters.splice(at, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiter.resolve = (permit) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(permit);
        };
        waiter.reject = (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        };
        this.#waiters.push(waiter);
        void this.#pump();
      });
    }

    /** One loop per account and process: hands slots to the waiters in the order they came. */
    async #pump(): Promise<void> {
      if (this.#pumping) return;
      this.#pumping = true;
      try {
        while (this.#waiters.length > 0) {
          // Listen before asking, so that a release between the answer and the wait is not missed.
          const woken = new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          const token = randomUUID();
          let answer: number[];
          try {
            answer = await redis.rvWindowAcquire(
              this.#keys.state,
              this.#keys.held,
              accountsKey(prefix),
              token,
              leaseMs,
              ceiling,
              initial,
              this.#accountSid,
            );
          } catch (error) {
            for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
            return;
          }
          const [taken, value, epoch] = answer.map(Number) as [number, number, number];
          if (taken === 1) {
            const permit = this.#permit(token, value, epoch);
            const waiter = this.#waiters.shift();
            if (waiter) waiter.resolve(permit);
            else permit.release({ status: 'error' });
            continue;
          }
          await waitFor(woken, value > 0 ? value : fallbackWaitMs);
        }
      } finally {
        this.#wake = undefined;
        this.#pumping = false;
      }
    }

    #permit(token: string, position: number, epoch: number): Permit {
      const renew = setInterval(
        () => {
          redis.rvWindowRenew(this.#keys.held, token, leaseMs).catch((error) => options.onError?.(error));
        },
        Math.max(250, Math.floor(leaseMs / 3)),
      );
      renew.unref();
      renewals.add(renew);
      let released = false;
      return {
        release: (outcome) => {
          if (released) return;
          released = true;
          clearInterval(renew);
          renewals.delete(renew);
          const kind = outcome.status === 429 ? 'limited' : isClean(outcome.status) ? 'clean' : 'other';
          if (kind === 'limited') options.onLimited?.(this.#accountSid);
          redis
            .rvWindowRelease(
              this.#keys.state,
              this.#keys.held,
              token,
              kind,
              position,
              epoch,
              Math.max(0, Math.round(Math.min(outcome.retryAfterMs ?? 0, maxPauseMs))),
              ceiling,
              probe,
              channel,
              this.#accountSid,
            )
            .catch((error) => options.onError?.(error));
        },
      };
    }
  }

  return {
    /** The gate of one account; the same object for every call with that account. */
    forAccount(accountSid: string): RequestGate {
      let gate = gates.get(accountSid);
      if (!gate) {
        gate = new AccountGate(accountSid);
        gates.set(accountSid, gate);
      }
      return gate;
    },

    /** Each account's window as Redis holds it now. */
    read: (accountSids?: readonly string[]) => readRequestWindows(connection, prefix, accountSids),

    /** Stops listening and renewing: slots still held come back when their leases run out. */
    async close(): Promise<void> {
      for (const renew of renewals) clearInterval(renew);
      renewals.clear();
      subscriber.disconnect();
    },
  };
}

/**
 * Each account's window, for metrics and `vault status`: the accounts given, or every account that has
 * one. Expired leases are dropped first, so `inFlight` counts live requests only.
 */
export async function readRequestWindows(
  redis: Redis | Cluster,
  prefix: string,
  accountSids?: readonly string[],
): Promise<WindowState[]> {
  const sids = accountSids ?? (await redis.smembers(accountsKey(prefix))).sort();
  const states: WindowState[] = [];
  for (const accountSid of sids) {
    const keys = windowKeys(prefix, accountSid);
    const [window, limit, pausedUntil, cuts, limited, answered, held, now] = (await redis.eval(
      readScript,
      2,
      keys.state,
      keys.held,
    )) as Array<string | number | null>;
    if (window === null) continue;
    const paused = Number(pausedUntil ?? 0);
    states.push({
      accountSid,
      window: Math.floor(Number(window) * 100) / 100,
      inFlight: Number(held),
      limit: limit === null ? null : Number(limit),
      pausedUntil: paused > Number(now) ? new Date(paused) : null,
      cuts: Number(cuts ?? 0),
      limited: Number(limited ?? 0),
      answered: Number(answered ?? 0),
    });
  }
  return states;
}

/** A connection of its own, in subscriber mode once it subscribes: to the same server or cluster. */
function duplicateOf(connection: Redis | Cluster): Redis | Cluster {
  return connection.isCluster ? (connection as Cluster).duplicate() : (connection as Redis).duplicate();
}

/** Every answer but a 429, a 5xx or none at all says the request was taken without strain. */
function isClean(status: number | 'error'): boolean {
  return status !== 'error' && status < 500 && status !== 429 && status !== 408;
}

async function waitFor(woken: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    woken,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
