import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { archiveJobId } from '@recording-vault/contract';
import { type AppProcess, freePort, startAppProcess } from '@recording-vault/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ArchiveRig,
  assertEveryDeleteWasSafe,
  keyOf,
  startArchiveRig,
  waitFor,
} from './testing/archive-rig.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function startWorkerProcess(env: Record<string, string>): AppProcess {
  return startAppProcess(main, [], { LOG_LEVEL: 'warn', ...env });
}

/** The worker's log so far, one object per line (pino writes JSON to stdout). */
function logOf(worker: AppProcess): Array<{ level: string; msg: string; [key: string]: unknown }> {
  return worker
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

async function rigEnv(rig: ArchiveRig): Promise<Record<string, string>> {
  if (!rig.s3) throw new Error('the process tests use the S3 driver');
  return {
    REDIS_URL: rig.redis.url,
    QUEUE_PREFIX: rig.prefix,
    TWILIO_ACCOUNT_SID: rig.account.accountSid,
    TWILIO_AUTH_TOKEN: rig.account.authToken,
    TWILIO_API_BASE_URL: rig.emulator.baseUrl,
    S3_ENDPOINT: rig.s3.endpoint,
    S3_ACCESS_KEY: rig.s3.accessKey,
    S3_SECRET_KEY: rig.s3.secretKey,
    S3_BUCKET: 'recordings',
    WORKER_METRICS_PORT: String(await freePort()),
    WORKER_METRICS_HOST: '127.0.0.1',
    JOB_LOCK_SECONDS: '2',
    JOB_BACKOFF_MS: '50',
  };
}

describe('worker process', () => {
  let rig: ArchiveRig | undefined;
  let child: ChildProcess | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const other of [child, ...children.splice(0)]) {
      if (other && other.exitCode === null) other.kill('SIGKILL');
    }
    await rig?.close();
    rig = undefined;
  });

  it('refuses to start on a bad configuration, naming every bad variable', async () => {
    const worker = startWorkerProcess({
      TWILIO_ACCOUNT_SID: 'nope',
      S3_ENDPOINT: 'http://minio:9000',
      RECORDING_FORMAT: 'ogg',
    });
    child = worker.child;
    expect(await worker.exited).toBe(1);
    const stderr = worker.stderr();
    for (const name of [
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'S3_ACCESS_KEY',
      'S3_SECRET_KEY',
      'RECORDING_FORMAT',
    ]) {
      expect(stderr).toContain(`${name}:`);
    }
  });

  it('with the same environment as another worker on this host, runs on with its metrics on a free port', async () => {
    rig = await startArchiveRig({ driver: 's3' });
    const env: Record<string, string> = { ...(await rigEnv(rig)), LOG_LEVEL: 'info' };
    const first = startWorkerProcess(env);
    const second = startWorkerProcess(env);
    children.push(first.child, second.child);
    const started = (worker: AppProcess) => logOf(worker).some((line) => line.msg === 'worker started');
    await waitFor(() => started(first) && started(second), 'both workers to start');

    // Whichever bound the port first keeps it; the other says once where its metrics went instead.
    const moved = [first, second].flatMap((worker) =>
      logOf(worker).filter((line) => String(line.msg).includes('WORKER_METRICS_PORT')),
    );
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ level: 'warn', port: Number(env.WORKER_METRICS_PORT) });
    expect(moved[0]?.msg).toContain(`WORKER_METRICS_PORT ${env.WORKER_METRICS_PORT} is in use`);
    for (const port of [env.WORKER_METRICS_PORT, String(moved[0]?.instead)]) {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }

    // Both run on, and the jobs are archived.
    const recordings = [rig.addRecording({ duration: 3 }), rig.addRecording({ duration: 3 })];
    for (const recording of recordings) await rig.enqueue(recording);
    for (const recording of recordings) {
      expect((await rig.settle(recording.sid)).returnvalue).toMatchObject({ outcome: 'archived' });
    }
    expect([first.child.exitCode, second.child.exitCode]).toEqual([null, null]);
    expect(first.stderr() + second.stderr()).not.toContain('EADDRINUSE');
  });

  it('says once that Redis is unreachable at start, and once that it is back, then starts', async () => {
    rig = await startArchiveRig({ driver: 's3' });
    const env = { ...(await rigEnv(rig)), LOG_LEVEL: 'info', RECONCILE_EVERY: '0' };
    await rig.redis.stop();
    const worker = startWorkerProcess(env);
    child = worker.child;
    const lines = (text: string) => logOf(worker).filter((line) => String(line.msg).startsWith(text));
    await waitFor(() => lines('redis unreachable').length > 0, 'the worker to find Redis unreachable');
    // ioredis retries every half second or so, a few times in this while: none of it is worth a line.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const said = logOf(worker).filter((line) => line.level !== 'info' || /redis/i.test(line.msg));
    expect(said.map((line) => line.msg)).toEqual(['redis unreachable; waiting for it']);

    await rig.redis.start();
    await waitFor(() => lines('worker started').length > 0, 'the worker to start');
    expect(lines('redis')).toHaveLength(2);
    expect(lines('redis connected')).toHaveLength(1);
    expect(worker.child.exitCode).toBeNull();
  });

  it('killed with SIGKILL mid-upload, its job is finished by another worker, once', async () => {
    rig = await startArchiveRig({ driver: 's3' });
    // About 40 MB: a multipart upload that takes a while.
    const recording = rig.addRecording({ duration: 2_500, channels: 1 });
    await rig.enqueue(recording);
    child = startWorkerProcess(await rigEnv(rig)).child;
    const queue = rig.queue;
    await waitFor(async () => {
      const progress = (await queue.getJob(archiveJobId(recording.sid)))?.progress;
      return typeof progress === 'object' && progress !== null && (progress as { bytes: number }).bytes > 0;
    }, 'the upload to start');
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(rig.emulator.isDeleted(recording.sid)).toBe(false);

    await rig.startWorker({}, { lockDurationMs: 2_000 });
    const job = await rig.settle(recording.sid, 60_000);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    const expected = await rig.emulator.expectedMedia(recording.sid);
    expect(await rig.store.hash(keyOf(recording))).toEqual(expected);
    const deletes = rig.emulator.requests.filter(
      (r) => r.route === 'delete' && r.recordingSid === recording.sid,
    );
    expect(deletes.map((r) => r.status)).toEqual([204]);
    await assertEveryDeleteWasSafe(rig);
  });

  it('waits for storage that is down at start-up instead of exiting, then archives', async () => {
    rig = await startArchiveRig({ driver: 's3' });
    await rig.s3?.stop();
    const recording = rig.addRecording({ duration: 3 });
    await rig.enqueue(recording);
    child = startWorkerProcess(await rigEnv(rig)).child;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(child.exitCode).toBeNull();
    expect(rig.emulator.requests.some((r) => r.route === 'delete')).toBe(false);
    await rig.s3?.start();
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    await assertEveryDeleteWasSafe(rig);
  });

  it('reports what it did on /metrics', async () => {
    rig = await startArchiveRig({ driver: 's3' });
    const recording = rig.addRecording({ duration: 4, channels: 1 });
    await rig.enqueue(recording);
    const env = await rigEnv(rig);
    child = startWorkerProcess(env).child;
    await rig.settle(recording.sid);
    const expected = await rig.emulator.expectedMedia(recording.sid);
    const metrics = await (await fetch(`http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`)).text();
    expect(metrics).toContain('rv_worker_recordings_total{outcome="archived"} 1');
    expect(metrics).toContain(`rv_worker_archived_bytes_total ${expected.bytes}`);
    expect(metrics).toContain('rv_worker_twilio_responses_total{kind="rest",status="204"} 1');
    expect(metrics).toContain('rv_worker_twilio_responses_total{kind="media",status="200"} 1');
    expect(metrics).toContain('rv_worker_queue_jobs{queue="archive",state="completed"} 1');
    expect(metrics).toMatch(/rv_worker_step_duration_seconds_count\{step="verify-delete"\} 1/);
    expect(metrics).toContain('rv_worker_oldest_waiting_seconds{queue="archive"} 0');
  });

  it('on SIGTERM, stops taking jobs, lets the active one finish and exits 0', async () => {
    rig = await startArchiveRig({ driver: 's3' });
    const active = rig.addRecording({ duration: 1_500, channels: 1 });
    await rig.enqueue(active);
    const env = await rigEnv(rig);
    child = startWorkerProcess(env).child;
    await waitFor(async () => (await rig?.queue.getActiveCount()) === 1, 'the job to start');
    child.kill('SIGTERM');
    const health = `http://127.0.0.1:${env.WORKER_METRICS_PORT}/healthz`;
    await waitFor(
      async () => (await fetch(health).catch(() => undefined))?.status === 503,
      'the worker to stop',
    );
    const waiting = rig.addRecording({ duration: 5, channels: 1 });
    await rig.enqueue(waiting);
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(await rig.queue.getJobState(archiveJobId(active.sid))).toBe('completed');
    expect(rig.emulator.isDeleted(active.sid)).toBe(true);
    // A job added as the worker stops is either left waiting for another worker or, if the worker's last
    // fetch had already taken it, finished: never left active under a lock nobody holds.
    const late = await rig.queue.getJobState(archiveJobId(waiting.sid));
    expect(['waiting', 'completed']).toContain(late);
    expect(rig.emulator.isDeleted(waiting.sid)).toBe(late === 'completed');
    expect(await rig.queue.getActiveCount()).toBe(0);
  });

  it('on SIGTERM while Redis is down, stops after the grace period instead of waiting for Redis', async () => {
    rig = await startArchiveRig({ driver: 's3' });
    // The job stays active, in its lookup at Twilio, while Redis goes away.
    rig.emulator.injectFault({ route: 'fetch', kind: 'latency', ms: 60_000 });
    const recording = rig.addRecording({ duration: 5, channels: 1 });
    await rig.enqueue(recording);
    const env = { ...(await rigEnv(rig)), SHUTDOWN_GRACE_SECONDS: '1', LOG_LEVEL: 'info' };
    const worker = startWorkerProcess(env);
    child = worker.child;
    await waitFor(async () => (await rig?.queue.getActiveCount()) === 1, 'the job to start');
    await rig.redis.kill();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(logOf(worker).map((line) => line.msg)).toContain(
      'Redis does not take the last commands: stopping without them; jobs still held are taken up by another worker once their locks lapse',
    );
    expect(rig.emulator.isDeleted(recording.sid)).toBe(false);
  });
});
