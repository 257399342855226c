import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ArchiveIndex, createArchiveIndex } from '@recording-vault/archive-index';
import type { TwilioAccountSettings } from '@recording-vault/config';
import { type ArchiveJob, archiveJobId, jobCatalogue, QueueName } from '@recording-vault/contract';
import { createLogger } from '@recording-vault/logger';
import { type RedisConnection, type RedisTarget, workerConnection } from '@recording-vault/redis';
import { createFolderStore, createS3Store, type ObjectStore, sidecarKey } from '@recording-vault/storage';
import {
  type EmulatorAccount,
  type RecordingInput,
  type RecordingResource,
  type RedisTestCluster,
  type RedisTestSentinel,
  type RedisTestServer,
  type RequestLogEntry,
  type RgwTestServer,
  type S3FaultFront,
  type S3TestServer,
  startRedisServer,
  startRgwServer,
  startS3FaultFront,
  startS3Server,
  startTwilioEmulator,
  type TwilioEmulator,
  testQueuePrefix,
} from '@recording-vault/testkit';
import { createMediaDownloader, createRequestWindows } from '@recording-vault/twilio';
import { type Job, Queue } from 'bullmq';
import { vi } from 'vitest';
import type { ArchiveSettings } from '../archive-recording.ts';
import { createWorkerMetrics } from '../metrics.ts';
import { chooseProofMethod, type VerifyMode } from '../proof-method.ts';
import { createTwilioAccounts } from '../twilio-accounts.ts';
import { createWorkers, type VaultWorkers } from '../workers.ts';

export const testRetryPolicy = { attempts: 6, backoffMs: 50, backoffMaxMs: 400, keepCompletedSeconds: 3600 };

export interface ArchiveRig extends RigOnRedis {
  /** The rig's own Redis server, which a test may stop, crash and restart. */
  redis: RedisTestServer;
}

/** Where a rig keeps its queues when a test brings its own Redis (a cluster, say). */
export interface RigRedis {
  target: RedisTarget;
  /** Every key of the rig is under it (with a hash tag, on a cluster). */
  prefix: string;
  /** Removes the rig's keys, when the rig closes. */
  cleanup(): Promise<void>;
}

/** A rig over a Redis it does not own: everything but the server. */
export interface RigOnRedis {
  emulator: TwilioEmulator;
  account: EmulatorAccount;
  /** Every account the worker serves, `account` first. */
  accounts: EmulatorAccount[];
  s3: S3TestServer | undefined;
  /** With `front: true`: the proxy the store reaches S3 through, which damages uploads on demand. */
  front: S3FaultFront | undefined;
  store: ObjectStore;
  prefix: string;
  queue: Queue;
  /** The index every worker of the rig writes to. */
  index: ArchiveIndex;
  /**
   * Starts a worker in this process with the given settings. `wrapStore` gives the worker a store of its
   * own built around the rig's (to observe or disturb its calls); `store` above stays the plain one.
   */
  startWorker(settings?: Partial<ArchiveSettings>, options?: WorkerOptions): Promise<VaultWorkers>;
  addRecording(input: Omit<RecordingInput, 'accountSid'>): RecordingResource;
  enqueue(recording: RecordingResource, extra?: Partial<ArchiveJob>): Promise<void>;
  /** Waits until the recording's archive job is completed or failed. */
  settle(recordingSid: string, timeoutMs?: number): Promise<Job>;
  close(): Promise<void>;
}

export interface WorkerOptions {
  lockDurationMs?: number;
  /** How the worker proves copies, chosen as its start-up does (default `auto`: by ETag on S3, read back on a folder). */
  verifyMode?: VerifyMode;
  wrapStore?: (store: ObjectStore) => ObjectStore;
  concurrency?: number;
  /** More accounts the worker serves, each with its own origin (another emulator, say). */
  extraAccounts?: TwilioAccountSettings[];
  /** The longest pause a Retry-After may impose (the worker's default when not given). */
  retryAfterMaxMs?: number;
  /** 0 (the default here) leaves the reconciliation off. */
  reconcileEveryMs?: number;
  /** The scheduled scrub (off unless given) and its sample (0: every recording). */
  scrubEveryMs?: number;
  scrubSample?: number;
  reconcileWindowMs?: number;
  /**
   * Hold each account's Twilio requests to an adaptive window in Redis (shared by every worker of the rig
   * given it), as the worker does by default; without it, a fixed cap of 16 jobs and pause-on-429.
   */
  twilioWindows?: { ceiling: number; initial?: number };
}

export interface RigOptions {
  /** `s3`: the S3 test double (with its log of operations, `rig.s3`); `rgw`: Ceph RGW, a real S3 server. */
  driver: 's3' | 'rgw' | 'folder';
  partSize?: number;
  /** S3 and RGW: reach the server through a front that can damage uploads (`rig.front`). */
  front?: boolean;
  /** Twilio accounts in the emulator, all served by the worker (default 1). */
  accounts?: number;
}

