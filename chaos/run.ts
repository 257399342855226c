import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  seededRandom,
  startRgwServer,
  startS3Server,
  startTwilioEmulator,
  type TwilioEmulator,
} from '@recording-vault/testkit';
import { S3_RECORDS_PREFIX, S3_STAGING_PREFIX } from '../packages/storage/src/index.ts';
import { type AppProcess, appProcess, type UnexpectedExit } from './app-process.ts';
import { type BucketReader, bucketReader } from './bucket-reader.ts';
import { acknowledged, type Delivery, deliverCallbacks } from './callbacks.ts';
import { type Corpus, seedCorpus } from './corpus.ts';
import { busyJobs, type QueueWatch, watchQueues } from './queue-watch.ts';
import { type RedisCrash, redisModeOf, startRedisUnderTest } from './redis-under-test.ts';
import { formatTable, type TableLine } from './report-table.ts';
import { type S3Exchange, startS3Front } from './s3-front.ts';

import { createTeardown } from './teardown.ts';
import { planTraffic } from './traffic.ts';
import { injectChaosFaults } from './twilio-faults.ts';
import { type Row, verify } from './verify.ts';

/**
 * `pnpm test:chaos`: the vault as processes (the ingest API, four workers) against Redis with AOF, the S3
 * test double and the Twilio emulator, under faults, crashes and outages; then a check from the outside that
 * THE RULE held for each of 1,000 recordings. Prints one table on stdout, progress on stderr; exits 0 only
 * when every check holds. CHAOS_SEED replays a run's schedule; CHAOS_KEEP=1 keeps the apps' logs.
 * CHAOS_REDIS=cluster runs it on a Redis Cluster (3 primaries, 3 replicas) whose slot primary is killed
 * and fails over, where the Redis crash would be; CHAOS_S3=rgw on Ceph RGW instead of the S3 test double.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const seed = process.env.CHAOS_SEED ?? randomBytes(4).toString('hex');
const keepLogs = process.env.CHAOS_KEEP === '1';
const random = seededRandom(seed);
const bucket = 'recordings';
const redisMode = redisModeOf(process.env.CHAOS_REDIS);
const s3Kind = s3KindOf(process.env.CHAOS_S3);
const workerCount = 4;
/** Recordings complete, and their callbacks are sent, over this span from the start of the chaos. */
const callsForMs = 150_000;
/** Twilio faults, worker kills and the outages happen in this span; then the system converges. */
const faultsForMs = 170_000;
const convergeForMs = 300_000;
const hardLimitMs = 12 * 60_000;
/** How far back before a kill `appendfsync everysec` may lose acknowledged writes (Redis: about 2 s). */
const lossWindowMs = 3_000;

const teardown = createTeardown();
let interrupted = false;
let exiting: Promise<void> | undefined;
/** Cleans up, then exits: 130 after Ctrl-C, else `code`. Safe to call from anywhere, more than once. */
const finish = (code: number) => {
  exiting ??= teardown.run().finally(() => process.exit(interrupted ? 130 : code));
  return exiting;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`chaos: ${signal}, cleaning up`);
    void finish(130);
  });
}
// A failure nobody awaited must still clean up: never leave child processes or folders behind.
process.on('unhandledRejection', (error) => {
  if (teardown.signal.aborted) return; // a chaos loop ended by the teardown itself
  console.error('chaos: unhandled failure:', error);
  void finish(1);
});
process.on('uncaughtException', (error) => {
  console.error('chaos: uncaught exception:', error);
  void finish(1);
});
setTimeout(() => {
  console.error(`chaos: over ${hardLimitMs / 60_000} minutes, giving up`);
  void finish(1);
}, hardLimitMs).unref();

const startedAt = Date.now();
const say = (line: string) =>
  console.error(`chaos ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)} s  ${line}`);

/** `CHAOS_S3`: the S3 test double (s3rver, the default), or Ceph RGW, a real S3 server. */
function s3KindOf(value: string | undefined): 's3rver' | 'rgw' {
  if (value === undefined || value === '' || value === 's3rver') return 's3rver';
  if (value === 'rgw') return 'rgw';
  throw new Error(`CHAOS_S3 must be s3rver or rgw, not ${JSON.stringify(value)}`);
}

/**
 * An object as the server holds it, for the front's log; tried a few times, since a busy server may fail
 * a read once: undefined only when it could never be read.
 */
