import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { archiveJobEntry, archiveJobId, QueueName } from '@recording-vault/contract';
import {
  type AppProcess,
  freePort,
  type RequestLogEntry,
  startAppProcess,
  startRedisServer,
  startTwilioEmulator,
  testQueuePrefix,
  WAV_BYTES_PER_SECOND_PER_CHANNEL,
  WAV_HEADER_BYTES,
} from '@recording-vault/testkit';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { machineLine, median, writeSection } from './report.ts';

/**
 * How long a job orphaned by a SIGKILLed worker waits before another worker runs it again, for each
 * JOB_LOCK_SECONDS, and whether a live worker's jobs are taken over as stalled when the machine is busy.
 *
 * (a) Recovery: one worker process (the real apps/worker/src/main.ts) takes an archive job whose media
 *     download the emulator holds back; a second worker is started and left idle; the first is SIGKILLed
 *     mid-download, at a point of the lock's first half-life spread evenly from round to round; the figure
 *     is the time from the kill to the next lookup (`fetch`) of that recording in the emulator's request
 *     log. The idle worker finishes the job and is the one killed in the next round.
 * (b) False stalls: one worker archiving two-hour recordings (110 MiB, so that every job outlives its lock
 *     and lives on renewals) nonstop while `node -e 'for(;;){}'` keeps a core busy; counts BullMQ `stalled`
 *     events and jobs started more than once, and samples the remaining lock TTL of every active job (how
 *     close a live job came to being taken over) and the worker's event-loop delay.
 *
 * Lock durations in seconds as arguments (`pnpm bench:recovery 5 10`) or BENCH_LOCK_SECONDS=5,10;
 * BENCH_ROUNDS (default 5); BENCH_FALSE_STALL_LOCK_SECONDS (default 5,10); BENCH_BUSY_SECONDS (default 20);
 * BENCH_HOGS (busy processes, default 1).
 */
const seconds = (list: string) =>
  list
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((value) => {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 1) throw new Error(`not a whole number of seconds: ${value}`);
      return number;
    });
const args = process.argv.slice(2);
const lockList = args.length
  ? seconds(args.join(','))
  : seconds(process.env.BENCH_LOCK_SECONDS ?? '5,10,15,30');
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const falseStallLocks = seconds(process.env.BENCH_FALSE_STALL_LOCK_SECONDS ?? '5,10');
const busySeconds = Number(process.env.BENCH_BUSY_SECONDS ?? 20);
/** The busy phase's recordings: two hours of mono WAV, 110 MiB, so that each job outlives its lock. */
const busyRecordingSeconds = 7_200;
const busyRecordingBytes = WAV_HEADER_BYTES + busyRecordingSeconds * WAV_BYTES_PER_SECOND_PER_CHANNEL;
const hogs = Number(process.env.BENCH_HOGS ?? 1);
/** The product's target: an orphaned job runs again within this long. */
const targetSeconds = 15;
/**
 * How long the emulator holds back the first media response: under the worker's 30 s headers timeout, and
 * long enough for the second worker to start and the kill to come at any point of the renewal cycle.
 */
const mediaLatencyMs = 27_000;
/** stalledInterval in seconds, as apps/worker/src/workers.ts sets it from the lock duration. */
const stalledIntervalOf = (lockSeconds: number) => Math.max(1, lockSeconds / 2);
/** The earliest kill after the job's start: time for the second worker to start. */
const killAfterMs = 2_500;
/** The kill comes this far at most into the renewal cycle, so it always lands inside the held-back download. */
const maxPhaseMs = 20_000;

