import { primaryConnectionFor, type RedisConnection } from '@recording-vault/redis';
import type { Redis } from 'ioredis';

/**
 * Acknowledged means replicated. Redis replicates asynchronously: a job the primary holds, but no replica
 * yet, vanishes with the primary if it fails over. `WAIT numreplicas timeout` answers how many replicas
 * have acknowledged every write the connection sending it made so far, so a callback is answered 204 only
 * once WAIT, sent after the job's writes on the very connection that made them, counts enough replicas.
 *
 * The connection: the queue's own in single and sentinel mode; in cluster mode the node connection ioredis
 * sends the vault's slot to (see `primaryConnectionFor`): a WAIT sent through the cluster object has no key
 * and goes to any node, where it proves nothing. The socket is noted before the writes and checked again
 * once WAIT answered: a reconnect in between (a dropped connection, a failover to another primary) starts a
 * new connection whose WAIT would count none of the job's writes and answer at once, so it fails the check.
 *
 * One WAIT in flight per connection, shared: WAIT blocks its connection on the server until it answers,
 * and every command behind it waits too. A callback whose writes completed joins the next WAIT to be sent
 * (the one in flight may have been sent before its writes); that one covers every write made before it,
 * its own included. So concurrent callbacks share a WAIT, and while replicas do not answer the connection
 * is held by one WAIT at a time rather than a pile of them.
 *
 * How many replicas: INGEST_MIN_REPLICAS when set. Unset ('auto'): one if the primary serving the vault's
 * slot has a replica, asked with INFO replication once the connection is ready (and by the first callback
 * if that failed); none otherwise, asked again after every reconnect and every `recheckMs` at a callback,
 * so that a replica added later is used. Once a replica has been seen the answer stays one:
 * a replica that goes away (or a promoted primary that has none yet) makes callbacks wait and get 503
 * rather than silently give up the guarantee. The job is in Redis all the same (Twilio's retry, or the
 * reconciliation, finds it there); only the promise that a 204 survives a failover is withheld.
 */

/** Fewer replicas than required acknowledged the job's writes in time: the callback is answered 503. */
export class NotReplicatedError extends Error {
  /** Replicas that acknowledged, when WAIT answered. */
  readonly replicas: number | undefined;
  constructor(message: string, replicas?: number) {
    super(message);
    this.name = 'NotReplicatedError';
    this.replicas = replicas;
  }
}

/** What became of one wait for replicas: for metrics. */
export type ReplicaWaitOutcome = 'replicated' | 'timeout' | 'failed';

/** What `createWriteReplication` tells about replication: metrics and log lines. */
export interface ReplicationEvents {
  /** One wait for replicas ended after `seconds`. */
  waited?(outcome: ReplicaWaitOutcome, seconds: number): void;
  /** The replicas required changed (learned at the first callback in auto mode, or a replica seen later). */
  required?(replicas: number): void;
}

/** What `createWriteReplication` says in the log: when callbacks start or stop being answered 503. */
export interface ReplicationLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface WriteReplicationOptions {
  /** The queue's connection: the jobs are written through it. */
  connection: RedisConnection;
  /** A key of the queue: its slot's primary is the one written to (every key shares it, by the hash tag). */
  key: string;
  /** INGEST_MIN_REPLICAS, or 'auto' when unset. */
  minReplicas: number | 'auto';
  /** WAIT's own timeout, in milliseconds: after it Redis answers with the replicas counted so far. */
  timeoutMs: number;
  /** How long a WAIT may take beyond its timeout to be answered before it counts as unanswered. */
  replyMarginMs?: number;
  /** In auto mode, how often a primary without replicas is asked again. Default 30 s. */
  recheckMs?: number;
  events?: ReplicationEvents;
  log?: ReplicationLog;
}

/** Where the writes about to be made go: the node connection and its socket at that moment. */
export interface WriteMark {
  node: Redis | undefined;
  socket: unknown;
}

export interface WriteReplication {
  /** Replicas the writes of a callback must reach now; 0 when acknowledging after the primary's write. */
  required(): Promise<number>;
  /** Taken just before the job's writes. */
  mark(): WriteMark;
  /**
   * Resolves once every write made through the marked connection so far reached `replicas` replicas;
   * rejects with NotReplicatedError otherwise (too few in time, no answer, a reconnect or failover).
   */
  confirm(mark: WriteMark, replicas: number): Promise<void>;
  /** The longest a WAIT holds the connection: writes sent behind it wait that long more. */
  readonly holdMs: number;
}