async function readPatiently(reader: BucketReader, key: string): Promise<Buffer | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await reader.read(key);
    } catch (error) {
      if (attempt === 5) {
        console.error(`chaos: could not read ${key} back for the log: ${String(error)}`);
        return undefined;
      }
      await sleep(200 * attempt);
    }
  }
}

/** The S3 server; the test double can be stopped and started again for the outage, RGW runs on. */
async function startS3(kind: 's3rver' | 'rgw') {
  if (kind === 'rgw') {
    // The OSD keeps objects in memory: the run stores about 300 MB, with room for what retries rewrite.
    return { s3: await startRgwServer({ buckets: [bucket], memoryBytes: 3 * 1024 ** 3 }), stoppable: {} };
  }
  const double = await startS3Server({ buckets: [bucket] });
  return { s3: double, stoppable: { stop: () => double.stop(), start: () => double.start() } };
}

/** The moments of the chaos, drawn from the seed before anything starts, in ms from its start. */
function drawSchedule() {
  const kills: { at: number; worker: number; downMs: number }[] = [];
  for (let at = random.between(5_000, 8_000); at < faultsForMs - 5_000; at += random.between(4_000, 9_000)) {
    kills.push({ at, worker: random.between(0, workerCount - 1), downMs: random.between(200, 2_500) });
  }
  return {
    kills,
    redisCrashAt: random.between(40_000, 80_000),
    redisDownMs: random.between(1_500, 3_000),
    s3OutageAt: random.between(90_000, 130_000),
    s3OutageMs: 10_000,
  };
}

