import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createStore, type ObjectStore, type StoreConfig, sidecarKey } from '@recording-vault/storage';
import {
  type AppProcess,
  freePort,
  makeSid,
  startAppProcess,
  startRedisServer,
} from '@recording-vault/testkit';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createArchiveIndex } from '../packages/archive-index/src/index.ts';
import {
  type ArchivedRecording,
  archiveRecording,
} from '../packages/archive-index/src/testing/archived-fixtures.ts';
import { populateArchive } from './read-population.ts';
import { machineLine, median, writeSection } from './report.ts';

/**
 * Reading archived recordings back through the recordings API (apps/recordings-api/src/main.ts, in its own
 * process, over a private Redis with AOF):
 * (a) media: whole recordings fetched many times at once with Twilio basic auth, against a plain streaming
 *     proxy of the same store (bench/read-proxy.ts: the object by its key, no auth, index or checks), in
 *     alternating rounds; from the folder store, then from the S3 test double (bench/read-s3.ts);
 * (b) latency at BENCH_RECORDINGS archived recordings in the folder store (sidecars written, entries
 *     indexed; bench/read-population.ts): a recording by its SID (`.json`), a page of a day's recordings and
 *     a call's recordings, by a few clients at once.
 *
 * BENCH_RECORDINGS (default 100000), BENCH_RECORDINGS_PER_CALL (2), BENCH_DAYS (30), BENCH_LOOKUPS
 * (requests per kind, 2000), BENCH_LATENCY_CLIENTS (4), BENCH_MEDIA_RECORDINGS (64), BENCH_MEDIA_SECONDS
 * (60: mono WAV, 0.92 MiB), BENCH_CONNECTIONS (16), BENCH_SECONDS (10 per run), BENCH_ROUNDS (3),
 * BENCH_S3 (1; 0 skips the S3 part).
 */
const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const recordings = setting('BENCH_RECORDINGS', 100_000);
const perCall = setting('BENCH_RECORDINGS_PER_CALL', 2);
const days = setting('BENCH_DAYS', 30);
const lookups = setting('BENCH_LOOKUPS', 2_000);
const latencyClients = setting('BENCH_LATENCY_CLIENTS', 4);
const mediaRecordings = setting('BENCH_MEDIA_RECORDINGS', 64);
const mediaSeconds = setting('BENCH_MEDIA_SECONDS', 60);
const connections = setting('BENCH_CONNECTIONS', 16);
const runSeconds = setting('BENCH_SECONDS', 10);
const rounds = setting('BENCH_ROUNDS', 3);
const withS3 = process.env.BENCH_S3 !== '0';
const pageSize = 50;
const from = new Date('2025-04-01T00:00:00Z');
const MiB = 2 ** 20;
const targets = { media: 0.8, lookupMs: 20, listMs: 50 };

const root = fileURLToPath(new URL('..', import.meta.url));
const apiMain = 'apps/recordings-api/src/main.ts';
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

const log = (line: string) => process.stdout.write(`${line}\n`);

function startChild(script: string, env: Record<string, string>, output: 'capture' | 'ignore'): AppProcess {
  const app = startAppProcess(script, [], env, { cwd: root, output, stderr: 'capture' });
  children.add(app.child);
  app.child.once('exit', () => children.delete(app.child));
  return app;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Waits until `url` answers 200, or fails with what the child wrote when it exits first. */
async function answering(app: AppProcess, url: string, headers: Record<string, string> = {}): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    if (app.child.exitCode !== null)
      throw new Error(`${url}: the server exited:\n${app.stderr().slice(-2000)}`);
    const answer = await fetch(url, { headers }).catch(() => undefined);
    await answer?.arrayBuffer();
    if (answer?.status === 200) return;
    await sleep(50);
  }
  throw new Error(`${url} did not answer 200 within 30 s:\n${app.stderr().slice(-2000)}`);
}

/** User + system CPU time a process has used, in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(child: ChildProcess): number {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function sha256Of(response: Response): Promise<string> {
  return createHash('sha256')
    .update(Buffer.from(await response.arrayBuffer()))
    .digest('hex');
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface MediaRun {
  mibPerSecond: number;
  requestsPerSecond: number;
  /** CPU time per request, in ms: of the serving process, and of the S3 double's when it is the store. */
  cpuMsPerRequest: number;
  storageCpuMsPerRequest: number | undefined;
}