export function createWriteReplication(options: WriteReplicationOptions): WriteReplication {
  const { connection, key, timeoutMs, events, log } = options;
  const holdMs = timeoutMs + (options.replyMarginMs ?? 500);
  const waits = new WeakMap<Redis, SharedWait>();
  const sharedWaitOn = (target: Redis) => {
    let wait = waits.get(target);
    if (!wait) {
      wait = sharedWait(target, timeoutMs, holdMs);
      waits.set(target, wait);
    }
    return wait;
  };
  /** The connection ioredis would send the vault's slot to now. */
  const node = () => primaryConnectionFor(connection, key);
  const requiredReplicas = replicaRequirement(options);
  const health = replicationHealth(log);

  return {
    holdMs,
    required: requiredReplicas,
    mark() {
      const current = node();
      return { node: current, socket: current?.stream };
    },
    async confirm(mark, replicas) {
      const started = performance.now();
      const end = (outcome: ReplicaWaitOutcome) =>
        events?.waited?.(outcome, (performance.now() - started) / 1000);
      try {
        const acknowledged = await sharedWaitOn(sameConnection(mark, node())).next(replicas);
        // A reconnect while WAIT was on its way would have it counted on the new connection.
        sameConnection(mark, node());
        if (acknowledged < replicas) {
          throw new NotReplicatedError(
            `the job reached ${acknowledged} of ${replicas} replicas within ${timeoutMs} ms`,
            acknowledged,
          );
        }
        end('replicated');
        health.replicated(replicas);
      } catch (error) {
        const refusal =
          error instanceof NotReplicatedError
            ? error
            : new NotReplicatedError(`no answer from the primary about its replicas: ${messageOf(error)}`);
        end(refusal.replicas === undefined ? 'failed' : 'timeout');
        health.refused(replicas, refusal);
        throw refusal;
      }
    },
  };

  function replicaRequirement(settings: WriteReplicationOptions): () => Promise<number> {
    const { minReplicas } = settings;
    if (minReplicas !== 'auto') {
      events?.required?.(minReplicas);
      return async () => minReplicas;
    }
    const recheckMs = settings.recheckMs ?? 30_000;
    let known: { replicas: number; at: number } | undefined;
    let asking: Promise<number> | undefined;
    const ask = () => {
      asking ??= connectedReplicas(node())
        .then((connected) => {
          const replicas = connected > 0 || known?.replicas === 1 ? 1 : 0;
          if (replicas !== known?.replicas) {
            events?.required?.(replicas);
            log?.info(
              { replicas: connected },
              replicas > 0
                ? 'the primary has replicas: callbacks are acknowledged once their job reached one (INGEST_MIN_REPLICAS unset)'
                : 'the primary has no replica: callbacks are acknowledged once the primary holds their job (INGEST_MIN_REPLICAS unset)',
            );
          }
          known = { replicas, at: Date.now() };
          return replicas;
        })
        .finally(() => {
          asking = undefined;
        });
      return asking;
    };
    // At start-up and after every reconnect (a failover, say), unless a replica is already required.
    const lookAgain = () => {
      if (known?.replicas !== 1) ask().catch(() => {});
    };
    connection.on('ready', lookAgain);
    if (connection.status === 'ready') lookAgain();
    return async () => {
      if (!known) return await ask();
      // Once a replica was seen it is required for good; without one, look again now and then.
      if (known.replicas === 0 && Date.now() - known.at > recheckMs) ask().catch(() => {});
      return known.replicas;
    };
  }
}

/** The connection of the mark, if the writes' connection is still the one that would carry the next command. */
function sameConnection(mark: WriteMark, now: Redis | undefined): Redis {
  if (!mark.node || now !== mark.node || mark.node.stream !== mark.socket || mark.socket === undefined) {
    throw new NotReplicatedError(
      "the connection to the vault's primary changed while the job was written (a reconnect or a failover)",
    );
  }
  return mark.node;
}

/** How many replicas the primary has now, by its own account (INFO replication). */
async function connectedReplicas(node: Redis | undefined): Promise<number> {
  if (!node) throw new Error("no connection to the primary of the vault's slot yet");
  const info = await node.info('replication');
  const role = /^role:(\S+)/m.exec(info)?.[1];
  if (role !== 'master')
    throw new Error(`the vault's Redis says it is a ${role ?? 'server of unknown role'}`);
  return Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
}

interface SharedWait {
  /** The answer of a WAIT sent after this call: the replicas that have every earlier write. */
  next(replicas: number): Promise<number>;
}

/**
 * One WAIT in flight on `node` at a time. A caller gets the WAIT sent next: the one in flight may have
 * been sent before the caller's writes. A WAIT unanswered `holdMs` after it was sent (a stalled server)
 * counts as failed and the next one goes out behind it.
 */
function sharedWait(node: Redis, timeoutMs: number, holdMs: number): SharedWait {
  let inFlight: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  const send = (replicas: number) => {
    const sent = withinMs(node.wait(replicas, timeoutMs), holdMs, 'WAIT was not answered');
    inFlight = sent;
    const settle = () => {
      if (inFlight === sent) inFlight = undefined;
    };
    sent.then(settle, settle);
    return sent;
  };
  return {
    next(replicas) {
      if (!inFlight) return send(replicas);
      queued ??= inFlight.then(noop, noop).then(() => {
        queued = undefined;
        return send(replicas);
      });
      return queued;
    },
  };
}

/**
 * Logs when callbacks start being answered 503 for want of replicas, and when they are acknowledged
 * again: once per change, not once per callback.
 */
function replicationHealth(log: ReplicationLog | undefined) {
  let refusing = false;
  return {
    replicated(replicas: number) {
      if (!refusing) return;
      refusing = false;
      log?.info({ replicas }, 'jobs reach their replicas again: callbacks are acknowledged');
    },
    refused(replicas: number, error: NotReplicatedError) {
      if (refusing) return;
      refusing = true;
      log?.warn(
        { replicas, reason: error.message },
        'callbacks answered 503 until their jobs reach the replicas required (INGEST_MIN_REPLICAS)',
      );
    },
  };
}

async function withinMs<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
    promise.catch(() => {});
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function noop(): void {}