async function main(): Promise<number> {
  const schedule = drawSchedule();
  const work = await mkdtemp(join(tmpdir(), 'rv-chaos-'));
  teardown.add('work folder', async () => {
    if (keepLogs) console.error(`chaos: logs kept in ${work}`);
    else await rm(work, { recursive: true, force: true });
  });

  // The servers: Redis and RGW as processes of their own, the S3 double and the emulator in this one.
  const redis = await startRedisUnderTest(redisMode);
  teardown.add(redisMode === 'single' ? 'redis-server' : 'Redis Cluster', () => redis.close());
  const { prefix } = redis;
  const { s3, stoppable } = await startS3(s3Kind);
  teardown.add(s3Kind === 'rgw' ? 'Ceph RGW' : 'S3 server', () => s3.close());
  const reader = bucketReader(s3, bucket);
  const front = await startS3Front({
    endpoint: s3.endpoint,
    ...stoppable,
    read: (from, key) => (from === bucket ? readPatiently(reader, key) : Promise.resolve(undefined)),
  });
  teardown.add('S3 front', () => front.close());
  const emulator = await startTwilioEmulator({ seed: `chaos-${seed}` });
  teardown.add('Twilio emulator', () => emulator.close());
  const corpus = seedCorpus(emulator, seed);
  const { account } = corpus;
  const queues = watchQueues(redis.target, prefix);
  teardown.add('queue watch', () => queues.close());
  const events: Row[] = [];

  // The apps, as processes; registered last so that they are stopped first.
  const unexpectedExits: UnexpectedExit[] = [];
  const apps = await startApps({
    work,
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      ...redis.env,
      QUEUE_PREFIX: prefix,
      TWILIO_ACCOUNT_SID: account.accountSid,
      TWILIO_AUTH_TOKEN: account.authToken,
      // Time runs fast here: a 10 s storage outage at a 300 ms backoff uses up about five attempts, where
      // production's 5 s backoff would use two. Twenty keep a job from failing for good on bad luck alone.
      JOB_ATTEMPTS: '20',
      JOB_BACKOFF_MS: '300',
      JOB_BACKOFF_MAX_MS: '5000',
    },
    workerEnv: {
      TWILIO_API_BASE_URL: emulator.baseUrl,
      S3_ENDPOINT: front.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: bucket,
      S3_REGION: s3.region,
      WORKER_CONCURRENCY: '4',
      JOB_LOCK_SECONDS: '3',
      // A body trickling in is cut after about 3 s plus its size at 256 KiB/s (about 80 s for the largest
      // recordings here; at the default 64 KiB/s a trickle on one of them would outlast the convergence).
      DOWNLOAD_DEADLINE_BASE_SECONDS: '3',
      DOWNLOAD_MIN_BYTES_PER_SECOND: String(256 * 1024),
      RECONCILE_EVERY: '10s',
      RECONCILE_WINDOW: '48h',
      SHUTDOWN_GRACE_SECONDS: '5',
    },
    onUnexpectedExit(exit) {
      unexpectedExits.push(exit);
      say(`${exit.app} exited by itself (code ${exit.code}, ${exit.signal ?? 'no signal'}); restarting it`);
    },
  });
  const { ingestUrl, workers } = apps;
  say(
    `up: ingest API, ${workerCount} workers on ${redisMode === 'single' ? 'one Redis server' : 'a Redis Cluster'} and ${s3Kind === 'rgw' ? 'Ceph RGW' : 'the S3 test double'}; ${corpus.completed.length} recordings to archive, ${corpus.absent.length} absent (seed ${seed})`,
  );

  // The calls: recordings complete over the first 150 s; 900 of the 1,000 are announced by a callback.
  const traffic = planTraffic(corpus, random, callsForMs);
  const { deliveries } = traffic;
  const faults = injectChaosFaults(emulator);
  const chaosStart = Date.now();
  // Waits until `ms` into the chaos; rejects (ending the loop that waits) once the teardown has begun.
  const at = (ms: number) =>
    sleep(Math.max(0, chaosStart + ms - Date.now()), undefined, { signal: teardown.signal });

  const completing = (async () => {
    for (const completion of traffic.completions) {
      await at(completion.atMs);
      emulator.completeRecording(completion.sid);
    }
  })();
  const sending = deliverCallbacks({
    url: `${ingestUrl}/twilio/recording-status`,
    authToken: account.authToken,
    deliveries,
    startedAt: chaosStart,
    concurrency: 8,
    signal: teardown.signal,
  }).then(() => {
    if (!teardown.signal.aborted) say(`callbacks: all ${deliveries.length} deliveries answered or given up`);
  });

  let workerKills = 0;
  const killing = (async () => {
    for (const kill of schedule.kills) {
      await at(kill.at);
      const victim = workers[kill.worker] as AppProcess;
      if (!victim.running) continue;
      await victim.kill();
      workerKills++;
      say(`SIGKILL ${victim.name}; back in ${(kill.downMs / 1000).toFixed(1)} s`);
      void sleep(kill.downMs).then(() => victim.start());
    }
  })();

  const lostInCrash = new Set<string>();
  const excusedLoss = new Set<string>();
  const crashRows: Row[] = [];
  let redisCrash: RedisCrash | undefined;
  const crashingRedis = (async () => {
    await at(schedule.redisCrashAt);
    let acknowledgedBefore: string[] = [];
    const crash = await redis.crash(schedule.redisDownMs, say, async () => {
      // As soon as a primary serves again, before a later delivery or the reconciliation could add a lost
      // job back: every callback answered 204 so far must have its job, or the table says which not.
      const now = Date.now();
      acknowledgedBefore = firstAcknowledged(deliveries, now).map(({ sid }) => sid);
      for (const sid of await queues.missingJobs(acknowledgedBefore)) lostInCrash.add(sid);
    });
    redisCrash = crash;
    if (redis.mode === 'single') {
      // One server with `appendfsync everysec` may lose what it had not yet written out, at most about the
      // last 2 s before the kill; an older job missing is a loss nothing excuses.
      for (const { sid, at: answeredAt } of firstAcknowledged(deliveries, crash.acknowledgeableFrom)) {
        if (lostInCrash.has(sid) && answeredAt >= crash.killedAt - lossWindowMs) excusedLoss.add(sid);
      }
    }
    crashRows.push(
      { label: crash.headline, value: `t=${((crash.killedAt - chaosStart) / 1000).toFixed(1)} s` },
      ...crash.details,
    );
    say(
      `Redis whole again; of ${acknowledgedBefore.length} jobs acknowledged before the crash, ${lostInCrash.size} lost`,
    );
  })();

  const s3Outage = (async () => {
    await at(schedule.s3OutageAt);
    events.push({
      label:
        s3Kind === 'rgw'
          ? `S3 unreachable (connections refused and dropped) for ${schedule.s3OutageMs / 1000} s`
          : `S3 server stopped, started again after ${schedule.s3OutageMs / 1000} s`,
      value: `t=${((Date.now() - chaosStart) / 1000).toFixed(1)} s`,
    });
    await front.stop();
    say(`S3 ${s3Kind === 'rgw' ? 'cut off' : 'server stopped'} for ${schedule.s3OutageMs / 1000} s`);
    await sleep(schedule.s3OutageMs);
    await front.start();
    say(`S3 ${s3Kind === 'rgw' ? 'reachable' : 'server started'} again`);
  })();

  const deletedCount = () => corpus.completed.filter((recording) => emulator.isDeleted(recording.sid)).length;
  const progress = setInterval(() => {
    void queues.counts().then((counts) => {
      const sent = deliveries.filter((delivery) => delivery.attempts.length > 0).length;
      const jobs = counts
        ? `waiting ${counts.waiting} active ${counts.active} delayed ${counts.delayed} failed ${counts.failed}`
        : '(Redis does not answer)';
      say(
        `deleted at Twilio ${deletedCount()}/${corpus.completed.length}; callbacks sent ${sent}/${deliveries.length}; jobs ${jobs}`,
      );
    });
  }, 10_000);
  teardown.add('progress', async () => clearInterval(progress));

  await at(faultsForMs);
  for (const fault of faults) fault.remove();
  const faultsEndedAt = Date.now();
  say('faults off: converging');
  await Promise.all([killing, crashingRedis, s3Outage, completing]);
  for (const worker of workers) worker.start();
  await sending;

  const converged = await converge(
    queues,
    deletedCount,
    corpus.completed.length,
    faultsEndedAt + convergeForMs,
  );
  const convergedAt = Date.now();
  clearInterval(progress);
  say(converged ? 'converged' : 'did NOT converge');
  await Promise.all(apps.all.map((app) => app.stop(10_000)));
  const counts = (await queues.counts()) ?? {};
  const effort = await queues.effort();
  const acknowledgedSids = [...new Set(deliveries.filter(acknowledged).map((d) => d.recording.sid))];
  const jobsAddedAt = await queues.jobsAddedAt(acknowledgedSids);
  const aroundCrash = redisCrash && callbacksAround(redisCrash, deliveries);
  // The crash's lines, then the outage's, in the order they happened.
  events.unshift(...crashRows, ...(aroundCrash?.figures ?? []));
  if (keepLogs) {
    // Every callback attempt and the crash's moments, for a look at what the table sums up.
    const attempts = deliveries.map(({ recording, status, kind, attempts }) => ({
      sid: recording.sid,
      status,
      kind,
      attempts,
    }));
    await writeFile(join(work, 'callbacks.json'), JSON.stringify({ redisCrash, attempts }, null, 1));
  }
  say('apps stopped; checking');

  const verdict = await verify({
    emulator,
    corpus,
    bucket: reader,
    stagingPrefix: S3_STAGING_PREFIX,
    recordsPrefix: S3_RECORDS_PREFIX,
    exchanges: front.exchanges,
    deliveries,
    lostInCrash,
    excusedLoss,
    redisMode,
    jobsAddedAt,
    jobCounts: counts,
    unexpectedExits,
  });
  const checks = [
    ...verdict.checks,
    aroundCrash?.check ?? { label: 'the Redis crash happened', value: 'no', ok: false },
  ];
  const passed = converged && checks.every((check) => check.ok !== false);
  const lines: TableLine[] = [
    ...figures({
      corpus,
      deliveries,
      emulator,
      exchanges: front.exchanges,
      chaosStart,
      faultsEndedAt,
      convergedAt,
      converged,
      workerKills,
      events,
      unexpectedExits,
      origins: verdict.origins,
      effort,
    }),
    { section: 'checks' },
    { label: 'converged before the deadline', value: converged ? 'yes' : 'no', ok: converged },
    ...checks,
  ];
  const took = `${((Date.now() - startedAt) / 1000).toFixed(0)} s`;
  process.stdout.write(
    formatTable(
      `Recording Vault chaos run (${redisMode === 'single' ? 'one Redis server' : 'Redis Cluster'}, ${s3Kind === 'rgw' ? 'Ceph RGW' : 's3rver'}; seed ${seed}, ${took}): ${passed ? 'PASSED' : 'FAILED'}`,
      lines,
    ),
  );
  if (verdict.problems.length > 0)
    console.error(`chaos: problems found:\n  ${verdict.problems.join('\n  ')}`);
  return passed ? 0 : 1;
}