/** A rig over a private Redis server of its own (append-only, fsync always), removed when it closes. */
export async function startArchiveRig(options: RigOptions): Promise<ArchiveRig> {
  const redis = await startRedisServer({ appendOnly: true, appendFsync: 'always' });
  try {
    const rig = await startArchiveRigOn({ target: redis.url, ...testQueuePrefix(redis.url) }, options);
    return {
      ...rig,
      redis,
      async close() {
        await rig.close();
        await redis.close();
      },
    };
  } catch (error) {
    await redis.close();
    throw error;
  }
}

/** A rig over a Redis Cluster the test started, under `prefix` (with a hash tag); the cluster stays up. */
export async function startArchiveRigOnCluster(
  cluster: RedisTestCluster,
  prefix: string,
  options: RigOptions,
): Promise<RigOnRedis> {
  return await startArchiveRigOn(
    {
      target: {
        mode: 'cluster',
        nodes: cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })),
        auth: { tls: false },
      },
      prefix,
      cleanup: async () => {},
    },
    options,
  );
}

/** A rig over a primary the sentinels the test started watch, under `prefix`; the deployment stays up. */
export async function startArchiveRigOnSentinel(
  deployment: RedisTestSentinel,
  prefix: string,
  options: RigOptions,
): Promise<RigOnRedis> {
  return await startArchiveRigOn(
    {
      target: {
        mode: 'sentinel',
        sentinels: deployment.sentinels.map((address) => {
          const [host = '', port = ''] = address.split(':');
          return { host, port: Number(port) };
        }),
        name: deployment.masterName,
        auth: { tls: false },
      },
      prefix,
      cleanup: async () => {},
    },
    options,
  );
}