/** Whole recordings, `connections` requests at a time for `seconds`, each a random one of them. */
async function mediaLoad(
  server: { origin: string; child: ChildProcess; path: (media: ArchivedRecording) => string },
  media: readonly ArchivedRecording[],
  headers: Record<string, string>,
  seconds: number,
  storage: ChildProcess | undefined,
): Promise<MediaRun> {
  const cpuBefore = cpuMs(server.child);
  const storageCpuBefore = storage ? cpuMs(storage) : 0;
  const result = await autocannon({
    url: server.origin,
    connections,
    duration: seconds,
    headers,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          path: server.path(media[randomInt(media.length)] as ArchivedRecording),
        }),
      },
    ],
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) throw new Error(`${server.origin}: ${failed} of ${result.requests.total} requests failed`);
  const bodyBytes = (media[0] as ArchivedRecording).body.length;
  return {
    mibPerSecond: (result['2xx'] * bodyBytes) / MiB / result.duration,
    requestsPerSecond: result['2xx'] / result.duration,
    cpuMsPerRequest: (cpuMs(server.child) - cpuBefore) / Math.max(result['2xx'], 1),
    storageCpuMsPerRequest: storage
      ? (cpuMs(storage) - storageCpuBefore) / Math.max(result['2xx'], 1)
      : undefined,
  };
}

/** `count` requests by `clients` clients one after the other; the time of each, in ms, sorted. */
async function latencies(count: number, clients: number, request: () => Promise<() => void>) {
  const times: number[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (started < count) {
        started++;
        const t = performance.now();
        const check = await request();
        times.push(performance.now() - t);
        check();
      }
    }),
  );
  return times.sort((a, b) => a - b);
}

const percentile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}
const percentiles = (sorted: readonly number[]): Percentiles => ({
  p50: percentile(sorted, 0.5),
  p99: percentile(sorted, 0.99),
  max: sorted.at(-1) as number,
});

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
}

interface Row {
  storage: string;
  api: MediaRun;
  proxy: MediaRun;
  /** The median of each round's API ÷ proxy, the two measured back to back. */
  ratio: number;
}