const workerMain = fileURLToPath(new URL('../apps/worker/src/main.ts', import.meta.url));
const processes = new Set<ChildProcess>();
const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
/** Kills every process this run started and removes every server and folder; safe to call twice. */
const cleanUp = () =>
  (cleaning ??= (async () => {
    for (const child of processes) child.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

function track(child: ChildProcess): void {
  processes.add(child);
  child.once('exit', () => processes.delete(child));
}

/** Polls `check` every 20 ms until it gives a value. */
async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const stats = (values: readonly number[]) => ({
  min: Math.min(...values),
  median: median(values),
  max: Math.max(...values),
});

interface Recovery {
  lockSeconds: number;
  /** Seconds from the SIGKILL to the job's next lookup at Twilio, one per round. */
  resumed: number[];
  /** Seconds from the job's start to the kill, one per round. */
  killedAfter: number[];
  /** Seconds for a fresh worker process to answer /healthz. */
  startUp: number[];
  /** Every recovered job ended archived and deleted at Twilio, stalled exactly once. */
  allArchived: boolean;
}

interface FalseStalls {
  lockSeconds: number;
  jobs: number;
  mibPerSecond: number;
  /** Median seconds from a job's start to its end. */
  jobSeconds: number;
  stalledEvents: number;
  /** Jobs started more than once or with a stall counted against them. */
  restarted: number;
  failed: number;
  /** The lowest remaining lock TTL seen on any active job, in seconds. */
  lowestLockTtl: number;
  /** The worker's largest event-loop delay, from its own /metrics, in seconds. */
  maxLoopDelay: number;
  /** Cores the busy processes used, measured. */
  hogCores: number;
  /** Cores the whole machine was busy, everything included (other engineers' work too). */
  machineCores: number;
}

try {
  const temp = await mkdtemp(join(tmpdir(), 'rv-bench-recovery-'));
  cleanups.push(() => rm(temp, { recursive: true, force: true }));
  const loadBefore = loadavg();
  const redis = await startRedisServer({ appendOnly: true, appendFsync: 'everysec' });
  cleanups.push(() => redis.close());
  const emulator = await startTwilioEmulator();
  cleanups.push(() => emulator.close());
  const account = emulator.addAccount();
  const connection = { host: '127.0.0.1', port: redis.port };
  const client = new Redis(redis.url);
  cleanups.push(async () => client.disconnect());

  interface RunningWorker {
    app: AppProcess;
    metricsPort: number;
  }

  const startWorker = async (lockSeconds: number, prefix: string, storeDir: string) => {
    const started = performance.now();
    const metricsPort = await freePort();
    const app = startAppProcess(workerMain, [], {
      LOG_LEVEL: 'warn',
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      TWILIO_ACCOUNT_SID: account.accountSid,
      TWILIO_AUTH_TOKEN: account.authToken,
      TWILIO_API_BASE_URL: emulator.baseUrl,
      STORAGE_DIR: storeDir,
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_METRICS_HOST: '127.0.0.1',
      JOB_LOCK_SECONDS: String(lockSeconds),
      // The reconciliation would list the account's recordings and enqueue them itself.
      RECONCILE_EVERY: '0',
    });
    track(app.child);
    await waitFor(
      async () => {
        if (app.child.exitCode !== null)
          throw new Error(`the worker exited with ${app.child.exitCode}:\n${app.stderr().slice(-2000)}`);
        const answer = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => undefined);
        return answer?.ok ? true : undefined;
      },
      'the worker to start',
      60_000,
    );
    const worker: RunningWorker = { app, metricsPort };
    return { worker, startUpSeconds: (performance.now() - started) / 1000 };
  };

  const stopWorker = async ({ app }: RunningWorker) => {
    if (app.child.exitCode !== null || app.child.signalCode !== null) return;
    app.child.kill('SIGTERM');
    const timer = setTimeout(() => app.child.kill('SIGKILL'), 15_000);
    await app.exited;
    clearTimeout(timer);
  };

  const requestFor = (sid: string, route: RequestLogEntry['route'], after = 0) =>
    emulator.requests.find(
      (entry) => entry.route === route && entry.recordingSid === sid && entry.at >= after,
    );

  /** (a) `rounds` kills at one lock duration. */
  const measureRecovery = async (lockSeconds: number): Promise<Recovery> => {
    const lockMs = lockSeconds * 1000;
    const { prefix, cleanup } = testQueuePrefix(redis.url);
    const storeDir = await mkdtemp(join(temp, `recovery-${lockSeconds}s-`));
    const queue = new Queue(QueueName.archive, { connection, prefix });
    const result: Recovery = { lockSeconds, resumed: [], killedAfter: [], startUp: [], allArchived: true };
    const first = await startWorker(lockSeconds, prefix, storeDir);
    result.startUp.push(first.startUpSeconds);
    let current = first.worker;
    let standby: RunningWorker | undefined;
    try {
      for (let round = 0; round < rounds; round++) {
        // 10 s mono: once the held-back download is over, the job finishes in a moment.
        const recording = emulator.addRecording({
          accountSid: account.accountSid,
          duration: 10,
          channels: 1,
        });
        const sid = recording.sid;
        emulator.injectFault({
          kind: 'latency',
          ms: mediaLatencyMs,
          route: 'media',
          recordingSid: sid,
          times: 1,
        });
        const entry = archiveJobEntry({
          accountSid: account.accountSid,
          recordingSid: sid,
          callSid: recording.call_sid,
          origin: 'backfill',
        });
        await queue.add(entry.name, entry.data, entry.opts);
        // Only one worker runs until the download is in flight, so it is the one holding the job.
        const download = await waitFor(() => requestFor(sid, 'media'), 'the media request', 30_000);
        const processedOn = (await queue.getJob(archiveJobId(sid)))?.processedOn ?? download.at;
        const next = await startWorker(lockSeconds, prefix, storeDir);
        standby = next.worker;
        result.startUp.push(next.startUpSeconds);
        // Spread the kills evenly over the lock's first half-life, in which its first renewal comes.
        const phaseMs = ((round + 0.5) / rounds) * Math.min(lockMs / 2, maxPhaseMs);
        await sleep(Math.max(0, processedOn + killAfterMs + phaseMs - Date.now()));
        if (download.status !== 0) throw new Error(`round ${round + 1}: the download ended before the kill`);
        const killedAt = Date.now();
        current.app.child.kill('SIGKILL');
        await current.app.exited;
        result.killedAfter.push((killedAt - processedOn) / 1000);
        const resumed = await waitFor(
          () => requestFor(sid, 'fetch', killedAt),
          'the job to run again',
          3 * lockMs + 30_000,
        );
        result.resumed.push((resumed.at - killedAt) / 1000);
        await waitFor(
          () => (emulator.isDeleted(sid) ? true : undefined),
          'the recording to be archived',
          60_000,
        );
        const job = await waitFor(
          async () => {
            const found = await queue.getJob(archiveJobId(sid));
            return found?.finishedOn ? found : undefined;
          },
          'the job to finish',
          10_000,
        );
        if (job.returnvalue?.outcome !== 'archived' || job.stalledCounter !== 1) result.allArchived = false;
        console.error(
          `lock ${lockSeconds} s, round ${round + 1}: killed ${((killedAt - processedOn) / 1000).toFixed(1)} s into the job, running again ${((resumed.at - killedAt) / 1000).toFixed(2)} s later`,
        );
        current = standby;
        standby = undefined;
      }
    } finally {
      await Promise.all([current, standby].filter((w) => w !== undefined).map(stopWorker));
      await queue.close();
      await cleanup();
      await rm(storeDir, { recursive: true, force: true });
    }
    return result;
  };

  /** Lowest remaining lock TTL (ms) of the jobs in the active list, and how many there are. */
  const lowestLockTtl = `
local active = redis.call('LRANGE', KEYS[1], 0, -1)
local lowest = -1
for _, id in ipairs(active) do
  local ttl = redis.call('PTTL', ARGV[1] .. id .. ':lock')
  if ttl < 0 then ttl = 0 end
  if lowest < 0 or ttl < lowest then lowest = ttl end
end
return { lowest, #active }`;

  /** (b) One worker busy with ordinary jobs next to a busy core, for `busySeconds`. */
  const measureFalseStalls = async (lockSeconds: number): Promise<FalseStalls> => {
    const { prefix, cleanup } = testQueuePrefix(redis.url);
    const storeDir = await mkdtemp(join(temp, `busy-${lockSeconds}s-`));
    const queue = new Queue(QueueName.archive, { connection, prefix });
    const events = new QueueEvents(QueueName.archive, { connection, prefix });
    let stalledEvents = 0;
    events.on('stalled', () => {
      stalledEvents++;
    });
    await events.waitUntilReady();
    const { worker } = await startWorker(lockSeconds, prefix, storeDir);
    const busy = Array.from({ length: hogs }, () => {
      const hog = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
      track(hog);
      return hog;
    });
    let lowestTtlMs = Number.POSITIVE_INFINITY;
    let maxLoopDelay = 0;
    let sampling = true;
    const ttlSampler = (async () => {
      while (sampling) {
        const [lowest, active] = (await client.eval(
          lowestLockTtl,
          1,
          queue.toKey('active'),
          queue.toKey(''),
        )) as [number, number];
        if (active > 0) lowestTtlMs = Math.min(lowestTtlMs, lowest);
        await sleep(100);
      }
    })();
    const loopSampler = (async () => {
      while (sampling) {
        const metrics = await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)
          .then((answer) => answer.text())
          .catch(() => '');
        const max = Number(/^rv_worker_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(metrics)?.[1] ?? 0);
        maxLoopDelay = Math.max(maxLoopDelay, max);
        await sleep(1_000);
      }
    })();
    const hogTicksAtStart = await Promise.all(busy.map((hog) => cpuMsOf(hog.pid as number)));
    const machineAtStart = await machineBusyMs();
    const sids: string[] = [];
    const started = performance.now();
    try {
      // Keep a few jobs waiting, so the worker never idles, until the time is up.
      while (performance.now() - started < busySeconds * 1000) {
        if ((await queue.getWaitingCount()) < 4) {
          const recordings = Array.from({ length: 8 }, () =>
            emulator.addRecording({
              accountSid: account.accountSid,
              duration: busyRecordingSeconds,
              channels: 1,
            }),
          );
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
          sids.push(...recordings.map((recording) => recording.sid));
        }
        await sleep(250);
      }
      await waitFor(
        async () => {
          const counts = await queue.getJobCounts('completed', 'failed');
          return (counts.completed ?? 0) + (counts.failed ?? 0) >= sids.length ? true : undefined;
        },
        'the queue to drain',
        300_000,
      );
      const elapsed = (performance.now() - started) / 1000;
      const hogCpu = (await Promise.all(busy.map((hog) => cpuMsOf(hog.pid as number)))).reduce(
        (sum, ms, i) => sum + ms - (hogTicksAtStart[i] ?? 0),
        0,
      );
      const jobs = await queue.getJobs(['completed', 'failed']);
      return {
        lockSeconds,
        jobs: sids.length,
        mibPerSecond: sids.reduce((sum, sid) => sum + emulator.mediaSize(sid), 0) / 2 ** 20 / elapsed,
        jobSeconds: median(jobs.map((job) => ((job.finishedOn ?? 0) - (job.processedOn ?? 0)) / 1000)),
        stalledEvents,
        restarted: jobs.filter((job) => job.attemptsStarted > 1 || job.stalledCounter > 0).length,
        failed: jobs.filter((job) => job.failedReason).length,
        lowestLockTtl: lowestTtlMs / 1000,
        maxLoopDelay,
        hogCores: hogCpu / 1000 / elapsed,
        machineCores: ((await machineBusyMs()) - machineAtStart) / 1000 / elapsed,
      };
    } finally {
      sampling = false;
      await Promise.all([ttlSampler, loopSampler]);
      for (const hog of busy) hog.kill('SIGKILL');
      await stopWorker(worker);
      await events.close();
      await queue.close();
      await cleanup();
      await rm(storeDir, { recursive: true, force: true });
    }
  };

  const runStarted = performance.now();
  const recoveries: Recovery[] = [];
  for (const lockSeconds of lockList) recoveries.push(await measureRecovery(lockSeconds));
  const busyRuns: FalseStalls[] = [];
  for (const lockSeconds of falseStallLocks) {
    const run = await measureFalseStalls(lockSeconds);
    busyRuns.push(run);
    console.error(
      `lock ${lockSeconds} s, busy: ${run.jobs} jobs, ${run.stalledEvents} stalled, lowest lock TTL ${run.lowestLockTtl.toFixed(2)} s, max event-loop delay ${(run.maxLoopDelay * 1000).toFixed(0)} ms`,
    );
  }
  const loadAfter = loadavg();
  const minutes = (performance.now() - runStarted) / 60_000;

  const fixed = (value: number, digits = 1) => value.toFixed(digits);
  const meets = (recovery: Recovery) => Math.max(...recovery.resumed) <= targetSeconds;
  // The bound, not only the rounds measured: a kill just after a renewal with the check just missed.
  const bounded = (lockSeconds: number) => lockSeconds + stalledIntervalOf(lockSeconds) < targetSeconds;
  const busyOf = (lockSeconds: number) => busyRuns.find((run) => run.lockSeconds === lockSeconds);
  const clean = (lockSeconds: number) => {
    const run = busyOf(lockSeconds);
    return run !== undefined && run.stalledEvents === 0 && run.restarted === 0;
  };
  const locksWhere = (test: (recovery: Recovery) => boolean) =>
    recoveries
      .filter(test)
      .map((recovery) => recovery.lockSeconds)
      .sort((a, b) => a - b);
  const measuredOk = locksWhere(meets);
  const boundOk = locksWhere((recovery) => bounded(recovery.lockSeconds));
  const stallFree = locksWhere((recovery) => clean(recovery.lockSeconds));
  // The longest lock that meets every part of the target: the most room for a slow event loop.
  const recommended = locksWhere(
    (recovery) => meets(recovery) && bounded(recovery.lockSeconds) && clean(recovery.lockSeconds),
  ).at(-1);
  const listOf = (locks: number[]) => (locks.length ? locks.join(', ') : 'none');
  const overrides = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value} `)
    .join('');
  const allStartUps = recoveries.flatMap((recovery) => recovery.startUp);

  const markdown = `
## Recovery after a killed worker

Command: \`${overrides}pnpm bench:recovery${args.length ? ` ${args.join(' ')}` : ''}\` (${rounds} kills per lock duration; ${minutes.toFixed(1)} min in all)
Machine: ${machineLine()}
Load average (1/5/15 min) at the start: ${loadBefore.map((load) => load.toFixed(2)).join(' / ')}; at the end: ${loadAfter.map((load) => load.toFixed(2)).join(' / ')}
Each worker is \`apps/worker/src/main.ts\` in its own process (folder store, Redis with AOF everysec, the Twilio emulator in the benchmark's process). Per round: one worker takes an archive job whose media the emulator holds back for ${mediaLatencyMs / 1000} s, a second worker is started and left idle, the first is SIGKILLed mid-download; the kill comes ${killAfterMs / 1000} s after the job's start plus a share of half the lock duration (where its first renewal falls) spread evenly from round to round. Measured from the kill to the job's next lookup at Twilio (the idle worker running it). A fresh worker took ${fixed(Math.min(...allStartUps))}–${fixed(Math.max(...allStartUps))} s to start.

| JOB_LOCK_SECONDS | lockDuration / stalledInterval | worst case: their sum | killed after the job's start (s) | seconds to run again: min | median | max | each round | within ${targetSeconds} s |
| ---: | --- | ---: | --- | ---: | ---: | ---: | --- | --- |
${recoveries
  .map((recovery) => {
    const { min, median: middle, max } = stats(recovery.resumed);
    return `| ${recovery.lockSeconds} | ${recovery.lockSeconds} s / ${fixed(stalledIntervalOf(recovery.lockSeconds))} s | ${fixed(recovery.lockSeconds + stalledIntervalOf(recovery.lockSeconds))} s | ${fixed(Math.min(...recovery.killedAfter))}–${fixed(Math.max(...recovery.killedAfter))} | ${fixed(min)} | ${fixed(middle)} | ${fixed(max)} | ${recovery.resumed.map((value) => fixed(value)).join(', ')} | ${meets(recovery) ? 'yes' : '**no**'} |`;
  })
  .join('\n')}

Every recovered job ended archived and deleted at Twilio, stalled once: ${recoveries.every((recovery) => recovery.allArchived) ? 'yes' : '**no**'}. A killed worker's lock lapses lockDuration after its last renewal (the first comes lockDuration / 2 into the job, then every lockDuration / 4), and the first stalled check after that (one every stalledInterval, across all workers) moves the job back to wait: a kill just after a renewal, with the check just missed, waits lockDuration + stalledInterval.

False stalls: one worker (concurrency 8) archiving recordings of ${busyRecordingSeconds / 60} min mono WAV (${(busyRecordingBytes / 2 ** 20).toFixed(0)} MiB each) for ${busySeconds} s, then finishing those queued, ${hogs} \`node -e 'for(;;){}'\` process${hogs === 1 ? '' : 'es'} keeping ${hogs === 1 ? 'a core' : 'cores'} busy beside it. Lowest lock TTL: the least time any active job's lock had left, sampled every 100 ms: a job's first renewal comes lockDuration / 2 into it, so about half the lock is the most it can be, and what is missing below that is how late a renewal came (0 would mean a live job could be taken over). Event-loop delay: the worker's own \`nodejs_eventloop_lag_max_seconds\`, scraped every second.

| JOB_LOCK_SECONDS | jobs | MiB/s | median job time | busy processes' CPU | whole machine busy | \`stalled\` events | jobs started more than once | failed | lowest lock TTL | worker's largest event-loop delay |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${busyRuns
  .map(
    (run) =>
      `| ${run.lockSeconds} | ${run.jobs} | ${fixed(run.mibPerSecond)} | ${fixed(run.jobSeconds)} s | ${fixed(run.hogCores, 2)} cores | ${fixed(run.machineCores, 2)} of ${cpus().length} cores | ${run.stalledEvents} | ${run.restarted} | ${run.failed} | ${fixed(run.lowestLockTtl, 2)} s | ${(run.maxLoopDelay * 1000).toFixed(0)} ms |`,
  )
  .join('\n')}

Target: a job orphaned by a SIGKILL runs again within ${targetSeconds} s, with no false stalls under a busy event loop. Every round within ${targetSeconds} s: JOB_LOCK_SECONDS = ${listOf(measuredOk)}. Worst case (lockDuration + stalledInterval) under ${targetSeconds} s: ${listOf(boundOk)}. No false stalls: ${listOf(stallFree)}${lockList.some((lock) => !falseStallLocks.includes(lock)) ? ` (measured for ${falseStallLocks.join(', ')} only)` : ''}. ${
    recommended === undefined
      ? '**No lock duration measured here meets all three.**'
      : `The longest that meets all three, **${recommended}**, leaves a live worker the most room for a pause: its first lock renewal comes ${fixed(recommended / 2)} s into a job, so only a stall longer than that could hand the job to another worker.`
  }
`;
  await writeSection('recovery', markdown);
  process.stdout.write(markdown);
} finally {
  await cleanUp();
}

/** User + system CPU time of a process so far, in ms (from /proc, in clock ticks of 10 ms). */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Busy CPU time of the whole machine so far, in ms (/proc/stat, clock ticks of 10 ms). */
async function machineBusyMs(): Promise<number> {
  const [, ...ticks] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]?.trim().split(/\s+/) ?? [];
  const [user = 0, nice = 0, system = 0, _idle, _iowait, irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
  return (user + nice + system + irq + softirq + steal) * 10;
}
