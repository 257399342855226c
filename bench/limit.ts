import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { backfillDayEntries, daysBetween, QueueName } from '@recording-vault/contract';
import {
  type AppProcess,
  type ConcurrencyStats,
  freePort,
  startAppProcess,
  startRedisServer,
  startTwilioEmulator,
  testQueuePrefix,
} from '@recording-vault/testkit';
import { Queue } from 'bullmq';
import { machineLine, writeSection } from './report.ts';

/**
 * How much of Twilio's per-account concurrency limit a backfill uses. The emulator refuses (429, 20429) a
 * request beyond N in flight for the account and answers the others after a latency, as Twilio does; two
 * worker processes (the real apps/worker/src/main.ts) back-fill BENCH_RECORDINGS recordings of that
 * account, listing included. Measured at the emulator: the average requests in flight ÷ N (the share of
 * the limit used) over the whole run and over its steady middle (from 10% to 90% of the recordings
 * deleted), and the share of requests refused with 429.
 *
 * Modes: the adaptive window (the default: TWILIO_MAX_CONCURRENCY is only its ceiling, set well above N),
 * and the fixed cap with pause-on-429, at the default TWILIO_MAX_CONCURRENCY of 16 and at twice N.
 *
 * BENCH_RECORDINGS (default 5000), BENCH_LIMIT (N, default 20), BENCH_LATENCY_MS (default 100, about
 * what Twilio's REST API takes to answer), BENCH_WORKER_CONCURRENCY (jobs per worker process, default 32),
 * BENCH_MODE_TIMEOUT_SECONDS (default 300).
 */
const recordings = Number(process.env.BENCH_RECORDINGS ?? 5_000);
const limit = Number(process.env.BENCH_LIMIT ?? 20);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 100);
/** A mode that has not deleted every recording by then is reported with what it did. */
const modeTimeoutSeconds = Number(process.env.BENCH_MODE_TIMEOUT_SECONDS ?? 300);
const workerConcurrency = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 32);
const workersPerRun = 2;
const from = '2025-03-01';
const to = '2025-03-05';

interface Mode {
  name: string;
  env: Record<string, string>;
}

const modes: Mode[] = [
  {
    name: `adaptive window (ceiling ${limit * 5})`,
    env: { TWILIO_ADAPTIVE_CONCURRENCY: 'true', TWILIO_MAX_CONCURRENCY: String(limit * 5) },
  },
  {
    name: 'fixed cap 16 jobs, pause on 429 (before)',
    env: { TWILIO_ADAPTIVE_CONCURRENCY: 'false', TWILIO_MAX_CONCURRENCY: '16' },
  },
  {
    name: `fixed cap ${limit * 2} jobs, pause on 429 (before)`,
    env: { TWILIO_ADAPTIVE_CONCURRENCY: 'false', TWILIO_MAX_CONCURRENCY: String(limit * 2) },
  },
];

interface Result {
  mode: string;
  /** Recordings deleted at Twilio (all of them, unless the mode ran out of time). */
  done: number;
  seconds: number;
  perSecond: number;
  utilisation: number;
  steadyUtilisation: number;
  refusedShare: number;
  requests: number;
  peak: number;
}

const workerMain = fileURLToPath(new URL('../apps/worker/src/main.ts', import.meta.url));
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<unknown>> = [];
const cleanUp = async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

/** Request·ms in flight since the last reset, from the emulator's average. */
const area = (stats: ConcurrencyStats) => stats.averageInFlight * stats.elapsedMs;

