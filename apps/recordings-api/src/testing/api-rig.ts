import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type ArchiveIndex, createArchiveIndex } from '@recording-vault/archive-index';
import {
  type ArchivedRecording,
  type ArchivedRecordingInput,
  archiveRecording,
  sidOf,
} from '@recording-vault/archive-index/testing/archived-fixtures';
import { parseEnv } from '@recording-vault/config';
import { createLogger } from '@recording-vault/logger';
import { createStore, type ObjectStore, type StoreConfig } from '@recording-vault/storage';
import {
  type RedisServerOptions,
  type RedisTestServer,
  type S3TestServer,
  startRedisServer,
  startS3Server,
} from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import type { AuthThrottleSettings } from '../auth-throttle.ts';
import { recordingsApiEnv } from '../config.ts';
import { type RecordingsApiHandle, startRecordingsApi } from '../start.ts';

export interface TestAccount {
  accountSid: string;
  /** Every accepted token; the first is the current one. */
  authTokens: string[];
  apiKey?: { sid: string; secret: string };
}

export interface ApiRig {
  api: RecordingsApiHandle;
  redis: RedisTestServer;
  s3: S3TestServer | undefined;
  /** The folder, for the folder driver. */
  dir: string | undefined;
  store: ObjectStore;
  storeConfig: StoreConfig;
  /** The index the API reads, through a connection of the test's own. */
  index: ArchiveIndex;
  prefix: string;
  /** Two rotated tokens and an API key. */
  a: TestAccount;
  /** One token, no key. */
  b: TestAccount;
  linkSecret: string;
  /** Every log line of the API, parsed. */
  logs: Record<string, unknown>[];
  /** The API's clock: undefined follows the real time. */
  clock: { now: number | undefined };
  archive(
    input: Omit<ArchivedRecordingInput, 'accountSid'> & { accountSid?: string },
  ): Promise<ArchivedRecording>;
  /** A request to the API, with basic auth when `auth` is given (user, password). */
  request(
    path: string,
    options?: { auth?: [string, string]; headers?: Record<string, string>; method?: string; body?: string },
  ): Promise<Response>;
  wipeIndex(): Promise<void>;
  close(): Promise<void>;
}

const token = () => randomBytes(16).toString('hex');

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/**
 * The recordings API as its main starts it (environment parsed by its schema, `startRecordingsApi`), over a
 * private Redis and the folder store or the S3 test server, serving two accounts from an accounts file.
 */
export async function startApiRig(
  driver: 'folder' | 's3',
  options: {
    authThrottle?: AuthThrottleSettings;
    redis?: RedisServerOptions;
    /** Transcoding off unless an ffmpeg is named: the routes' tests see the 406 of an API without it. */
    ffmpeg?: string | false;
  } = {},
): Promise<ApiRig> {
  const redis = await startRedisServer(options.redis);
  const work = await mkdtemp(join(tmpdir(), 'rv-recordings-api-'));
  const a: TestAccount = {
    accountSid: sidOf('AC'),
    authTokens: [token(), token()],
    apiKey: { sid: sidOf('SK'), secret: randomBytes(24).toString('hex') },
  };
  const b: TestAccount = { accountSid: sidOf('AC'), authTokens: [token()] };
  const accountsFile = join(work, 'accounts.json');
  await writeFile(
    accountsFile,
    JSON.stringify([
      {
        accountSid: a.accountSid,
        authToken: a.authTokens,
        apiKeySid: a.apiKey?.sid,
        apiKeySecret: a.apiKey?.secret,
      },
      { accountSid: b.accountSid, authToken: b.authTokens },
    ]),
  );
  let s3: S3TestServer | undefined;
  let dir: string | undefined;
  let storageVars: Record<string, string>;
  if (driver === 's3') {
    s3 = await startS3Server({ buckets: ['recordings'] });
    storageVars = {
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: 'recordings',
      S3_REGION: s3.region,
    };
  } else {
    dir = join(work, 'recordings');
    storageVars = { STORAGE_DIR: dir };
  }
  const prefix = `{t${randomBytes(4).toString('hex')}}`;
  const linkSecret = randomBytes(32).toString('base64url');
  const env = parseEnv(recordingsApiEnv, {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    TWILIO_ACCOUNTS_FILE: accountsFile,
    RECORDINGS_API_HOST: '127.0.0.1',
    RECORDINGS_API_PORT: '0',
    RECORDINGS_LINK_SECRET: linkSecret,
    LOG_LEVEL: 'debug',
    ...storageVars,
  });
  const storeConfig = (
    driver === 's3'
      ? {
          driver: 's3',
          endpoint: storageVars.S3_ENDPOINT,
          accessKey: storageVars.S3_ACCESS_KEY,
          secretKey: storageVars.S3_SECRET_KEY,
          bucket: 'recordings',
          region: storageVars.S3_REGION,
        }
      : { driver: 'folder', dir }
  ) as StoreConfig;
  const store = createStore(storeConfig);
  await store.ensureBucket();

  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const clock: { now: number | undefined } = { now: undefined };
  const api = await startRecordingsApi(
    env,
    createLogger({ name: 'recordings-api', level: 'debug', destination }),
    {
      authThrottle: options.authThrottle ?? { failedAttempts: 1_000, windowMs: 60_000 },
      clock: () => clock.now ?? Date.now(),
      ffmpeg: options.ffmpeg ?? false,
    },
  );

  const connection = new Redis(redis.url);
  const index = createArchiveIndex({ redis: connection, prefix });
  return {
    api,
    redis,
    s3,
    dir,
    store,
    storeConfig,
    index,
    prefix,
    a,
    b,
    linkSecret,
    logs,
    clock,
    archive: (input) => archiveRecording(store, { accountSid: a.accountSid, ...input }, index),
    request: (path, requestOptions = {}) =>
      fetch(`${api.origin}${path}`, {
        method: requestOptions.method ?? 'GET',
        headers: {
          ...(requestOptions.auth ? { Authorization: basic(...requestOptions.auth) } : {}),
          ...requestOptions.headers,
        },
        ...(requestOptions.body === undefined ? {} : { body: requestOptions.body }),
      }),
    async wipeIndex() {
      const keys = await connection.keys(`${prefix}:index:*`);
      if (keys.length > 0) await connection.del(...keys);
    },
    async close() {
      await api.close();
      connection.disconnect();
      await s3?.close();
      await redis.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
