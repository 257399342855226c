import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

export interface RedisAddress {
  host: string;
  port: number;
}

/** Credentials and TLS of every server of a cluster or sentinel deployment (a URL carries its own). */
export interface RedisAuth {
  username?: string | undefined;
  password?: string | undefined;
  tls: boolean;
}

/**
 * Where Redis is, in one of three modes: the shape of `RedisSettings` in @recording-vault/config, which
 * passes as it is. A plain URL means single mode.
 */
export type RedisTarget =
  | string
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; nodes: readonly RedisAddress[]; auth: RedisAuth }
  | {
      mode: 'sentinel';
      sentinels: readonly RedisAddress[];
      /** The name the sentinels monitor the primary under. */
      name: string;
      auth: RedisAuth;
      /** For sentinels protected by a password of their own; unset, they are reached without one. */
      sentinelPassword?: string | undefined;
    };

/** Where a target looks for Redis, for messages: addresses only, never credentials. */
export function describeRedisTarget(target: RedisTarget): string {
  const addresses = (list: readonly RedisAddress[]) =>
    list.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(', ');
  if (typeof target === 'string') return `Redis at ${withoutCredentials(target)}`;
  switch (target.mode) {
    case 'single':
      return `Redis at ${withoutCredentials(target.url)}`;
    case 'cluster':
      return `the Redis Cluster at ${addresses(target.nodes)}`;
    case 'sentinel':
      return `the Redis primary ${target.name} through the sentinels at ${addresses(target.sentinels)}`;
  }
}

/** `redis://user:secret@host:6379/0` → `redis://host:6379/0`. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** `producer`: fail fast, for code that answers a caller. `worker`: wait for Redis as long as it takes. */
export type ConnectionProfile = 'producer' | 'worker';

/** A single server or sentinel connection is a `Redis`, a cluster connection a `Cluster`. */
export type RedisConnection = Redis | Cluster;

/**
 * The HTTP producer must answer Twilio quickly even when Redis is down: no offline queue, one try per
 * command, a short connect timeout. Commands fail at once while disconnected and the caller answers 503;
 * ioredis keeps reconnecting in the background, so the endpoint recovers by itself. Auto-pipelining sends
 * the jobs of concurrent requests in one write instead of one system call each.
 */
const producerOptions: RedisOptions = {
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
  connectTimeout: 1_000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
};

/**
 * Workers wait for Redis for as long as it takes: a blocked worker is harmless, a worker that drops a job
 * on the floor because Redis blinked is not. BullMQ requires `maxRetriesPerRequest: null` for workers.
 */
const workerOptions: RedisOptions = {
  maxRetriesPerRequest: null,
  retryStrategy: (attempt) => Math.min(attempt * 500, 5_000),
};

const profiles: Record<ConnectionProfile, RedisOptions> = {
  producer: producerOptions,
  worker: workerOptions,
};

/**
 * While a primary is down and until its replica takes over (the nodes wait `cluster-node-timeout`, 15 s by
 * default, before they call it failed), ioredis tries a command again and again: every try counts as a
 * redirection. The producer keeps ioredis' defaults (16 tries, 100 ms apart: it fails within a second or
 * two); a worker's commands wait through a failover, tried every half second for about two minutes, rather
 * than fail and make BullMQ pause its loop.
 */
const clusterProfiles: Record<ConnectionProfile, ClusterOptions> = {
  producer: {},
  worker: {
    retryDelayOnFailover: 500,
    retryDelayOnClusterDown: 500,
    retryDelayOnTryAgain: 500,
    maxRedirections: 500,
  },
};

/**
 * A connection to Redis in any mode, with the profile's behaviour while Redis is unreachable, fails over or
 * comes back. `options` are ioredis options for each server connection, applied last.
 */