/** A rig over a Redis the test started (a cluster, say): closing the rig leaves the Redis running. */
export async function startArchiveRigOn(redis: RigRedis, options: RigOptions): Promise<RigOnRedis> {
  const emulator = await startTwilioEmulator();
  const account = emulator.addAccount();
  const otherAccounts = Array.from({ length: (options.accounts ?? 1) - 1 }, () => emulator.addAccount());
  let s3: S3TestServer | undefined;
  let rgw: RgwTestServer | undefined;
  let front: S3FaultFront | undefined;
  let dir: string | undefined;
  let store: ObjectStore;
  if (options.driver === 's3' || options.driver === 'rgw') {
    if (options.driver === 's3') s3 = await startS3Server({ buckets: ['recordings'] });
    else rgw = await startRgwServer({ buckets: ['recordings'] });
    const server = (s3 ?? rgw) as S3TestServer | RgwTestServer;
    if (options.front) front = await startS3FaultFront(server.endpoint);
    store = createS3Store({
      endpoint: front?.endpoint ?? server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      bucket: 'recordings',
      region: server.region,
      ...(options.partSize ? { partSize: options.partSize } : {}),
      idleTimeoutMs: 5_000,
    });
  } else {
    dir = await mkdtemp(join(tmpdir(), 'rv-store-'));
    store = createFolderStore({ dir });
    await store.ensureBucket();
  }
  const { prefix, cleanup } = redis;
  const connections: RedisConnection[] = [];
  const connect = () => {
    const connection = workerConnection(redis.target);
    connection.on('error', () => {});
    connections.push(connection);
    return connection;
  };
  const queue = new Queue(QueueName.archive, { connection: connect(), prefix });
  const index = createArchiveIndex({ redis: connect(), prefix });
  queue.on('error', () => {});
  const workers: VaultWorkers[] = [];
  const mediaOptions = {
    baseUrl: emulator.baseUrl,
    idleTimeoutMs: 5_000,
    connectTimeoutMs: 2_000,
    // Small, so that a trickling body meets its deadline within a test.
    deadline: { baseMs: 2_000, minBytesPerSecond: 1024 * 1024 },
  };
  const media = createMediaDownloader(mediaOptions);

  return {
    emulator,
    account,
    accounts: [account, ...otherAccounts],
    s3,
    front,
    store,
    prefix,
    queue,
    index,
    async startWorker(settings = {}, workerOptions = {}) {
      const windowOptions = workerOptions.twilioWindows;
      const windows =
        windowOptions && createRequestWindows({ connection: connect(), prefix, ...windowOptions });
      const gateFor = windows && ((accountSid: string) => windows.forAccount(accountSid));
      const ownMedia = gateFor && createMediaDownloader({ ...mediaOptions, gateFor });
      const logger = createLogger({ name: 'worker', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
      const vault = await createWorkers({
        connection: connect(),
        index,
        prefix,
        logger,
        proofMethod: await chooseProofMethod(store, workerOptions.verifyMode ?? 'auto', logger),
        metrics: createWorkerMetrics(),
        accounts: createTwilioAccounts(
          {
            accounts: [
              ...[account, ...otherAccounts].map((a) => ({
                accountSid: a.accountSid,
                authTokens: [a.authToken],
                region: 'us1' as const,
                apiOrigin: emulator.baseUrl,
              })),
              ...(workerOptions.extraAccounts ?? []),
            ],
          },
          undefined,
          gateFor,
        ),
        media: ownMedia ?? media,
        store: workerOptions.wrapStore ? workerOptions.wrapStore(store) : store,
        settings: { format: 'wav', deleteFromTwilio: true, purgeDelayMs: 0, ...settings },
        concurrency: workerOptions.concurrency ?? 4,
        reconcileEveryMs: workerOptions.reconcileEveryMs ?? 0,
        scrubEveryMs: workerOptions.scrubEveryMs ?? 0,
        scrubSample: workerOptions.scrubSample ?? 0,
        ...(workerOptions.reconcileWindowMs ? { reconcileWindowMs: workerOptions.reconcileWindowMs } : {}),
        globalConcurrency: 16,
        adaptiveConcurrency: windows !== undefined,
        jobsPerSecond: 0,
        retryPolicy: testRetryPolicy,
        notReadyDelayMs: 100,
        rateLimitBaseMs: 50,
        ...(workerOptions.lockDurationMs ? { lockDurationMs: workerOptions.lockDurationMs } : {}),
        ...(workerOptions.retryAfterMaxMs ? { retryAfterMaxMs: workerOptions.retryAfterMaxMs } : {}),
      });
      workers.push({
        ...vault,
        async close(graceMs) {
          await vault.close(graceMs);
          await ownMedia?.close();
          await windows?.close();
        },
      });
      return vault;
    },
    addRecording(input) {
      return emulator.addRecording({ accountSid: account.accountSid, ...input });
    },
    async enqueue(recording, extra = {}) {
      const data: ArchiveJob = {
        accountSid: recording.account_sid,
        recordingSid: recording.sid,
        callSid: recording.call_sid,
        origin: 'callback',
        ...extra,
      };
      await queue.add(QueueName.archive, data, {
        ...jobCatalogue.archive.options(testRetryPolicy),
        jobId: archiveJobId(recording.sid),
      });
    },
    async settle(recordingSid, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const state = await queue.getJobState(archiveJobId(recordingSid));
        if (state === 'completed' || state === 'failed') {
          // Read after the state: a job read before it settled has no result yet.
          const job = await queue.getJob(archiveJobId(recordingSid));
          if (job) return job;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const job = await queue.getJob(archiveJobId(recordingSid));
      throw new Error(
        `job for ${recordingSid} did not settle: ${await job?.getState()} ${job?.failedReason ?? ''}`,
      );
    },
    async close() {
      await Promise.all(workers.map((vault) => vault.close(1_000)));
      await queue.close();
      await media.close();
      await cleanup().catch(() => {});
      for (const connection of connections) connection.disconnect();
      await emulator.close();
      await front?.close();
      await s3?.close();
      await rgw?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Where the worker stores a recording, by the same rule it uses. */
export function keyOf(recording: RecordingResource, format: 'wav' | 'mp3' = 'wav'): string {
  const day = new Date(recording.start_time);
  const date = `${day.getUTCFullYear()}/${String(day.getUTCMonth() + 1).padStart(2, '0')}/${String(day.getUTCDate()).padStart(2, '0')}`;
  return `${recording.account_sid}/${date}/${recording.call_sid}/${recording.sid}.${format}`;
}

export async function readJson(store: ObjectStore, key: string): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(sidecarKey(key))) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The rule, checked from the outside: every DELETE the emulator answered 204 came after a stored copy
 * whose bytes equal what the emulator serves for that recording.
 */
export async function assertEveryDeleteWasSafe(
  rig: ArchiveRig,
  format: 'wav' | 'mp3' = 'wav',
): Promise<number> {
  const deletes = rig.emulator.requests.filter((r) => r.route === 'delete' && r.status === 204);
  for (const request of deletes) {
    const sid = request.recordingSid as string;
    const recording = rig.emulator.recording(sid) as RecordingResource;
    const expected = await rig.emulator.expectedMedia(sid, {
      format,
      channels: recording.channels === 2 ? 2 : 1,
    });
    const stored = await rig.store.hash(keyOf(recording, format));
    if (stored.bytes !== expected.bytes || stored.sha256 !== expected.sha256) {
      throw new Error(`recording ${sid} was deleted at Twilio without a matching copy in storage`);
    }
  }
  return deletes.length;
}

/** Every request the emulator saw about one recording, in arrival order. */
export function requestsFor(rig: ArchiveRig, sid: string): RequestLogEntry[] {
  return rig.emulator.requests.filter((entry) => entry.recordingSid === sid);
}

/** The folder store writes into hidden `.tmp` files beside the key and renames them when complete. */
export async function folderTempFiles(store: ObjectStore): Promise<string[]> {
  const files = await readdir(fileURLToPath(store.location), { recursive: true });
  return files.filter((file) => file.endsWith('.tmp'));
}

export function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

/** Waits until `condition` holds (checked every 20 ms), failing with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  try {
    await vi.waitUntil(condition, { timeout: timeoutMs, interval: 20 });
  } catch {
    throw new Error(`timed out waiting for ${what}`);
  }
}