/**
 * How the ingest API answered callbacks that enqueue a job (completed recordings) around the Redis crash;
 * and the check that none sent after the kill was answered 204 before the killed process was started again
 * (until then no server holds the job, or on a cluster no replica can).
 */
function callbacksAround(crash: RedisCrash, deliveries: readonly Delivery[]): { figures: Row[]; check: Row } {
  const attempts = deliveries
    .filter(
      (delivery) =>
        delivery.status === 'completed' && (delivery.kind === 'first' || delivery.kind === 'duplicate'),
    )
    .flatMap((delivery) => delivery.attempts);
  const answers = (of: typeof attempts) =>
    [204, 503]
      .map((status) => of.filter((attempt) => attempt.status === status).length)
      .concat(of.filter((attempt) => attempt.status !== 204 && attempt.status !== 503).length)
      .join(' / ');
  const recovering = attempts.filter(
    (attempt) => attempt.answeredAt >= crash.killedAt && attempt.answeredAt <= crash.recoveredAt,
  );
  // Sent after the kill: no server held their job (or, on a cluster, the promoted primary had no replica)
  // until the killed process was back. On a cluster, no answer at all between the promotion and then may be
  // a 204, whenever it was sent: a write the promoted primary took has no replica to reach.
  const meanwhile = attempts.filter(
    (attempt) =>
      attempt.answeredAt <= crash.acknowledgeableFrom &&
      (attempt.sentAt >= crash.killedAt ||
        (crash.promotedAt !== undefined && attempt.answeredAt >= crash.promotedAt)),
  );
  const acknowledgedMeanwhile = meanwhile.filter((attempt) => attempt.status === 204).length;
  const next204 = Math.min(
    ...attempts
      .filter((attempt) => attempt.status === 204 && attempt.sentAt >= crash.killedAt)
      .map((attempt) => attempt.answeredAt),
  );
  return {
    figures: [
      {
        label: '…callbacks answered until Redis was whole again: 204 / 503 / other',
        value: answers(recovering),
      },
      {
        label: '…first callback sent after the kill and answered 204, after',
        value: Number.isFinite(next204) ? `${((next204 - crash.killedAt) / 1000).toFixed(1)} s` : 'none',
      },
    ],
    check: {
      label: 'callbacks sent after the Redis kill, answered 204 before its restart',
      value: `${acknowledgedMeanwhile} of ${meanwhile.length}`,
      // None at all would test nothing: callbacks come several a second while the crash lasts.
      ok: acknowledgedMeanwhile === 0 && meanwhile.length > 0,
    },
  };
}