export function redisConnection(
  target: RedisTarget,
  profile: ConnectionProfile,
  options: RedisOptions = {},
): RedisConnection {
  if (typeof target === 'string') return new Redis(target, { ...profiles[profile], ...options });
  switch (target.mode) {
    case 'single':
      return new Redis(target.url, { ...profiles[profile], ...options });
    case 'cluster':
      return clusterConnection(target.nodes, target.auth, profile, options);
    case 'sentinel':
      return new Redis({
        ...profiles[profile],
        ...serverAuth(target.auth),
        sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
        name: target.name,
        sentinelPassword: target.sentinelPassword,
        // With TLS, the sentinels are reached over TLS too, as they are deployed beside the servers.
        ...(target.auth.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
        // Reconnect at once when the sentinels announce a new primary, even if the old one still answers.
        failoverDetector: true,
        reconnectOnError: resendOnReadOnly,
        ...options,
      });
  }
}

/**
 * The options of one server connection go to every node; the offline queue, auto-pipelining and the retry
 * strategy are the cluster's own. Reads go to primaries: a replica may lag behind what was just written.
 */
function clusterConnection(
  nodes: readonly RedisAddress[],
  auth: RedisAuth,
  profile: ConnectionProfile,
  options: RedisOptions,
): Cluster {
  const { retryStrategy, enableOfflineQueue, enableAutoPipelining, lazyConnect, ...server } = {
    ...profiles[profile],
    ...serverAuth(auth),
    ...options,
  };
  // Each node's address comes from the cluster itself; sentinels and replica reads have no place here.
  const {
    host: _host,
    port: _port,
    path: _path,
    sentinels: _sentinels,
    readOnly: _readOnly,
    ...perNode
  } = server;
  return new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    {
      scaleReads: 'master',
      enableOfflineQueue: enableOfflineQueue ?? true,
      enableAutoPipelining: enableAutoPipelining ?? false,
      lazyConnect: lazyConnect ?? false,
      ...(retryStrategy !== undefined ? { clusterRetryStrategy: retryStrategy } : {}),
      ...clusterProfiles[profile],
      redisOptions: perNode,
    } satisfies ClusterOptions,
  );
}

function serverAuth(auth: RedisAuth): RedisOptions {
  return {
    ...(auth.username ? { username: auth.username } : {}),
    ...(auth.password ? { password: auth.password } : {}),
    ...(auth.tls ? { tls: {} } : {}),
  };
}

/**
 * A server that answers READONLY has become a replica (a failover the connection has not noticed yet): the
 * command was not run, so reconnecting to the current primary and sending it again is safe.
 */
function resendOnReadOnly(error: Error): 2 | false {
  return error.message.startsWith('READONLY') ? 2 : false;
}

/** The producer profile on one server at `url`. */
export function producerConnection(url: string, options?: RedisOptions): Redis;
/** The producer profile in any mode. */
export function producerConnection(target: RedisTarget, options?: RedisOptions): RedisConnection;
export function producerConnection(target: RedisTarget, options: RedisOptions = {}): RedisConnection {
  return redisConnection(target, 'producer', options);
}

/** The worker profile on one server at `url`. */
export function workerConnection(url: string, options?: RedisOptions): Redis;
/** The worker profile in any mode. */
export function workerConnection(target: RedisTarget, options?: RedisOptions): RedisConnection;
export function workerConnection(target: RedisTarget, options: RedisOptions = {}): RedisConnection {
  return redisConnection(target, 'worker', options);
}

/** What `logConnectionChanges` needs of a logger (pino's, in the apps). */
export interface ConnectionLog {
  info(message: string): void;
  error(details: { err: unknown }, message: string): void;
}

/**
 * Logs what an operator needs to know of a Redis connection and nothing more: "redis unreachable" once when
 * it cannot connect at start, "redis connection lost" once when it drops, "redis connected" when it is back.
 * ioredis repeats the error on every reconnect attempt: the change is logged, not each attempt. `meanwhile`
 * says what the app does until Redis answers, e.g. "answering 503 until it returns".
 */
export function logConnectionChanges(redis: RedisConnection, log: ConnectionLog, meanwhile?: string): void {
  let state: 'starting' | 'up' | 'down' = 'starting';
  const suffix = meanwhile ? `; ${meanwhile}` : '';
  redis.on('ready', () => {
    if (state !== 'up') log.info('redis connected');
    state = 'up';
  });
  redis.on('error', (error) => {
    if (state === 'down') return;
    log.error({ err: error }, `${state === 'up' ? 'redis connection lost' : 'redis unreachable'}${suffix}`);
    state = 'down';
  });
}

/**
 * Closes a connection the polite way (QUIT: replies to commands already sent still come), but within
 * `withinMs`, then drops it. A QUIT on a connection waiting to reconnect, such as a worker's to a cluster
 * node that died and was never replaced, would otherwise wait for that node for ever, and so would shutdown.
 */
export async function closeConnection(connection: RedisConnection, withinMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), withinMs);
  });
  const quit = connection.quit().then(
    () => 'quit' as const,
    () => 'failed' as const,
  );
  const outcome = await Promise.race([quit, late]);
  clearTimeout(timer);
  if (outcome !== 'quit') connection.disconnect();
}
