import { type ChildProcess, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { archiveJobEntry, archiveJobId, QueueName } from '@recording-vault/contract';
import {
  type EmulatorAccount,
  freePort,
  startAppProcess,
  startRedisServer,
  startRgwServer,
  startS3Server,
  startTwilioEmulator,
  testQueuePrefix,
  WAV_BYTES_PER_SECOND_PER_CHANNEL,
} from '@recording-vault/testkit';
import { Queue } from 'bullmq';
import { Client } from 'minio';
import { machineLine, median, writeSection } from './report.ts';

/**
 * Archiving throughput and memory, all against one Twilio emulator in this process and one S3 server (s3rver
 * in this process, or with BENCH_S3=rgw Ceph RGW in its own), each archiver in its own child process:
 * (a) rounds of ~1 MiB recordings through the Recording Vault worker (one process, default concurrency),
 *     a peer script as users write one today (bench/archive-peer.ts) and a raw copy as the ceiling
 *     (bench/archive-raw.ts), in an order rotated each round, each on its own fresh recordings and bucket;
 * (b) the peak RSS of one worker archiving one 512 MiB recording, with the same figure for the peer and
 *     the raw copy beside it.
 * BENCH_ROUNDS, BENCH_RECORDINGS and BENCH_BIG_MIB shrink a run; BENCH_PROFILE_DIR adds --cpu-prof to
 * the children (profiles land there); BENCH_WORKER_ENV (a JSON object) adds to the worker's environment,
 * e.g. '{"WORKER_CONCURRENCY":"16","NODE_OPTIONS":"--max-semi-space-size=2"}', to try a change.
 */
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const perRound = Number(process.env.BENCH_RECORDINGS ?? 500);
const bigMiB = Number(process.env.BENCH_BIG_MIB ?? 512);
const profileDir = process.env.BENCH_PROFILE_DIR;
const workerEnvExtra = JSON.parse(process.env.BENCH_WORKER_ENV ?? '{}') as Record<string, string>;
/** `s3rver` (the test double, default) or `rgw` (Ceph RGW, a real S3 server, in its own processes). */
const s3Server = process.env.BENCH_S3 === 'rgw' ? 'rgw' : 's3rver';
/** RGW keeps objects in memory: room for the large recordings of the three archivers. */
const rgwMemoryBytes = 6 * 2 ** 30;
const MiB = 2 ** 20;
/** 44 + 65 × 16,000 bytes of mono WAV: 1,040,044 bytes, just under 1 MiB. */
const smallSeconds = 65;
const bigSeconds = Math.ceil((bigMiB * MiB) / WAV_BYTES_PER_SECOND_PER_CHANNEL);
const warmUp = Math.min(20, perRound);
const runTimeoutMs = 5 * 60_000;

const root = fileURLToPath(new URL('..', import.meta.url));
const children = new Set<ChildProcess>();
const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
/** Stops every child and removes every server and folder this run made; safe to call twice. */
const cleanUp = () =>
  (cleaning ??= (async () => {
    await Promise.all([...children].map(stopChild));
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

type Archiver = 'vault' | 'peer' | 'raw';
/** What bench/archive-peer.ts and bench/archive-raw.ts print, timed from their first request. */
interface ScriptResult {
  recordings: number;
  bytes: number;
  ms: number;
  /** CPU time from the first request on, and since the process started. */
  cpuMs: number;
  cpuTotalMs: number;
}
interface Run {
  archiver: Archiver;
  recordings: number;
  bytes: number;
  ms: number;
  /** Requests per recording seen by the emulator and by the S3 server, by operation. */
  requests: Record<string, number>;
  /** CPU time in ms over the measured span: the archiver's process, this one (emulator + S3), Redis. */
  cpu: Cpu;
  /** Peak RSS in bytes, where sampled. */
  peakRss?: number;
  /** The worker's RSS once started, before its first job. */
  idleRss?: number;
  /** Bytes read back from storage to prove copies (the worker's own count; the scripts read nothing back). */
  readBack: number;
  /** The large recording's stored copy, read back from S3 by this process. */
  copy?: { sha256: string; matches: boolean; deleted: boolean };
}
interface Cpu {
  archiver: number;
  servers: number;
  redis: number;
  /** Busy CPU time of the whole machine minus the three above: other engineers' work, the kernel. */
  others: number;
}

function node(script: string, env: Record<string, string>, stdout: 'pipe' | number, stdin = false) {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const { child } = startAppProcess(script, [], env, {
    cwd: root,
    nodeOptions: profile,
    stdin: stdin ? 'pipe' : 'ignore',
    output: stdout === 'pipe' ? 'capture' : stdout,
    // A worker's log (a file descriptor) takes its stderr too, so a failed start shows why.
    stderr: stdout === 'pipe' ? 'inherit' : stdout,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Runs a script to its end and parses the JSON line it prints. */
async function runScript<T>(script: string, env: Record<string, string>, input?: string) {
  const child = node(script, env, 'pipe', input !== undefined);
  if (input !== undefined) child.stdin?.end(input);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  const rss = sampleRss(child.pid as number);
  const [code] = (await once(child, 'exit')) as [number | null];
  const peakRss = rss.stop();
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  return { result: JSON.parse(out) as T, peakRss };
}

/** Samples VmRSS and VmHWM every 100 ms; `stop()` gives the highest value seen, in bytes. */
function sampleRss(pid: number) {
  let peak = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    for (const field of ['VmRSS', 'VmHWM']) {
      const kib = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kib * 1024);
    }
  };
  void sample();
  const timer = setInterval(sample, 100);
  return {
    sample,
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

async function readStatus(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
}

/** User + system CPU time of a process so far, in ms (from /proc, in clock ticks of 10 ms). */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const ownCpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** Busy CPU time of the whole machine so far, in ms (/proc/stat, clock ticks of 10 ms). */
async function machineBusyMs(): Promise<number> {
  const [, ...ticks] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]?.trim().split(/\s+/) ?? [];
  const [user = 0, nice = 0, system = 0, _idle, _iowait, irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** Redis's own account of its CPU time, in ms. */
async function redisCpuMs(port: number): Promise<number> {
  const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(port), 'INFO', 'cpu']);
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(stdout)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}

function tally(names: readonly string[], recordings: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  for (const name of Object.keys(counts)) counts[name] = (counts[name] as number) / recordings;
  return counts;
}

try {
  const temp = await mkdtemp(join(tmpdir(), 'rv-bench-archive-'));
  cleanups.push(() => rm(temp, { recursive: true, force: true }));
  const loadBefore = loadavg();
  const redis = await startRedisServer({ appendOnly: true, appendFsync: 'everysec' });
  cleanups.push(() => redis.close());
  // The S3 test double answers in this process; Ceph RGW runs in its own (its CPU counts as other processes').
  const s3 =
    s3Server === 'rgw'
      ? { ...(await startRgwServer({ memoryBytes: rgwMemoryBytes })), operations: undefined }
      : await startS3Server();
  cleanups.push(() => s3.close());
  const emulator = await startTwilioEmulator();
  cleanups.push(() => emulator.close());
  const endpoint = new URL(s3.endpoint);
  const s3Client = new Client({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: false,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    pathStyle: true,
  });
  const s3Env = (bucket: string) => ({
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_REGION: s3.region,
    S3_BUCKET: bucket,
  });
  const twilioEnv = (account: EmulatorAccount) => ({
    TWILIO_ACCOUNT_SID: account.accountSid,
    TWILIO_AUTH_TOKEN: account.authToken,
    TWILIO_API_BASE_URL: emulator.baseUrl,
  });
  let workerLogs = 0;

  /** CPU used from now on by this process, Redis and the rest of the machine; the archiver's is given at the end. */
  const cpuMeter = async () => {
    const start = {
      servers: ownCpuMs(),
      redis: await redisCpuMs(redis.port),
      machine: await machineBusyMs(),
    };
    /** `archiverAll`: the archiver's CPU over the whole span, start-up included, when that differs. */
    return async (archiver: number, archiverAll = archiver): Promise<Cpu> => {
      const servers = ownCpuMs() - start.servers;
      const redisMs = (await redisCpuMs(redis.port)) - start.redis;
      const machine = (await machineBusyMs()) - start.machine;
      const others = Math.max(0, machine - archiverAll - servers - redisMs);
      return { archiver, servers, redis: redisMs, others };
    };
  };

  /** A fresh account holding `count` new completed recordings, so no run sees another's. */
  const seed = (count: number, duration: number) => {
    const account = emulator.addAccount();
    const recordings = Array.from({ length: count }, () =>
      emulator.addRecording({ accountSid: account.accountSid, duration, channels: 1 }),
    );
    return { account, recordings };
  };

  const startWorker = async (account: EmulatorAccount, bucket: string, prefix: string) => {
    const port = await freePort();
    const logFile = join(temp, `worker-${++workerLogs}.log`);
    const log = await open(logFile, 'w');
    const child = node(
      'apps/worker/src/main.ts',
      {
        // The worker's production setting (compose, pnpm start:worker): small young-generation semi-spaces,
        // as its large allocations are buffers outside the heap.
        NODE_OPTIONS: '--max-semi-space-size=2',
        REDIS_URL: redis.url,
        QUEUE_PREFIX: prefix,
        ...twilioEnv(account),
        ...s3Env(bucket),
        WORKER_METRICS_PORT: String(port),
        WORKER_METRICS_HOST: '127.0.0.1',
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
        // The reconciliation would list the seeded recordings at start-up and enqueue them itself.
        RECONCILE_EVERY: '0',
        ...workerEnvExtra,
      },
      log.fd,
    );
    child.once('exit', () => void log.close());
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) break;
      const answer = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (answer?.ok) return { child, metricsPort: port };
      await sleep(50);
    }
    throw new Error(`the worker did not start:\n${(await readFile(logFile, 'utf8')).slice(-2000)}`);
  };

  const measureRequests = () => {
    emulator.resetLog();
    if (s3.operations) s3.clearOperations();
    return (recordings: number) =>
      tally(
        [
          ...emulator.requests.map((entry) => `Twilio ${entry.route}`),
          ...(s3.operations ?? []).map((operation) => `S3 ${operation.name}`),
        ],
        recordings,
      );
  };

  /** Waits until the emulator shows every recording deleted, failing early on a failed job. */
  const waitDeleted = async (sids: string[], queue: Queue, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let remaining = sids;
    for (let tick = 0; ; tick++) {
      remaining = remaining.filter((sid) => !emulator.isDeleted(sid));
      if (remaining.length === 0) return;
      if (tick % 50 === 49) {
        const [failed] = await queue.getFailed(0, 0);
        if (failed) throw new Error(`archive job ${failed.id} failed: ${failed.failedReason}`);
      }
      if (Date.now() > deadline) throw new Error(`${remaining.length} recordings not deleted in time`);
      await sleep(20);
    }
  };

  /** Empties and removes a run's bucket, so that no run finds another's objects (or RGW's memory full). */
  const bucketFolder = async (bucket: string) => {
    if (s3.operations) return await rm(join(s3.dir, bucket), { recursive: true, force: true });
    const names: string[] = [];
    for await (const item of s3Client.listObjectsV2(bucket, '', true)) names.push(item.name as string);
    for (let at = 0; at < names.length; at += 1000) {
      await s3Client.removeObjects(bucket, names.slice(at, at + 1000));
    }
    await s3Client.removeBucket(bucket);
  };

  const runVault = async (label: string, count: number, duration: number, rss = false): Promise<Run> => {
    const { account, recordings } = seed(count, duration);
    const bucket = `${label}-vault`;
    const { prefix, cleanup } = testQueuePrefix(redis.url);
    const { child: worker, metricsPort } = await startWorker(account, bucket, prefix);
    const queue = new Queue(QueueName.archive, {
      connection: { host: '127.0.0.1', port: redis.port },
      prefix,
    });
    try {
      const pid = worker.pid as number;
      const idleRss = rss ? await readStatus(pid, 'VmRSS') : undefined;
      const sampler = rss ? sampleRss(pid) : undefined;
      const requests = measureRequests();
      const workerCpuAtStart = await cpuMsOf(pid);
      const cpu = await cpuMeter();
      const started = performance.now();
      await queue.addBulk(
        recordings.map((recording) =>
          archiveJobEntry({
            accountSid: account.accountSid,
            recordingSid: recording.sid,
            callSid: recording.call_sid,
            origin: 'backfill',
          }),
        ),
      );
      await waitDeleted(
        recordings.map((recording) => recording.sid),
        queue,
        runTimeoutMs,
      );
      const ms = performance.now() - started;
      const run: Run = {
        archiver: 'vault',
        recordings: count,
        bytes: recordings.reduce((sum, recording) => sum + emulator.mediaSize(recording.sid), 0),
        ms,
        requests: requests(count),
        cpu: await cpu((await cpuMsOf(pid)) - workerCpuAtStart),
        readBack: await readBackBytes(metricsPort),
        ...(idleRss === undefined ? {} : { idleRss }),
      };
      if (sampler) {
        await sampler.sample();
        run.peakRss = Math.max(sampler.stop(), await readStatus(worker.pid as number, 'VmHWM'));
      }
      // The delete at Twilio comes a moment before BullMQ records the job as completed.
      let counts = await queue.getJobCounts('completed', 'failed');
      for (let i = 0; i < 100 && (counts.completed ?? 0) + (counts.failed ?? 0) < count; i++) {
        await sleep(50);
        counts = await queue.getJobCounts('completed', 'failed');
      }
      if ((counts.completed ?? 0) !== count || (counts.failed ?? 0) !== 0)
        throw new Error(`vault run ${label}: ${JSON.stringify(counts)} of ${count} jobs`);
      if (rss) run.copy = await readBack(queue, recordings[0]?.sid as string, bucket);
      return run;
    } finally {
      await stopChild(worker);
      await queue.close();
      await cleanup();
      await bucketFolder(bucket);
    }
  };

  /** What the worker counted as read back to prove copies, from its /metrics. */
  const readBackBytes = async (port: number): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = /^rv_worker_read_back_bytes_total (\S+)$/m.exec(text)?.[1];
    if (value === undefined) throw new Error('the worker reports no rv_worker_read_back_bytes_total');
    return Number(value);
  };

  /** The stored copy, read back from S3 here, against the emulator's own hash and the worker's. */
  const readBack = async (queue: Queue, sid: string, bucket: string) => {
    const job = await queue.getJob(archiveJobId(sid));
    const result = job?.returnvalue as { key: string; sha256: string };
    const hash = createHash('sha256');
    for await (const chunk of await s3Client.getObject(bucket, result.key)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    const expected = await emulator.expectedMedia(sid);
    return {
      sha256,
      matches: sha256 === expected.sha256 && result.sha256 === expected.sha256,
      deleted: emulator.isDeleted(sid),
    };
  };

  const runPeer = async (label: string, count: number, duration: number): Promise<Run> => {
    const { account, recordings } = seed(count, duration);
    const bucket = `${label}-peer`;
    await s3Client.makeBucket(bucket, s3.region);
    try {
      const requests = measureRequests();
      const cpu = await cpuMeter();
      const { result, peakRss } = await runScript<ScriptResult>('bench/archive-peer.ts', {
        ...twilioEnv(account),
        ...s3Env(bucket),
      });
      const undeleted = recordings.filter((recording) => !emulator.isDeleted(recording.sid)).length;
      if (result.recordings !== count || undeleted > 0)
        throw new Error(
          `peer run ${label}: listed ${result.recordings} of ${count}, ${undeleted} not deleted`,
        );
      const { cpuMs, cpuTotalMs, ...figures } = result;
      const cpuUsed = await cpu(cpuMs, cpuTotalMs);
      return { archiver: 'peer', ...figures, cpu: cpuUsed, requests: requests(count), peakRss, readBack: 0 };
    } finally {
      await bucketFolder(bucket);
    }
  };

  const runRaw = async (label: string, count: number, duration: number): Promise<Run> => {
    const { account, recordings } = seed(count, duration);
    const bucket = `${label}-raw`;
    await s3Client.makeBucket(bucket, s3.region);
    try {
      const requests = measureRequests();
      const cpu = await cpuMeter();
      const { result, peakRss } = await runScript<ScriptResult>(
        'bench/archive-raw.ts',
        { ...twilioEnv(account), ...s3Env(bucket) },
        JSON.stringify(recordings.map((recording) => recording.sid)),
      );
      const expected = recordings.reduce((sum, recording) => sum + emulator.mediaSize(recording.sid), 0);
      if (result.bytes !== expected)
        throw new Error(`raw run ${label}: ${result.bytes} of ${expected} bytes`);
      const { cpuMs, cpuTotalMs, ...figures } = result;
      const cpuUsed = await cpu(cpuMs, cpuTotalMs);
      return { archiver: 'raw', ...figures, cpu: cpuUsed, requests: requests(count), peakRss, readBack: 0 };
    } finally {
      await bucketFolder(bucket);
    }
  };

  const runners = { vault: runVault, peer: runPeer, raw: runRaw };
  const order: Archiver[] = ['vault', 'peer', 'raw'];

  // (a) One short unmeasured run each warms the emulator and the S3 server in this process.
  for (const archiver of order) await runners[archiver]('warm', warmUp, smallSeconds);
  const runs: Run[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < order.length; i++) {
      const archiver = order[(round + i) % order.length] as Archiver;
      const run = await runners[archiver](`r${round + 1}`, perRound, smallSeconds);
      runs.push(run);
      console.error(
        `round ${round + 1} ${archiver}: ${(run.ms / 1000).toFixed(2)} s, ${((run.recordings * 1000) / run.ms).toFixed(1)} recordings/s, other processes ${(run.cpu.others / run.ms).toFixed(2)} cores`,
      );
    }
  }

  // (b) One large recording each; the worker's figure is the one with a target.
  const big: Record<Archiver, Run> = {
    vault: await runVault('big', 1, bigSeconds, true),
    peer: await runPeer('big', 1, bigSeconds),
    raw: await runRaw('big', 1, bigSeconds),
  };
  const loadAfter = loadavg();

  const of = (archiver: Archiver) => runs.filter((run) => run.archiver === archiver);
  const rate = (archiver: Archiver) => median(of(archiver).map((run) => (run.recordings * 1000) / run.ms));
  const mibRate = (archiver: Archiver) =>
    median(of(archiver).map((run) => (run.bytes / MiB) * (1000 / run.ms)));
  const seconds = (archiver: Archiver) =>
    of(archiver)
      .map((run) => (run.ms / 1000).toFixed(1))
      .join(', ');
  const requestsOf = (run: Run | undefined) =>
    (['Twilio', 'S3'] as const)
      .map((service) => {
        const calls = Object.entries(run?.requests ?? {})
          .filter(([name]) => name.startsWith(`${service} `))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, perRecording]) => `${+perRecording.toFixed(3)} ${name.slice(service.length + 1)}`);
        return calls.length ? `${service}: ${calls.join(', ')}` : '';
      })
      .filter(Boolean)
      .join('; ');
  const cpuPer = (archiver: Archiver) =>
    (['archiver', 'servers', 'redis'] as const)
      .map((side) => median(of(archiver).map((run) => run.cpu[side] / run.recordings)).toFixed(1))
      .join(' / ');
  const totalCpu = (archiver: Archiver) =>
    median(of(archiver).map((run) => (run.cpu.archiver + run.cpu.servers + run.cpu.redis) / run.recordings));
  const readBackRatio = (archiverRuns: readonly Run[]) =>
    archiverRuns.reduce((sum, run) => sum + run.readBack, 0) /
    archiverRuns.reduce((sum, run) => sum + run.bytes, 0);
  const mib = (bytes: number | undefined) => ((bytes ?? 0) / MiB).toFixed(0);
  const recordingBytes = 44 + smallSeconds * WAV_BYTES_PER_SECOND_PER_CHANNEL;
  const bigBytes = big.vault.bytes;
  const archivers: { archiver: Archiver; name: string; does: string }[] = [
    {
      archiver: 'vault',
      name: `Recording Vault worker, 1 process, concurrency ${workerEnvExtra.WORKER_CONCURRENCY ?? 8}`,
      does: `look up, stream into S3 while hashing, sidecar, prove the copy (${workerEnvExtra.VERIFY_MODE ?? 'auto'}: ETag by HEAD, or read back), then delete at Twilio`,
    },
    {
      archiver: 'peer',
      name: 'peer: plain script (twilio SDK, fetch, minio), 10 at a time',
      does: 'list, download whole into memory, `putObject` the buffer, delete at Twilio; no verification',
    },
    {
      archiver: 'raw',
      name: 'raw copy (ceiling), 10 at a time',
      does: 'media piped into `putObject` with its size; no lookup, sidecar, verification or delete',
    },
  ];

  const overrides = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${/^[\w.-]*$/.test(value ?? '') ? value : `'${value}'`} `)
    .join('');
  const markdown = `
## Archive${s3Server === 'rgw' ? ' on Ceph RGW' : ''}: recordings archived per second, and memory for one large recording

Command: \`${overrides}pnpm bench:archive\` (${rounds} rounds of ${perRound} recordings of ${smallSeconds} s mono WAV, ${recordingBytes.toLocaleString('en')} bytes each, per archiver; order rotated each round; median shown)
Machine: ${machineLine()}
Load average (1/5/15 min) at the start: ${loadBefore.map((load) => load.toFixed(2)).join(' / ')}; at the end: ${loadAfter.map((load) => load.toFixed(2)).join(' / ')}
Same Twilio emulator and ${s3Server === 'rgw' ? "Ceph RGW (a real S3 server, in its own processes: its CPU counts as other processes', and S3 requests are not counted)" : "s3rver, in the benchmark's process,"} for all; the emulator in the benchmark's process; each archiver in its own process; fresh recordings and a fresh bucket per run; Redis with AOF (everysec).

| archiver | per recording | recordings/s | MiB/s | seconds per round | Recording Vault ÷ this | bytes read back per byte stored | CPU ms per recording: archiver / emulator + S3 / Redis | requests per recording |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${archivers
  .map(
    ({ archiver, name, does }) =>
      `| ${name} | ${does} | ${rate(archiver).toFixed(1)} | ${mibRate(archiver).toFixed(1)} | ${seconds(archiver)} | ${(rate('vault') / rate(archiver)).toFixed(2)} | ${readBackRatio(of(archiver)).toFixed(3)} | ${cpuPer(archiver)} | ${requestsOf(of(archiver)[0])} |`,
  )
  .join('\n')}

CPU used meanwhile by other processes on the machine, in cores, per round: ${archivers
    .map(
      ({ archiver }) =>
        `${archiver} ${of(archiver)
          .map((run) => (run.cpu.others / run.ms).toFixed(2))
          .join(', ')}`,
    )
    .join('; ')}.

All CPU per recording (archiver + emulator + S3 + Redis, median): ${archivers.map(({ archiver }) => `${archiver} ${totalCpu(archiver).toFixed(1)} ms`).join(', ')}; so, if the ${cpus().length} cores did nothing else, at most ${archivers.map(({ archiver }) => `${archiver} ${((1000 * cpus().length) / totalCpu(archiver)).toFixed(0)}`).join(', ')} recordings/s.

Recording Vault ÷ peer: **${(rate('vault') / rate('peer')).toFixed(2)}** (target ≥ 1.0: ${rate('vault') >= rate('peer') ? 'met' : '**not met**'}). Recording Vault ÷ raw copy: **${(rate('vault') / rate('raw')).toFixed(2)}** (target ≥ 0.85: ${rate('vault') >= 0.85 * rate('raw') ? 'met' : '**not met**'}). Bytes the worker read back from storage per byte stored: **${readBackRatio(of('vault')).toFixed(3)}** (target ≤ 0.05 in digest mode: ${readBackRatio(of('vault')) <= 0.05 ? 'met' : '**not met**'}); every copy was proved before its delete.

One recording of ${bigSeconds.toLocaleString('en')} s mono WAV (${bigBytes.toLocaleString('en')} bytes, ${(bigBytes / MiB).toFixed(1)} MiB), each archiver in a fresh process:

| archiver | peak RSS | time | MiB/s | Recording Vault's peak RSS ÷ this | other processes meanwhile |
| --- | ---: | ---: | ---: | ---: | ---: |
${archivers
  .map(
    ({ archiver, name }) =>
      `| ${name} | ${mib(big[archiver].peakRss)} MiB | ${(big[archiver].ms / 1000).toFixed(1)} s | ${(bigBytes / MiB / (big[archiver].ms / 1000)).toFixed(1)} | ${((big.vault.peakRss ?? 0) / (big[archiver].peakRss ?? 1)).toFixed(2)} | ${(big[archiver].cpu.others / big[archiver].ms).toFixed(2)} cores |`,
  )
  .join('\n')}

Worker peak RSS (VmHWM of the whole process, start-up included): **${mib(big.vault.peakRss)} MiB** (target < 256 MiB: ${(big.vault.peakRss ?? Infinity) < 256 * MiB ? 'met' : '**not met**'}); its RSS once started, before the job: ${mib(big.vault.idleRss)} MiB. The stored copy, read back from S3 here, has SHA-256 \`${big.vault.copy?.sha256}\`: ${big.vault.copy?.matches ? 'equal to' : '**not** equal to'} the emulator's (and the worker's); deleted at the emulator: ${big.vault.copy?.deleted ? 'yes' : '**no**'}. Peer and raw-copy peaks are VmRSS/VmHWM sampled every 100 ms. Requests, Recording Vault: ${requestsOf(big.vault)}.
`;
  await writeSection(s3Server === 'rgw' ? 'archive-rgw' : 'archive', markdown);
  process.stdout.write(markdown);
} finally {
  await cleanUp();
}