try {
  const loadBefore = loadavg();
  const started = performance.now();
  const temp = await mkdtemp(join(tmpdir(), 'rv-bench-read-'));
  cleanups.push(() => rm(temp, { recursive: true, force: true }));
  const redis = await startRedisServer({ appendOnly: true, appendFsync: 'everysec' });
  cleanups.push(() => redis.close());
  const connection = new Redis(redis.url);
  cleanups.push(async () => connection.disconnect());
  const prefix = `bench-read-${randomBytes(4).toString('hex')}`;
  const index = createArchiveIndex({ redis: connection, prefix });
  const folderConfig: StoreConfig = { driver: 'folder', dir: join(temp, 'recordings') };
  const folder = createStore(folderConfig);
  await folder.ensureBucket();

  const accountSid = makeSid('AC');
  const authToken = randomBytes(16).toString('hex');
  const auth = { authorization: basic(accountSid, authToken) };
  const recordingsPath = `/2010-04-01/Accounts/${accountSid}/Recordings`;

  // The archive: BENCH_RECORDINGS sidecars and entries, then the recordings whose media is served.
  const memoryBefore = await usedMemory(connection);
  const populateStarted = performance.now();
  const population = await populateArchive(
    { store: folder, index },
    {
      accountSid,
      recordings,
      perCall,
      from,
      days,
      concurrency: 64,
      onProgress: (done) => log(`archived ${done} of ${recordings} (sidecar + index entry)`),
    },
  );
  const populateSeconds = (performance.now() - populateStarted) / 1000;
  const indexBytesPerRecording = ((await usedMemory(connection)) - memoryBefore) / recordings;
  log(
    `${recordings} recordings in ${populateSeconds.toFixed(0)} s; index: ${indexBytesPerRecording.toFixed(0)} bytes of Redis memory each`,
  );
  const media: ArchivedRecording[] = [];
  for (let i = 0; i < mediaRecordings; i++) {
    const dateCreated = new Date(from.getTime() + randomInt(days * 86_400) * 1000);
    media.push(
      await archiveRecording(folder, { accountSid, dateCreated, durationSeconds: mediaSeconds }, index),
    );
  }
  const mediaBytes = (media[0] as ArchivedRecording).body.length;

  const startApi = async (storageEnv: Record<string, string>) => {
    const port = await freePort();
    const app = startChild(
      apiMain,
      {
        LOG_LEVEL: 'info',
        REDIS_URL: redis.url,
        QUEUE_PREFIX: prefix,
        TWILIO_ACCOUNT_SID: accountSid,
        TWILIO_AUTH_TOKEN: authToken,
        RECORDINGS_API_HOST: '127.0.0.1',
        RECORDINGS_API_PORT: String(port),
        RECORDINGS_LINK_SECRET: randomBytes(32).toString('base64url'),
        ...storageEnv,
      },
      // Its access log (a line per request, as in production) goes to /dev/null.
      'ignore',
    );
    const origin = `http://127.0.0.1:${port}`;
    await answering(app, `${origin}/healthz`);
    return {
      origin,
      child: app.child,
      path: (recording: ArchivedRecording) => `${recordingsPath}/${recording.entry.recordingSid}.wav`,
    };
  };
  const startProxy = async (config: StoreConfig) => {
    const port = await freePort();
    const app = startChild(
      'bench/read-proxy.ts',
      { PORT: String(port), BENCH_STORE: JSON.stringify(config) },
      'ignore',
    );
    const origin = `http://127.0.0.1:${port}`;
    await answering(app, `${origin}/${(media[0] as ArchivedRecording).entry.key}`);
    return { origin, child: app.child, path: (recording: ArchivedRecording) => `/${recording.entry.key}` };
  };

  /** Both serve the same bytes, then alternate rounds (the order turned each round), median of each. */
  const compareMedia = async (
    storage: string,
    config: StoreConfig,
    storageEnv: Record<string, string>,
    storageChild?: ChildProcess,
  ): Promise<Row> => {
    const api = await startApi(storageEnv);
    const proxy = await startProxy(config);
    const probe = media[0] as ArchivedRecording;
    for (const [server, headers] of [
      [api, auth],
      [proxy, {}],
    ] as const) {
      const answer = await fetch(server.origin + server.path(probe), { headers });
      if (answer.status !== 200 || (await sha256Of(answer)) !== probe.entry.sha256)
        throw new Error(`${server.origin} did not serve ${probe.entry.recordingSid}'s bytes`);
    }
    await mediaLoad(api, media, auth, 2, storageChild);
    await mediaLoad(proxy, media, {}, 2, storageChild);
    const runs = { api: [] as MediaRun[], proxy: [] as MediaRun[] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['api', 'proxy'] as const) : (['proxy', 'api'] as const);
      for (const which of order) {
        const run = await mediaLoad(
          which === 'api' ? api : proxy,
          media,
          which === 'api' ? auth : {},
          runSeconds,
          storageChild,
        );
        runs[which].push(run);
        log(
          `${storage}, ${which}: ${run.mibPerSecond.toFixed(1)} MiB/s, ${run.requestsPerSecond.toFixed(0)} requests/s`,
        );
      }
    }
    await Promise.all([stopChild(api.child), stopChild(proxy.child)]);
    const middle = (list: MediaRun[]): MediaRun => ({
      mibPerSecond: median(list.map((run) => run.mibPerSecond)),
      requestsPerSecond: median(list.map((run) => run.requestsPerSecond)),
      cpuMsPerRequest: median(list.map((run) => run.cpuMsPerRequest)),
      storageCpuMsPerRequest: storageChild
        ? median(list.map((run) => run.storageCpuMsPerRequest ?? 0))
        : undefined,
    });
    const ratio = median(
      runs.api.map((run, round) => run.mibPerSecond / (runs.proxy[round] as MediaRun).mibPerSecond),
    );
    return { storage, api: middle(runs.api), proxy: middle(runs.proxy), ratio };
  };

  // (b) Latency, through the folder store's API.
  const latencyApi = await startApi({ STORAGE_DIR: folderConfig.dir });
  const get = (path: string) => fetch(latencyApi.origin + path, { headers: auth });
  const pick = <T>(list: readonly T[]) => list[randomInt(list.length)] as T;
  const kinds = [
    {
      name: `a recording by its SID: \`GET …/Recordings/{RecordingSid}.json\``,
      target: targets.lookupMs,
      request: async () => {
        const sid = pick(population.recordingSids);
        const answer = await get(`${recordingsPath}/${sid}.json`);
        const body = await answer.text();
        return () => {
          if (answer.status !== 200 || (JSON.parse(body) as { sid?: string }).sid !== sid)
            throw new Error(`${sid}.json answered ${answer.status}: ${body.slice(0, 300)}`);
        };
      },
    },
    {
      name: `a day's newest ${pageSize}: \`GET …/Recordings.json?DateCreated>=D&DateCreated<=D&PageSize=${pageSize}\``,
      target: targets.listMs,
      request: async () => {
        const [day, count] = pick([...population.perDay]);
        const query = new URLSearchParams({
          'DateCreated>': day,
          'DateCreated<': day,
          PageSize: String(pageSize),
        });
        const answer = await get(`${recordingsPath}.json?${query}`);
        const body = await answer.text();
        return () => {
          const listed =
            answer.status === 200 ? (JSON.parse(body) as { recordings: unknown[] }).recordings : [];
          // The media recordings fall on the same days: a page may hold some of them too.
          if (listed.length < Math.min(pageSize, count))
            throw new Error(`the list of ${day} answered ${answer.status}: ${body.slice(0, 300)}`);
        };
      },
    },
    {
      name: "a call's recordings: `GET …/Recordings.json?CallSid=CA…`",
      target: targets.listMs,
      request: async () => {
        const call = pick(population.calls);
        const answer = await get(`${recordingsPath}.json?CallSid=${call.callSid}`);
        const body = await answer.text();
        return () => {
          const listed =
            answer.status === 200 ? (JSON.parse(body) as { recordings: unknown[] }).recordings : [];
          if (listed.length !== call.recordings)
            throw new Error(`the list of ${call.callSid} answered ${answer.status}: ${body.slice(0, 300)}`);
        };
      },
    },
  ];
  // One client: the latency of a request as such. Several: the same requests while others are served.
  const latencyRows: Array<{ name: string; target: number; alone: Percentiles; together: Percentiles }> = [];
  for (const kind of kinds) {
    await latencies(Math.min(200, lookups), latencyClients, kind.request);
    const alone = percentiles(await latencies(lookups, 1, kind.request));
    const together = percentiles(await latencies(lookups, latencyClients, kind.request));
    latencyRows.push({ name: kind.name, target: kind.target, alone, together });
    log(
      `${kind.name}: p50 ${alone.p50.toFixed(1)} ms, p99 ${alone.p99.toFixed(1)} ms alone; p50 ${together.p50.toFixed(1)} ms, p99 ${together.p99.toFixed(1)} ms with ${latencyClients} clients`,
    );
  }
  await stopChild(latencyApi.child);

  // (a) Media: the folder store, then the S3 test double holding the same objects under the same keys.
  const mediaRows: Row[] = [await compareMedia('folder', folderConfig, { STORAGE_DIR: folderConfig.dir })];
  if (withS3) {
    const s3Process = startChild('bench/read-s3.ts', {}, 'capture');
    cleanups.push(() => stopChild(s3Process.child));
    while (!s3Process.stdout().includes('\n')) {
      if (s3Process.child.exitCode !== null) throw new Error(`the S3 double exited:\n${s3Process.stderr()}`);
      await sleep(20);
    }
    const s3 = JSON.parse(s3Process.stdout()) as Record<
      'endpoint' | 'accessKey' | 'secretKey' | 'region',
      string
    >;
    const s3Config: StoreConfig = { driver: 's3', bucket: 'recordings', ...s3 };
    const s3Store: ObjectStore = createStore(s3Config);
    for (const recording of media) {
      await s3Store.put(recording.entry.key, Readable.from([recording.body]), {
        contentType: 'audio/x-wav',
        expectedBytes: recording.body.length,
      });
      await s3Store.putJson(sidecarKey(recording.entry.key), recording.sidecar);
    }
    mediaRows.push(
      await compareMedia(
        'S3 test double (s3rver, own process)',
        s3Config,
        {
          S3_ENDPOINT: s3.endpoint,
          S3_ACCESS_KEY: s3.accessKey,
          S3_SECRET_KEY: s3.secretKey,
          S3_REGION: s3.region,
          S3_BUCKET: 'recordings',
        },
        s3Process.child,
      ),
    );
  }
  const loadAfter = loadavg();
  const minutes = (performance.now() - started) / 60_000;

  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const settings = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value} `)
    .join('');
  const loads = (load: number[]) => load.map((value) => value.toFixed(2)).join(' / ');
  const markdown = `
