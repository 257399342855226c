import { createServer, type Server } from 'node:http';
import { createArchiveIndex } from '@recording-vault/archive-index';
import { type DeepReadonly, redisSettings, storageSettings, twilioSettings } from '@recording-vault/config';
import { closeHttpServer, listenOn, serverOrigin } from '@recording-vault/lifecycle';
import { createLogger, type Logger } from '@recording-vault/logger';
import { closeConnection, logConnectionChanges, producerConnection } from '@recording-vault/redis';
import { createStore } from '@recording-vault/storage';
import { createRecordingsApp } from './app.ts';
import type { AuthThrottleSettings } from './auth-throttle.ts';
import type { RecordingsApiEnv } from './config.ts';
import { createRecordingsApiMetrics } from './metrics.ts';
import { ffmpegTranscoder } from './transcoder.ts';

export interface RecordingsApiHandle {
  server: Server;
  /** Where it listens, `http://host:port`. */
  origin: string;
  /** RECORDINGS_API_PUBLIC_URL, or the origin when unset: in `media_url` and signed links. */
  publicUrl: string;
  /** No new connections, the reads in flight answered (or cut after a grace), then Redis closed. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** For tests: a shorter throttle, a clock for link expiry. */
  authThrottle?: AuthThrottleSettings;
  clock?: () => number;
  /** The ffmpeg to transcode with (default `ffmpeg` on the PATH, when it runs); false: none. */
  ffmpeg?: string | false;
}

/**
 * The recordings API from its configuration: a fail-fast Redis connection (a read gets 503 at once while
 * Redis is down), the archive index under the queues' prefix, the store, and the HTTP server. Its own main
 * and anything that composes apps start it here.
 */
export async function startRecordingsApi(
  env: DeepReadonly<RecordingsApiEnv>,
  logger: Logger = createLogger({ name: 'recordings-api', level: env.LOG_LEVEL }),
  options: StartOptions = {},
): Promise<RecordingsApiHandle> {
  const redisConfig = redisSettings(env);
  const redis = producerConnection(redisConfig);
  logConnectionChanges(redis, logger, 'answering 503 until it returns');
  const closeRedis = () => closeConnection(redis);
  const store = createStore(storageSettings(env));
  const index = createArchiveIndex({ redis, prefix: redisConfig.prefix });
  const transcoder = options.ffmpeg === false ? undefined : await ffmpegTranscoder(options.ffmpeg);
  logger.info(
    transcoder
      ? 'ffmpeg found: the other format than the stored one is transcoded as it streams'
      : 'no ffmpeg: the other format than the stored one is answered 406',
  );

  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 });
  // Unset, the public URL is the address listened on, known only once listening (a port 0 in tests).
  let publicUrl = env.RECORDINGS_API_PUBLIC_URL ?? '';
  const app = createRecordingsApp({
    index,
    store,
    transcoder,
    get publicUrl() {
      return publicUrl;
    },
    logger,
    metrics: createRecordingsApiMetrics(),
    accounts: twilioSettings(env).accounts,
    linkSecret: env.RECORDINGS_LINK_SECRET,
    isReady: async () =>
      redis.status === 'ready' &&
      (await redis.ping()) === 'PONG' &&
      (await store.check().then(
        () => true,
        () => false,
      )),
    isRedisConnected: () => redis.status === 'ready',
    metricsToken: env.METRICS_TOKEN,
    trustProxy: env.RECORDINGS_API_TRUST_PROXY,
    ...(options.authThrottle ? { authThrottle: options.authThrottle } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  server.on('request', app);
  try {
    await listenOn(server, env.RECORDINGS_API_PORT, env.RECORDINGS_API_HOST, 'RECORDINGS_API_PORT');
  } catch (error) {
    await closeRedis();
    throw error;
  }
  const origin = serverOrigin(server);
  publicUrl ||= origin;
  logger.info({ address: server.address(), publicUrl, storage: store.location }, 'recordings API listening');

  return {
    server,
    origin,
    publicUrl,
    async close() {
      // Media downloads may be long: the idle connections close now, the rest after a grace.
      await closeHttpServer(server, 8_000);
      await closeRedis();
    },
  };
}