/**
 * Recordings whose callback (completed, first or duplicate) was answered 204 by `until`, with the first such
 * answer's time.
 */
function firstAcknowledged(deliveries: readonly Delivery[], until: number): { sid: string; at: number }[] {
  const first = new Map<string, number>();
  for (const delivery of deliveries) {
    if (delivery.status !== 'completed' || (delivery.kind !== 'first' && delivery.kind !== 'duplicate'))
      continue;
    for (const attempt of delivery.attempts) {
      if (attempt.status !== 204 || attempt.answeredAt > until) continue;
      const sid = delivery.recording.sid;
      first.set(sid, Math.min(attempt.answeredAt, first.get(sid) ?? Infinity));
    }
  }
  return [...first].map(([sid, at]) => ({ sid, at }));
}

/** The ingest API and the workers, started and answering their health checks. */
async function startApps(options: {
  work: string;
  env: Record<string, string>;
  workerEnv: Record<string, string>;
  onUnexpectedExit: (exit: UnexpectedExit) => void;
}): Promise<{ ingestUrl: string; workers: AppProcess[]; all: AppProcess[] }> {
  const { work, env, onUnexpectedExit } = options;
  const ingestPort = await freePort();
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const ingest = appProcess({
    name: 'ingest-api',
    main: join(root, 'apps/ingest-api/src/main.ts'),
    env: { ...env, PUBLIC_BASE_URL: ingestUrl, INGEST_PORT: String(ingestPort), INGEST_HOST: '127.0.0.1' },
    logFile: join(work, 'ingest-api.log'),
    probe: () => answers200(`${ingestUrl}/healthz`),
    onUnexpectedExit,
  });
  const workers: AppProcess[] = [];
  for (let i = 1; i <= workerCount; i++) {
    const metricsPort = await freePort();
    workers.push(
      appProcess({
        name: `worker-${i}`,
        main: join(root, 'apps/worker/src/main.ts'),
        env: {
          ...env,
          ...options.workerEnv,
          WORKER_METRICS_PORT: String(metricsPort),
          WORKER_METRICS_HOST: '127.0.0.1',
        },
        logFile: join(work, `worker-${i}.log`),
        probe: () => answers200(`http://127.0.0.1:${metricsPort}/healthz`),
        onUnexpectedExit,
      }),
    );
  }
  const all = [ingest, ...workers];
  teardown.add('apps', () => Promise.all(all.map((app) => app.stop(10_000))));
  for (const app of all) app.start();
  await Promise.all(all.map((app) => app.ready(60_000)));
  return { ingestUrl, workers, all };
}