try {
  const redis = await startRedisServer({ appendOnly: true, appendFsync: 'everysec' });
  cleanups.push(() => redis.close());
  const emulator = await startTwilioEmulator({ concurrencyLimit: limit });
  cleanups.push(() => emulator.close());
  emulator.injectFault({ route: '*', kind: 'latency', ms: latencyMs });
  const results: Result[] = [];

  for (const mode of modes) {
    const account = emulator.addAccount();
    emulator.seedRecordings({
      accountSid: account.accountSid,
      count: recordings,
      from: `${from}T00:00:00Z`,
      to: `${to}T23:59:59Z`,
      minDuration: 1,
      maxDuration: 4,
      channels: 1,
    });
    const { prefix, cleanup } = testQueuePrefix(redis.url);
    const storeDir = await mkdtemp(join(tmpdir(), 'rv-bench-limit-'));
    const workers: AppProcess[] = [];
    for (let i = 0; i < workersPerRun; i++) {
      const app = startAppProcess(workerMain, [], {
        LOG_LEVEL: 'error',
        REDIS_URL: redis.url,
        QUEUE_PREFIX: prefix,
        TWILIO_ACCOUNT_SID: account.accountSid,
        TWILIO_AUTH_TOKEN: account.authToken,
        TWILIO_API_BASE_URL: emulator.baseUrl,
        STORAGE_DIR: storeDir,
        RECORDING_FORMAT: 'mp3',
        WORKER_CONCURRENCY: String(workerConcurrency),
        WORKER_METRICS_PORT: String(await freePort()),
        WORKER_METRICS_HOST: '127.0.0.1',
        RECONCILE_EVERY: '0',
        ...mode.env,
      });
      children.add(app.child);
      workers.push(app);
    }
    const backfill = new Queue(QueueName.backfill, { connection: { url: redis.url }, prefix });
    emulator.resetConcurrency();
    const started = performance.now();
    await backfill.addBulk(
      backfillDayEntries(`bench${Date.now()}`, [account.accountSid], daysBetween(from, to)),
    );

    let steadyFrom: { stats: ConcurrencyStats; at: number } | undefined;
    let steadyTo: { stats: ConcurrencyStats; at: number } | undefined;
    for (;;) {
      const deleted = emulator.counts(account.accountSid).deleted;
      if (!steadyFrom && deleted >= recordings * 0.1)
        steadyFrom = { stats: emulator.concurrency(account.accountSid), at: deleted };
      if (!steadyTo && deleted >= recordings * 0.9)
        steadyTo = { stats: emulator.concurrency(account.accountSid), at: deleted };
      if (deleted >= recordings) break;
      if (performance.now() - started > modeTimeoutSeconds * 1000) break;
      for (const app of workers) {
        if (app.child.exitCode !== null) throw new Error(`a worker exited:\n${app.stderr().slice(-2000)}`);
      }
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const done = emulator.counts(account.accountSid).deleted;
    const stats = emulator.concurrency(account.accountSid);
    const steady =
      steadyFrom && steadyTo
        ? (area(steadyTo.stats) - area(steadyFrom.stats)) /
          (steadyTo.stats.elapsedMs - steadyFrom.stats.elapsedMs)
        : stats.averageInFlight;
    const result: Result = {
      mode: mode.name,
      done,
      seconds,
      perSecond: done / seconds,
      utilisation: stats.averageInFlight / limit,
      steadyUtilisation: steady / limit,
      refusedShare: stats.refused / (stats.accepted + stats.refused),
      requests: stats.accepted + stats.refused,
      peak: stats.peak,
    };
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);

    for (const app of workers) app.child.kill('SIGTERM');
    await Promise.all(workers.map((app) => app.exited));
    await backfill.close();
    await cleanup();
    await rm(storeDir, { recursive: true, force: true });
  }

  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  const rows = results.map(
    (r) =>
      `| ${r.mode} | ${r.done === recordings ? r.seconds.toFixed(1) : `${r.done} of ${recordings} in ${r.seconds.toFixed(0)}`} | ${r.perSecond.toFixed(0)} | ${r.utilisation.toFixed(2)} | ${r.steadyUtilisation.toFixed(2)} | ${percent(r.refusedShare)} | ${r.requests} | ${r.peak} |`,
  );
  await writeSection(
    'limit',
    `## Twilio's concurrency limit: \`pnpm bench:limit\`

A backfill of ${recordings} recordings (${from} to ${to}, MP3) by ${workersPerRun} worker processes of ${workerConcurrency} jobs each, against the emulator refusing (429, 20429) any request beyond **N = ${limit}** in flight for the account and answering the others after ${latencyMs} ms. Measured at the emulator: requests in flight on average ÷ N, over the whole run and over its steady middle (10% to 90% of the recordings deleted), and the share of requests refused. Targets: ≥ 0.9 of N, ≤ 2% refused.

${machineLine()}

| mode | seconds | recordings/s | in flight ÷ N (whole run) | in flight ÷ N (steady) | refused (429) | requests | peak in flight |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Before the adaptive window, the fixed cap was the only control: at 16 jobs (the default) it never met the limit and used three quarters of it; set above the limit, every 429 paused the whole queue for a backoff that grew with each 429 in a row (the emulator's cap sends no \`Retry-After\`; whether Twilio's 2010 API does is not known), and the backfill all but stopped.
`,
  );
} finally {
  await cleanUp();
}