## Reading archived recordings: \`pnpm bench:read\`

Command: \`${settings}pnpm bench:read\` (${minutes.toFixed(1)} min in all)
Machine: ${machineLine()}
Load average (1/5/15 min) at the start: ${loads(loadBefore)}; at the end: ${loads(loadAfter)}

The recordings API is \`apps/recordings-api/src/main.ts\` in its own process (access log at info, to /dev/null), over a private Redis with AOF everysec; the load generator (autocannon for media, fetch clients for latency) runs in the benchmark's process on the same two cores.

**Media.** ${mediaRecordings} recordings of ${mediaSeconds} s mono WAV (${mediaBytes.toLocaleString('en-US')} bytes each), each request a whole one at random, ${connections} connections, ${rounds} rounds of ${runSeconds} s in alternating order, median shown. The API answers \`GET …/Recordings/{RecordingSid}.wav\` with Twilio basic auth: index lookup, the store's record checked against the index, the bytes streamed with their SHA-256 checked on the way, an access log line. The plain proxy (\`bench/read-proxy.ts\`) streams the object at \`GET /<key>\` from the same store with no auth, index or checks.

| storage | server | MiB/s | requests/s | server CPU per request | S3 double's CPU per request |
| --- | --- | ---: | ---: | ---: | ---: |
${mediaRows
  .flatMap((row) =>
    (
      [
        ['recordings API', row.api],
        ['plain streaming proxy', row.proxy],
      ] as const
    ).map(
      ([server, run]) =>
        `| ${row.storage} | ${server} | ${run.mibPerSecond.toFixed(1)} | ${run.requestsPerSecond.toFixed(0)} | ${ms(run.cpuMsPerRequest)} | ${run.storageCpuMsPerRequest === undefined ? '' : ms(run.storageCpuMsPerRequest)} |`,
    ),
  )
  .join('\n')}

Recordings API ÷ plain proxy, MiB/s, the median of each round's ratio (target ≥ ${targets.media}): ${mediaRows
    .map((row) => `${row.storage} **${row.ratio.toFixed(2)}** (${met(row.ratio >= targets.media)})`)
    .join('; ')}.

**Lookups and listings** at ${recordings.toLocaleString('en-US')} archived recordings of one account in the folder store (${perCall} per call, over ${days} days: about ${Math.round(recordings / days).toLocaleString('en-US')} a day), each recording's sidecar in storage and its entry in the index (written in ${populateSeconds.toFixed(0)} s; the index takes **${indexBytesPerRecording.toFixed(0)} bytes** of Redis memory per recording). ${lookups} requests per kind, each for a random recording, day or call, after a warm-up, timed to the whole answer (each recording in an answer is its sidecar read from storage: one for a lookup, up to 50 for a page, 16 at a time): first by one client, a request at a time (the latency the targets are about), then by ${latencyClients} clients at once (each request also waits its turn on the two cores).

| request | 1 client: p50 | p99 | max | ${latencyClients} clients: p50 | p99 | max | target: p99 with 1 client |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${latencyRows
  .map(
    ({ name, target, alone, together }) =>
      `| ${name} | ${ms(alone.p50)} | ${ms(alone.p99)} | ${ms(alone.max)} | ${ms(together.p50)} | ${ms(together.p99)} | ${ms(together.max)} | < ${target} ms: ${met(alone.p99 < target)} |`,
  )
  .join('\n')}
`;
  await writeSection('read', markdown);
  process.stdout.write(markdown);
} finally {
  await cleanUp();
}
