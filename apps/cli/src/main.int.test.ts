import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort, type RecordingResource, startAppProcess } from '@recording-vault/testkit';
import { type ArchiveRig, keyOf, startArchiveRig } from '@recording-vault/worker/testing/archive-rig';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./main.ts', import.meta.url));
const workerMain = fileURLToPath(new URL('../../worker/src/main.ts', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function run(args: string[], env: Record<string, string>): Promise<Result> {
  const vault = startAppProcess(cli, args, env);
  const code = await vault.exited;
  return { code, stdout: vault.stdout(), stderr: vault.stderr() };
}

describe('vault', () => {
  let rig: ArchiveRig;
  let env: Record<string, string>;
  let seeded: RecordingResource[];
  let redis: Redis;
  /** Listing jobs and archive jobs: what a command must not create when it refuses. */
  const enqueued = async () =>
    (await redis.keys(`${rig.prefix}:backfill:*`)).length + (await rig.queue.count());

  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder', accounts: 2 });
    const [first, second] = rig.accounts;
    if (!first || !second) throw new Error('two accounts expected');
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const accountsFile = join(await mkdtemp(join(tmpdir(), 'rv-cli-')), 'accounts.json');
    await writeFile(
      accountsFile,
      JSON.stringify([{ accountSid: second.accountSid, authToken: second.authToken }]),
    );
    env = {
      REDIS_URL: rig.redis.url,
      QUEUE_PREFIX: rig.prefix,
      TWILIO_ACCOUNT_SID: first.accountSid,
      TWILIO_AUTH_TOKEN: first.authToken,
      TWILIO_ACCOUNTS_FILE: accountsFile,
      TWILIO_API_BASE_URL: rig.emulator.baseUrl,
      JOB_BACKOFF_MS: '50',
      VAULT_PROGRESS_INTERVAL_MS: '200',
    };
    seeded = [
      ...rig.emulator.seedRecordings({
        accountSid: first.accountSid,
        count: 300,
        from: '2025-05-01',
        to: '2025-05-10T23:59:59Z',
        minDuration: 1,
        maxDuration: 3,
      }),
      ...rig.emulator.seedRecordings({
        accountSid: second.accountSid,
        count: 200,
        from: '2025-05-01',
        to: '2025-05-10T23:59:59Z',
        minDuration: 1,
        maxDuration: 3,
        channels: 2,
      }),
      ...rig.emulator.seedRecordings({
        accountSid: second.accountSid,
        count: 40,
        from: '2025-05-01',
        to: '2025-05-10T23:59:59Z',
        status: 'absent',
        seed: 'absent',
      }),
    ];
    redis = new Redis(rig.redis.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await rig.close();
  });

  it.each([
    [['backfill', '--from', '2025-05-01', '--to', '2025-13-01'], /--to 2025-13-01 is not a date/],
    [
      ['backfill', '--from', '2025-05-02', '--to', '2025-05-01'],
      /--from 2025-05-02 is after --to 2025-05-01/,
    ],
    [
      ['backfill', '--from', '2025-05-01', '--to', '2025-05-02', '--account', `AC${'9'.repeat(32)}`],
      /is not a configured account/,
    ],
    [['backfill', '--to', '2025-05-02'], /--from is required/],
    [['rewind'], /unknown command rewind/],
  ])('%j fails with one clear line and enqueues nothing', async (args, message) => {
    const result = await run(args, env);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')[0]).toMatch(message);
    expect(await enqueued()).toBe(0);
  });

  it('says so when Redis or Twilio cannot be reached, and enqueues nothing', async () => {
    const noRedis = await run(['backfill', '--from', '2025-05-01', '--to', '2025-05-02'], {
      ...env,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toMatch(
      /^vault: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n$/,
    );
    const noTwilio = await run(['backfill', '--from', '2025-05-01', '--to', '2025-05-02'], {
      ...env,
      TWILIO_API_BASE_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(noTwilio.code).toBe(1);
    expect(noTwilio.stderr).toMatch(/^vault: cannot reach Twilio at http:\/\/127\.0\.0\.1:\d+\/ for AC/);
    const badToken = await run(['backfill', '--from', '2025-05-01', '--to', '2025-05-02'], {
      ...env,
      TWILIO_AUTH_TOKEN: '0'.repeat(32),
    });
    expect(badToken.stderr).toMatch(
      /^vault: Twilio refused the credentials of AC[0-9a-f]{32} \(HTTP 401\)\n$/,
    );
    expect(await enqueued()).toBe(0);
  });

  it('--dry-run reports what the seed holds and changes nothing', async () => {
    const result = await run(['backfill', '--from', '2025-05-01', '--to', '2025-05-10', '--dry-run'], env);
    expect(result.code).toBe(0);
    const completed = seeded.filter((r) => r.status === 'completed');
    const minutes = completed.reduce((sum, r) => sum + Number(r.duration), 0) / 60;
    expect(result.stdout).toContain(
      `dry run, nothing enqueued: ${completed.length} recordings, ${minutes.toFixed(1)} minutes`,
    );
    expect(result.stdout).toContain(`$${(minutes * 0.0005).toFixed(2)} a month`);
    expect(result.stdout).toMatch(/240 recordings listed, 200 to archive/);
    expect(await enqueued()).toBe(0);
    expect(rig.emulator.requests.some((r) => r.route === 'delete' || r.route === 'media')).toBe(false);
  });

  it('--dry-run over 5,000 recordings in two accounts counts what the seed holds', async () => {
    const [first, second] = rig.accounts;
    if (!first || !second) throw new Error('two accounts expected');
    const june = { from: '2025-06-01T00:00:00Z', to: '2025-06-30T23:59:59Z' };
    const big = [
      ...rig.emulator.seedRecordings({
        accountSid: first.accountSid,
        count: 2_400,
        ...june,
        channels: { dualFraction: 0.3 },
        seed: 'june',
      }),
      ...rig.emulator.seedRecordings({
        accountSid: second.accountSid,
        count: 2_300,
        ...june,
        channels: { dualFraction: 0.3 },
        seed: 'june',
      }),
      ...rig.emulator.seedRecordings({
        accountSid: second.accountSid,
        count: 200,
        ...june,
        status: 'absent',
        seed: 'june-absent',
      }),
      ...rig.emulator.seedRecordings({
        accountSid: first.accountSid,
        count: 100,
        ...june,
        seed: 'june-gone',
      }),
    ];
    expect(big).toHaveLength(5_000);
    for (const recording of big.slice(-100)) rig.emulator.deleteRecording(recording.sid);
    const requestsBefore = rig.emulator.requests.length;

    const result = await run(['backfill', '--from', '2025-06-01', '--to', '2025-06-30', '--dry-run'], env);
    expect(result.code).toBe(0);
    const completed = big.slice(0, 4_700);
    const minutes = completed.reduce((sum, r) => sum + Number(r.duration), 0) / 60;
    const bytes = completed.reduce((sum, r) => sum + 44 + Number(r.duration) * 16_000 * r.channels, 0);
    expect(result.stdout).toContain(`${first.accountSid}: 2400 recordings listed, 2400 to archive`);
    expect(result.stdout).toContain(`${second.accountSid}: 2500 recordings listed, 2300 to archive`);
    expect(result.stdout).toContain(
      `dry run, nothing enqueued: 4700 recordings, ${minutes.toFixed(1)} minutes, about ${(bytes / 2 ** 30).toFixed(1)} GiB`,
    );
    const madeByTheRun = rig.emulator.requests.slice(requestsBefore);
    expect(madeByTheRun.every((r) => r.route === 'list' && r.method === 'GET')).toBe(true);
    expect(await enqueued()).toBe(0);
  });

  it('backfills with a worker killed midway and a second run, archiving every recording exactly once', async () => {
    const workerEnv = {
      ...env,
      STORAGE_DIR: '',
      WORKER_METRICS_PORT: String(await freePort()),
      JOB_LOCK_SECONDS: '2',
      RECONCILE_EVERY: '0',
      LOG_LEVEL: 'warn',
    };
    // The worker process stores into the rig's folder, so the rig can check what it wrote.
    workerEnv.STORAGE_DIR = rig.store.location.replace(/^file:\/\//, '');
    const startWorker = (): ChildProcess =>
      spawn(process.execPath, ['--conditions=source', workerMain], {
        env: { PATH: process.env.PATH ?? '', ...workerEnv },
        stdio: 'ignore',
      });

    let worker = startWorker();
    const first = run(['backfill', '--from', '2025-05-01', '--to', '2025-05-10'], env);
    while (rig.emulator.requests.filter((r) => r.route === 'delete').length < 100)
      await new Promise((r) => setTimeout(r, 20));
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    worker = startWorker();
    const firstResult = await first;
    expect(firstResult.code).toBe(0);
    expect(firstResult.stdout).toMatch(/backfill: days 20\/20, found 540, enqueued 500/);

    const second = await run(['backfill', '--from', '2025-05-01', '--to', '2025-05-10'], env);
    expect(second.code).toBe(0);
    worker.kill('SIGTERM');
    await once(worker, 'exit');

    const completed = seeded.filter((r) => r.status === 'completed');
    const deletes = rig.emulator.requests.filter((r) => r.route === 'delete' && r.status === 204);
    expect(deletes).toHaveLength(completed.length);
    expect(new Set(deletes.map((r) => r.recordingSid)).size).toBe(completed.length);
    for (const recording of completed.filter((_, i) => i % 25 === 0)) {
      expect(await rig.store.hash(keyOf(recording))).toEqual(
        await rig.emulator.expectedMedia(recording.sid, { channels: recording.channels === 2 ? 2 : 1 }),
      );
    }
    for (const recording of seeded.filter((r) => r.status === 'absent'))
      expect(rig.emulator.isDeleted(recording.sid)).toBe(false);

    const status = await run(['status', '--json'], env);
    const statuses = JSON.parse(status.stdout) as Array<{
      accountSid: string;
      archived: number;
      pending: number;
      failed: number;
    }>;
    expect(statuses.map((s) => s.archived).reduce((a, b) => a + b, 0)).toBe(completed.length);
    expect(statuses.every((s) => s.pending === 0 && s.failed === 0)).toBe(true);
  });
});
