import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archiveJobId, QueueName } from '@recording-vault/contract';
import {
  type AppProcess,
  callbackParamsFor,
  type EmulatorAccount,
  freePort,
  type RedisTestServer,
  sendRecordingStatusCallback,
  startAppProcess,
  startRedisServer,
  startTwilioEmulator,
  type TwilioEmulator,
  testQueuePrefix,
} from '@recording-vault/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const demo = fileURLToPath(new URL('./demo.ts', import.meta.url));
const vault = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const publicBaseUrl = 'https://vault.example.com';
const dashboardPassword = 'a dashboard password';

function run(script: string, env: Record<string, string>): AppProcess {
  return startAppProcess(script, [], env);
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  run?: AppProcess,
): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (await condition()) return;
    if (run && run.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}\n${run?.stdout() ?? ''}\n${run?.stderr() ?? ''}`);
}

describe('pnpm start (all-in-one)', () => {
  let redis: RedisTestServer;
  let emulator: TwilioEmulator;
  let account: EmulatorAccount;
  const runs: AppProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    emulator = await startTwilioEmulator();
    account = emulator.addAccount();
  });
  afterEach(async () => {
    for (const { child } of runs.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await emulator?.close();
    await redis?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function stackEnv(): Promise<Record<string, string>> {
    const dir = await mkdtemp(join(tmpdir(), 'rv-all-in-one-'));
    dirs.push(dir);
    return {
      REDIS_URL: redis.url,
      LOG_LEVEL: 'info',
      TWILIO_ACCOUNT_SID: account.accountSid,
      TWILIO_AUTH_TOKEN: account.authToken,
      TWILIO_API_BASE_URL: emulator.baseUrl,
      PUBLIC_BASE_URL: publicBaseUrl,
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: String(await freePort()),
      DASHBOARD_HOST: '127.0.0.1',
      DASHBOARD_PORT: String(await freePort()),
      DASHBOARD_USER: 'operator',
      DASHBOARD_PASSWORD: dashboardPassword,
      WORKER_METRICS_HOST: '127.0.0.1',
      WORKER_METRICS_PORT: String(await freePort()),
      STORAGE_DIR: dir,
      JOB_BACKOFF_MS: '50',
    };
  }

  it('archives a signed callback end to end into a folder, serves the board, stops on SIGTERM', async () => {
    const { prefix, cleanup } = testQueuePrefix(redis.url);
    const env: Record<string, string> = { ...(await stackEnv()), QUEUE_PREFIX: prefix };
    const stack = run(main, env);
    runs.push(stack);
    await waitFor(() => stack.stdout().includes('Ctrl-C stops it.'), 'the start-up banner', stack);
    const banner = stack.stdout();
    const callbacks = `http://127.0.0.1:${env.INGEST_PORT}/twilio/recording-status`;
    expect(banner).toContain(`callbacks  ${callbacks}`);
    expect(banner).toContain(`give Twilio ${publicBaseUrl}/twilio/recording-status`);
    expect(banner).toContain(`dashboard  http://127.0.0.1:${env.DASHBOARD_PORT}/`);
    expect(banner).toContain(`metrics    http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`);

    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 6, channels: 2 });
    const response = await sendRecordingStatusCallback({
      url: callbacks,
      signedUrl: `${publicBaseUrl}/twilio/recording-status`,
      authToken: account.authToken,
      params: callbackParamsFor(recording),
    });
    expect(response.status).toBe(204);

    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QueueName.archive, { connection, prefix });
    try {
      const jobId = archiveJobId(recording.sid);
      await waitFor(async () => (await queue.getJobState(jobId)) === 'completed', 'the archive job', stack);
      const result = (await queue.getJob(jobId))?.returnvalue as { key: string; twilio: string };
      expect(result.twilio).toBe('deleted');
      expect(emulator.isDeleted(recording.sid)).toBe(true);
      // Both channels, byte for byte what Twilio served, in the folder.
      const stored = await readFile(join(env.STORAGE_DIR as string, result.key));
      const expected = await emulator.expectedMedia(recording.sid, { channels: 2 });
      expect(stored.length).toBe(expected.bytes);
      expect(createHash('sha256').update(stored).digest('hex')).toBe(expected.sha256);
    } finally {
      await queue.close();
      connection.disconnect();
    }

    const dashboard = `http://127.0.0.1:${env.DASHBOARD_PORT}`;
    expect((await fetch(`${dashboard}/api/queues`)).status).toBe(401);
    const authorization = `Basic ${Buffer.from(`operator:${dashboardPassword}`).toString('base64')}`;
    expect((await fetch(`${dashboard}/api/queues`, { headers: { authorization } })).status).toBe(200);
    expect((await fetch(`${dashboard}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`)).status).toBe(200);

    stack.child.kill('SIGTERM');
    expect(await stack.exited).toBe(0);
    for (const secret of [account.authToken, dashboardPassword]) {
      expect(stack.stdout()).not.toContain(secret);
      expect(stack.stderr()).not.toContain(secret);
    }
    await cleanup();
  });

  it('without a Redis, says how to start one and exits non-zero', async () => {
    const env = { ...(await stackEnv()), REDIS_URL: `redis://127.0.0.1:${await freePort()}` };
    const stack = run(main, env);
    runs.push(stack);
    expect(await stack.exited).toBe(1);
    expect(stack.stderr()).toContain(`Redis does not answer at ${env.REDIS_URL}`);
    expect(stack.stderr()).toContain('redis-server --appendonly yes');
    expect(stack.stderr()).toContain('docker run');
    expect(stack.stdout()).not.toContain('is running');
  });

  it('without dashboard credentials, lists every problem and exits non-zero', async () => {
    const env = await stackEnv();
    delete env.DASHBOARD_USER;
    delete env.DASHBOARD_PASSWORD;
    delete env.PUBLIC_BASE_URL;
    const stack = run(main, { ...env, TWILIO_AUTH_TOKEN: 'not-a-token' });
    runs.push(stack);
    expect(await stack.exited).toBe(1);
    const stderr = stack.stderr();
    for (const name of ['DASHBOARD_USER', 'DASHBOARD_PASSWORD', 'PUBLIC_BASE_URL', 'TWILIO_AUTH_TOKEN.0']) {
      expect(stderr).toContain(`${name}:`);
    }
    expect(stderr).toContain('DASHBOARD_AUTH=off');
    // Once each, although ingest and worker both read the Twilio token.
    expect(stderr.split('TWILIO_AUTH_TOKEN.0:').length).toBe(2);
    expect(stderr).not.toContain('not-a-token');
  });
});