/**
 * Waits until every completed recording is deleted at Twilio and no archive or purge job is left to run.
 * Gives up at the deadline, or earlier when the queues have sat idle with work undone for 30 s (three
 * reconciliation periods): jobs that failed for good.
 */
async function converge(
  queues: QueueWatch,
  deletedCount: () => number,
  total: number,
  deadline: number,
): Promise<boolean> {
  let lastState = '';
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const counts = await queues.counts();
    const deleted = deletedCount();
    const busy = counts ? busyJobs(counts) : -1;
    if (deleted === total && busy === 0) return true;
    const state = `${deleted}/${busy}/${counts?.failed}`;
    if (state !== lastState) {
      lastState = state;
      lastChange = Date.now();
    }
    if (busy === 0 && Date.now() - lastChange > 30_000) return false;
    await sleep(500);
  }
  return false;
}

interface FigureInput {
  corpus: Corpus;
  deliveries: readonly Delivery[];
  emulator: TwilioEmulator;
  exchanges: readonly S3Exchange[];
  chaosStart: number;
  faultsEndedAt: number;
  convergedAt: number;
  converged: boolean;
  workerKills: number;
  events: readonly Row[];
  unexpectedExits: readonly UnexpectedExit[];
  origins: ReadonlyMap<string, number>;
  effort: Awaited<ReturnType<QueueWatch['effort']>>;
}