describe('pnpm demo', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('archives the sample recordings, prints where to look and how to point vault at it, stops on Ctrl-C', async () => {
    const demoRun = run(demo, {
      REDIS_URL: redis.url,
      INGEST_PORT: String(await freePort()),
      DASHBOARD_PORT: String(await freePort()),
      WORKER_METRICS_PORT: String(await freePort()),
    });
    try {
      await waitFor(
        () => demoRun.stdout().includes('Ctrl-C stops it.'),
        'the demo to finish archiving',
        demoRun,
      );
      const out = demoRun.stdout();
      expect(out.match(/^archived {2}RE/gm)?.length).toBe(3);
      expect(out).not.toMatch(/^failed/m);
      const dashboard = /dashboard {2}(\S+)/.exec(out)?.[1] as string;
      const [, user, password] = /user (\S+), password (\S+)/.exec(out) ?? [];
      const storage = /storage {4}(\S+)/.exec(out)?.[1] as string;
      expect((await fetch(dashboard)).status).toBe(401);
      const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      expect((await fetch(dashboard, { headers: { authorization } })).status).toBe(200);

      // The printed lines, as an operator pastes them into another shell, point the CLI at the demo.
      const vaultEnv = Object.fromEntries(
        [...out.matchAll(/^ {2}export (\w+)='([^']*)'$/gm)].map(([, name, value]) => [name, value as string]),
      );
      expect(Object.keys(vaultEnv)).toEqual(
        expect.arrayContaining([
          'REDIS_URL',
          'QUEUE_PREFIX',
          'TWILIO_ACCOUNT_SID',
          'TWILIO_AUTH_TOKEN',
          'TWILIO_API_BASE_URL',
        ]),
      );
      const accountSid = vaultEnv.TWILIO_ACCOUNT_SID as string;
      const vaultRun = async (args: string[]) => {
        const cli = startAppProcess(vault, args, vaultEnv);
        return { code: await cli.exited, stdout: cli.stdout(), stderr: cli.stderr() };
      };
      const before = await vaultRun(['status']);
      expect(before).toMatchObject({ code: 0, stderr: '' });
      expect(before.stdout).toContain(`${accountSid}: archived 3 `);
      // The printed backfill finds the two recordings no callback announced, and the workers archive them.
      const backfill = /^ {2}pnpm vault (backfill --from \S+ --to \S+)$/m.exec(out)?.[1] as string;
      expect(backfill).toBeDefined();
      const backfilled = await vaultRun(backfill.split(' '));
      expect(backfilled.stderr).toBe('');
      expect(backfilled.code).toBe(0);
      expect(backfilled.stdout).toMatch(
        /backfill done in [^:]+: days \d\/\d, found 3 \(1 not completed at Twilio: nothing to archive\), enqueued 2, archived 2, skipped 0, failed 0/,
      );
      expect((await vaultRun(['status'])).stdout).toContain(`${accountSid}: archived 5 `);

      demoRun.child.kill('SIGINT');
      expect(await demoRun.exited).toBe(0);
      // The demo's jobs do not outlive it in a shared Redis.
      const client = new Redis(redis.url);
      expect(await client.keys('rv-demo:*')).toEqual([]);
      client.disconnect();
      await rm(storage, { recursive: true, force: true });
    } finally {
      if (demoRun.child.exitCode === null) demoRun.child.kill('SIGKILL');
    }
  });
});