/** The figures part of the table: what was thrown at the vault, and what it did. */
function figures(input: FigureInput): TableLine[] {
  const { corpus, deliveries, emulator, effort } = input;
  const sizeOf = (sid: string, channels: number) =>
    emulator.mediaSize(sid, { channels: channels === 2 ? 2 : 1 });
  const sizes = corpus.completed
    .map((recording) => sizeOf(recording.sid, recording.channels))
    .sort((a, b) => a - b);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const dual = corpus.completed.filter((recording) => recording.channels === 2).length;
  const firsts = deliveries.filter((delivery) => delivery.kind === 'first');
  const attempts = deliveries.flatMap((delivery) => delivery.attempts);
  const answered = (status: number) => attempts.filter((attempt) => attempt.status === status).length;

  const during = emulator.requests.filter(
    (request) =>
      request.at >= input.chaosStart && request.at < input.faultsEndedAt && request.route !== 'unknown',
  );
  const share = (count: number, of: number) => `${count} (${((100 * count) / Math.max(1, of)).toFixed(1)}%)`;
  const faulted = (kind: string) => during.filter((request) => request.fault === kind).length;
  const mediaBodies = during.filter((request) => request.route === 'media' && request.status === 200).length;
  const route = (name: string) => emulator.requests.filter((request) => request.route === name).length;
  const deletes = emulator.requests.filter((request) => request.route === 'delete');
  const deletesAnswered = (test: (status: number) => boolean) =>
    deletes.filter((request) => test(request.status)).length;
  const ops = (name: string) => input.exchanges.filter((exchange) => exchange.op === name).length;
  const completedUploads = input.exchanges.filter(
    (exchange) => exchange.op === 'CompleteMultipartUpload' && exchange.status === 200,
  ).length;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;
  const MB = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

  return [
    { section: 'the run' },
    {
      label: 'recordings: to archive (mono / dual) + absent',
      value: `${corpus.completed.length} (${corpus.completed.length - dual} / ${dual}) + ${corpus.absent.length}`,
    },
    {
      label: '…sizes: smallest / median / largest; in all',
      value: `${kB(sizes[0] ?? 0)} / ${kB(sizes[Math.floor(sizes.length / 2)] ?? 0)} / ${MB(sizes.at(-1) ?? 0)}; ${MB(total)}`,
    },
    { label: '…over one 8 MiB part (multipart upload)', value: String(corpus.multipart.length) },
    {
      label: 'callbacks: announced completed / absent; duplicates',
      value: `${firsts.filter((d) => d.status === 'completed').length} / ${firsts.filter((d) => d.status === 'absent').length}; ${deliveries.filter((d) => d.kind === 'duplicate').length}`,
    },
    {
      label: '…answers 204 / 503 / 403 / 400 / none',
      value: `${answered(204)} / ${answered(503)} / ${answered(403)} / ${answered(400)} / ${answered(0)}`,
    },
    {
      label: '…deliveries tried again once (as Twilio does)',
      value: String(deliveries.filter((delivery) => delivery.attempts.length > 1).length),
    },
    {
      label: '…announced, never answered 204 (left to reconcile)',
      value: String(firsts.filter((delivery) => !acknowledged(delivery)).length),
    },
    {
      label: 'archived by a job from a callback / the reconciliation',
      value: `${input.origins.get('callback') ?? 0} / ${input.origins.get('reconcile') ?? 0}`,
    },
    { section: `the chaos (the first ${seconds(input.faultsEndedAt - input.chaosStart)})` },
    { label: 'Twilio API requests meanwhile', value: String(during.length) },
    { label: '…answered 5xx', value: share(faulted('status'), during.length) },
    { label: '…answered 429 (half with Retry-After: 1)', value: share(faulted('rateLimit'), during.length) },
    { label: '…media bodies reset mid-stream', value: share(faulted('reset'), mediaBodies) },
    { label: '…media bodies cut short', value: share(faulted('truncate'), mediaBodies) },
    {
      label: '…media answered 200 with a lie (empty, HTML, other length or channels, hollow WAV)',
      value: share(faulted('lie'), mediaBodies),
    },
    {
      label: '…media bodies trickling in (cut at the deadline)',
      value: share(faulted('trickle'), mediaBodies),
    },
    {
      label: '…lookups answered with another recording or account',
      value: share(faulted('wrongResource'), during.filter((request) => request.route === 'fetch').length),
    },
    { label: 'workers SIGKILLed (restarted after 0.2–2.5 s)', value: String(input.workerKills) },
    {
      label: 'worker restarts refused (S3 down at start-up)',
      value: String(input.unexpectedExits.filter((exit) => exit.beforeReady).length),
    },
    ...input.events,
    {
      label: 'S3 requests whose answer the outage cut off',
      value: String(input.exchanges.filter((exchange) => !exchange.delivered).length),
    },
    { section: 'what the vault did' },
    {
      label: 'Twilio requests: fetch / list / media / delete',
      value: `${route('fetch')} / ${route('list')} / ${route('media')} / ${route('delete')}`,
    },
    {
      label: 'DELETEs answered 204 / 404 / fault',
      value: `${deletesAnswered((s) => s === 204)} / ${deletesAnswered((s) => s === 404)} / ${deletesAnswered((s) => s !== 204 && s !== 404)}`,
    },
    {
      label: 'S3: PutObject / GetObject / HeadObject / DeleteObject',
      value: `${ops('PutObject')} / ${ops('GetObject')} / ${ops('HeadObject')} / ${ops('DeleteObject')}`,
    },
    {
      label: 'S3: multipart parts / uploads completed / server-side copies',
      value: `${ops('UploadPart')} / ${completedUploads} / ${ops('CopyObject')}`,
    },
    {
      label: 'archive jobs run more than once / most attempts',
      value: `${effort.retried} of ${effort.jobs} / ${effort.maxAttempts}`,
    },
    {
      label: '…taken over from a dead worker (stalled) / most times',
      value: `${effort.stalled} / ${effort.maxStalled}`,
    },
    {
      label: 'converged after the faults stopped',
      value: input.converged ? seconds(input.convergedAt - input.faultsEndedAt) : 'never',
    },
  ];
}

async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  return response.status === 200;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  if (!teardown.signal.aborted) console.error('chaos: the run itself failed:', error);
}
await teardown.run();
say(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
await finish(exitCode);
