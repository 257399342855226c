import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
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
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { composeRedisHostPort } from './redis-probe.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const demo = fileURLToPath(new URL('./demo.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const vault = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const publicBaseUrl = 'https://vault.example.com';
const dashboardPassword = 'a dashboard password';
const linkSecret = 'a link secret of at least thirty-two characters';

function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

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
      RECORDINGS_API_HOST: '127.0.0.1',
      RECORDINGS_API_PORT: String(await freePort()),
      RECORDINGS_LINK_SECRET: linkSecret,
      STORAGE_DIR: dir,
      JOB_BACKOFF_MS: '50',
    };
  }

  it('archives a signed callback end to end into a folder, serves it back and the board, stops on SIGTERM', async () => {
    const { prefix, cleanup } = testQueuePrefix(redis.url);
    const { TWILIO_AUTH_TOKEN, DASHBOARD_PASSWORD, RECORDINGS_LINK_SECRET, ...rest } = await stackEnv();
    // Secrets from files, as Docker secrets mount them (with a trailing newline).
    const secrets = await mkdtemp(join(tmpdir(), 'rv-secrets-'));
    dirs.push(secrets);
    await writeFile(join(secrets, 'twilio_auth_token'), `${TWILIO_AUTH_TOKEN}\n`);
    await writeFile(join(secrets, 'dashboard_password'), `${DASHBOARD_PASSWORD}\n`);
    await writeFile(join(secrets, 'recordings_link_secret'), `${RECORDINGS_LINK_SECRET}\n`);
    const env: Record<string, string> = {
      ...rest,
      QUEUE_PREFIX: prefix,
      TWILIO_AUTH_TOKEN_FILE: join(secrets, 'twilio_auth_token'),
      DASHBOARD_PASSWORD_FILE: join(secrets, 'dashboard_password'),
      RECORDINGS_LINK_SECRET_FILE: join(secrets, 'recordings_link_secret'),
    };
    const stack = run(main, env);
    runs.push(stack);
    await waitFor(() => stack.stdout().includes('Ctrl-C stops it.'), 'the start-up banner', stack);
    const banner = stack.stdout();
    const callbacks = `http://127.0.0.1:${env.INGEST_PORT}/twilio/recording-status`;
    expect(banner).toContain(`callbacks  ${callbacks}`);
    expect(banner).toContain(`give Twilio ${publicBaseUrl}/twilio/recording-status`);
    expect(banner).toContain(`dashboard  http://127.0.0.1:${env.DASHBOARD_PORT}/`);
    expect(banner).toContain(`metrics    http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`);
    const recordingsApi = `http://127.0.0.1:${env.RECORDINGS_API_PORT}`;
    expect(banner).toContain(`recordings ${recordingsApi}\n`);

    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 6, channels: 2 });
    const response = await sendRecordingStatusCallback({
      url: callbacks,
      signedUrl: `${publicBaseUrl}/twilio/recording-status`,
      authToken: account.authToken,
      params: callbackParamsFor(recording),
    });
    expect(response.status).toBe(204);

    // The ingest API here is the same server as apps/ingest-api's: a request Node's parser refuses is
    // answered in JSON too.
    const socket = connect(Number(env.INGEST_PORT), '127.0.0.1');
    socket.end('POST /twilio/recording-status HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n');
    let raw = '';
    for await (const chunk of socket) raw += chunk;
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw).toContain('Content-Type: application/json');
    expect(raw).toContain('{"error":"malformed request: bad request"}');

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
      expect(sha256(stored)).toBe(expected.sha256);

      // Deleted at Twilio, it plays from the stack's recordings API: the twilio SDK with its base URL
      // switched, and the media through media_url with the same credentials.
      const client = twilio(account.accountSid, account.authToken);
      client.api.baseUrl = recordingsApi;
      const fetched = await client.recordings(recording.sid).fetch();
      expect(fetched).toMatchObject({ sid: recording.sid, callSid: recording.call_sid, channels: 2 });
      expect(fetched.mediaUrl).toBe(
        `${recordingsApi}/2010-04-01/Accounts/${account.accountSid}/Recordings/${recording.sid}`,
      );
      expect((await client.recordings.list({ callSid: recording.call_sid })).map((r) => r.sid)).toEqual([
        recording.sid,
      ]);
      const media = await fetch(`${fetched.mediaUrl}.wav`, {
        headers: { authorization: basicAuth(account.accountSid, account.authToken) },
      });
      expect(media.status).toBe(200);
      expect(sha256(Buffer.from(await media.arrayBuffer()))).toBe(expected.sha256);
      expect((await fetch(`${fetched.mediaUrl}.wav`)).status).toBe(401);
      expect((await fetch(`${recordingsApi}/healthz`)).status).toBe(200);
    } finally {
      await queue.close();
      connection.disconnect();
    }

    const dashboard = `http://127.0.0.1:${env.DASHBOARD_PORT}`;
    expect((await fetch(`${dashboard}/api/queues`)).status).toBe(401);
    const authorization = basicAuth('operator', dashboardPassword);
    expect((await fetch(`${dashboard}/api/queues`, { headers: { authorization } })).status).toBe(200);
    expect((await fetch(`${dashboard}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`)).status).toBe(200);

    stack.child.kill('SIGTERM');
    expect(await stack.exited).toBe(0);
    for (const secret of [account.authToken, dashboardPassword, linkSecret]) {
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
    expect(stack.stderr()).toContain(`export REDIS_URL=redis://127.0.0.1:${composeRedisHostPort}`);
    expect(stack.stdout()).not.toContain('is running');
  });

  it("points at compose's Redis where compose publishes it, which is not a local Redis's 6379", async () => {
    const compose = await readFile(join(root, 'docker-compose.yml'), 'utf8');
    const published = /"127\.0\.0\.1:\$\{REDIS_HOST_PORT:-(\d+)\}:6379"/.exec(compose)?.[1];
    expect(Number(published)).toBe(composeRedisHostPort);
    expect(await readFile(join(root, '.env.example'), 'utf8')).toContain(
      `\nREDIS_HOST_PORT=${composeRedisHostPort}\n`,
    );
    expect(composeRedisHostPort).not.toBe(6379);
  });

  it('with WORKER_METRICS_PORT taken, runs with its metrics on a free port and says so', async () => {
    const { prefix, cleanup } = testQueuePrefix(redis.url);
    const env: Record<string, string> = { ...(await stackEnv()), QUEUE_PREFIX: prefix };
    const taken = createServer().listen(Number(env.WORKER_METRICS_PORT), '127.0.0.1');
    await once(taken, 'listening');
    try {
      const stack = run(main, env);
      runs.push(stack);
      await waitFor(() => stack.stdout().includes('Ctrl-C stops it.'), 'the start-up banner', stack);
      const metrics = /metrics {4}(\S+)/.exec(stack.stdout())?.[1] as string;
      expect(metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(metrics).not.toContain(`:${env.WORKER_METRICS_PORT}/`);
      expect((await fetch(metrics)).status).toBe(200);
      expect(stack.stdout()).toContain(`WORKER_METRICS_PORT ${env.WORKER_METRICS_PORT} is in use`);
      stack.child.kill('SIGTERM');
      expect(await stack.exited).toBe(0);
    } finally {
      taken.close();
      await cleanup();
    }
  });

  it('refuses the placeholders of .env.example as they stand, saying what to do', async () => {
    const example = Object.fromEntries(
      (await readFile(join(root, '.env.example'), 'utf8'))
        .split('\n')
        .filter((line) => /^[A-Z0-9_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const stack = run(main, example);
    runs.push(stack);
    expect(await stack.exited).toBe(1);
    const problems = stack
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('  - '));
    expect(problems.sort()).toEqual([
      '  - DASHBOARD_PASSWORD: is the placeholder from .env.example: choose a password of your own',
      '  - RECORDINGS_LINK_SECRET: is the placeholder from .env.example: choose a random secret of your own (openssl rand -base64 32)',
      '  - S3_SECRET_KEY: is the placeholder from .env.example: choose a secret of your own',
      '  - TWILIO_ACCOUNT_SID: is a placeholder (all zeros): set your account SID from the Twilio Console',
      '  - TWILIO_AUTH_TOKEN: is a placeholder (all zeros): set your auth token from the Twilio Console',
    ]);
  });

  it("says what is wrong with every variable in plain words, naming it, never showing a secret's value", async () => {
    const secrets = {
      TWILIO_AUTH_TOKEN: 'not-a-token-secret',
      TWILIO_API_KEY_SECRET: 'short-secret',
      DASHBOARD_PASSWORD: 'pw-secret',
      METRICS_TOKEN: 'metrics-secret',
      RECORDINGS_LINK_SECRET: 'short-link-secret',
    };
    const bad: Record<string, string> = {
      ...secrets,
      REDIS_URL: '127.0.0.1:6379',
      QUEUE_PREFIX: 'rv:prod',
      LOG_LEVEL: 'verbose',
      JOB_ATTEMPTS: '0',
      JOB_BACKOFF_MS: '5s',
      JOB_BACKOFF_MAX_MS: '-1',
      KEEP_COMPLETED_SECONDS: '1e9',
      TWILIO_ACCOUNT_SID: 'AC123',
      TWILIO_API_KEY_SID: 'SK123',
      TWILIO_API_BASE_URL: 'api.twilio.com',
      TWILIO_ACCOUNTS_FILE: '/nonexistent/accounts.yaml',
      S3_ENDPOINT: 'ftp://minio:9000',
      S3_BUCKET: 'My Bucket',
      PUBLIC_BASE_URL: 'vault.example.com',
      INGEST_PORT: '70000',
      RECORDING_FORMAT: 'ogg',
      DELETE_FROM_TWILIO: 'maybe',
      PURGE_DELAY: 'soon',
      WORKER_CONCURRENCY: '0',
      TWILIO_MAX_CONCURRENCY: 'many',
      ARCHIVE_RATE_LIMIT: '-5',
      SHUTDOWN_GRACE_SECONDS: '1m',
      JOB_LOCK_SECONDS: '0',
      RETRY_AFTER_MAX_SECONDS: 'x',
      DOWNLOAD_DEADLINE_BASE_SECONDS: '1.5',
      DOWNLOAD_MIN_BYTES_PER_SECOND: '64k',
      RECONCILE_EVERY: '15',
      RECONCILE_WINDOW: '2 days',
      WORKER_METRICS_PORT: 'metrics',
      DASHBOARD_PORT: '65536',
      DASHBOARD_AUTH: 'maybe',
      DASHBOARD_TRUST_PROXY: 'true',
      RECORDINGS_API_PORT: '99999',
      RECORDINGS_API_PUBLIC_URL: 'vault.example.com:3002',
      RECORDINGS_API_TRUST_PROXY: 'true',
    };
    const stack = run(main, bad);
    runs.push(stack);
    expect(await stack.exited).toBe(1);
    const stderr = stack.stderr();
    expect(stderr).toMatch(/^recording-vault: invalid configuration:\n/);
    const problems = stderr.trim().split('\n').slice(1);
    for (const problem of problems) {
      expect(problem).toMatch(/^ {2}- [A-Z0-9_]+: [a-z]/);
      expect(problem).not.toMatch(/expected|received|Invalid|Too (big|small)|[A-Z_]\.\d|\[object/);
    }
    const named = new Set(problems.map((problem) => /^ {2}- ([A-Z0-9_]+):/.exec(problem)?.[1]));
    for (const name of Object.keys(bad)) expect(named, name).toContain(name);
    for (const value of Object.values(secrets)) expect(stderr).not.toContain(value);
    expect(stderr).toContain(
      '  - PUBLIC_BASE_URL: needs a scheme: https://vault.example.com (got vault.example.com)',
    );
    expect(stderr).toContain('  - INGEST_PORT: must be a port number from 0 to 65535 (got 70000)');
  });

  it('without dashboard credentials or a link secret, lists every problem and exits non-zero', async () => {
    const env = await stackEnv();
    delete env.DASHBOARD_USER;
    delete env.DASHBOARD_PASSWORD;
    delete env.PUBLIC_BASE_URL;
    delete env.RECORDINGS_LINK_SECRET;
    const stack = run(main, { ...env, TWILIO_AUTH_TOKEN: 'not-a-token' });
    runs.push(stack);
    expect(await stack.exited).toBe(1);
    const stderr = stack.stderr();
    for (const name of ['DASHBOARD_USER', 'DASHBOARD_PASSWORD', 'PUBLIC_BASE_URL', 'TWILIO_AUTH_TOKEN']) {
      expect(stderr).toContain(`${name}:`);
    }
    expect(stderr).toContain('  - RECORDINGS_LINK_SECRET: is required\n');
    expect(stderr).toContain('DASHBOARD_AUTH=off');
    // Once each, although ingest and worker both read the Twilio token.
    expect(stderr.split('TWILIO_AUTH_TOKEN:').length).toBe(2);
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
      const [, user = '', password = ''] = /user (\S+), password (\S+)/.exec(out) ?? [];
      const storage = /storage {4}(\S+)/.exec(out)?.[1] as string;
      expect((await fetch(dashboard)).status).toBe(401);
      expect((await fetch(dashboard, { headers: { authorization: basicAuth(user, password) } })).status).toBe(
        200,
      );

      // The archive plays back from the demo's recordings API: the printed curl, and the signed link.
      const recordingsApi = /^ {2}recordings (\S+)/m.exec(out)?.[1] as string;
      expect((await fetch(`${recordingsApi}/healthz`)).status).toBe(200);
      const [, curlUser = '', resourceUrl = ''] = /^ {2}curl -u '([^']+)' (\S+\.json)$/m.exec(out) ?? [];
      expect(resourceUrl.startsWith(`${recordingsApi}/2010-04-01/Accounts/`)).toBe(true);
      const [curlSid = '', curlToken = ''] = curlUser.split(':');
      const resource = await fetch(resourceUrl, {
        headers: { authorization: basicAuth(curlSid, curlToken) },
      });
      expect(resource.status).toBe(200);
      const shown = (await resource.json()) as { sid: string; channels: number; duration: string };
      expect(shown.channels).toBe(2);
      expect((await fetch(resourceUrl)).status).toBe(401);
      const link = /^ {2}(http:\/\/\S+\/v1\/media\/\S+)$/m.exec(out)?.[1] as string;
      expect(link).toContain(shown.sid);
      const played = await fetch(link);
      expect(played.status).toBe(200);
      const wav = Buffer.from(await played.arrayBuffer());
      expect(wav.readUInt16LE(22)).toBe(2);
      // Both channels, whole: 16-bit 8 kHz PCM per channel after a 44-byte header.
      expect(wav.length).toBe(44 + Number(shown.duration) * 2 * 16_000);

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

describe('the Node.js version check every root script runs first', () => {
  const check = join(root, 'scripts', 'require-node.mjs');
  const [major = 0] = process.versions.node.split('.').map(Number);

  it('is loaded by every script of the root package.json that runs node', async () => {
    const { scripts } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const viaNode = Object.entries(scripts).filter(([, command]) => command.startsWith('node '));
    expect(viaNode.length).toBeGreaterThan(5);
    for (const [name, command] of viaNode) {
      expect(command, name).toMatch(/^node --import \.\/scripts\/require-node\.mjs /);
    }
  });

  it('lets a Node.js that package.json engines accepts run the script', () => {
    const result = spawnSync(process.execPath, ['--import', check, '-e', 'process.stdout.write("ran")'], {
      encoding: 'utf8',
    });
    expect(result).toMatchObject({ status: 0, stdout: 'ran', stderr: '' });
  });

  it('stops any other with one line, before any TypeScript is loaded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rv-require-node-'));
    await mkdir(join(dir, 'scripts'));
    await copyFile(check, join(dir, 'scripts', 'require-node.mjs'));
    await writeFile(join(dir, 'app.ts'), 'process.stdout.write("loaded");\n');
    const runWith = async (engines: string) => {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ engines: { node: engines } }));
      return spawnSync(process.execPath, ['--import', './scripts/require-node.mjs', 'app.ts'], {
        cwd: dir,
        encoding: 'utf8',
      });
    };
    try {
      expect(await runWith(`>=${major + 1}.2.0 <${major + 2}`)).toMatchObject({
        status: 1,
        stdout: '',
        stderr: `Recording Vault needs Node.js ${major + 1}.2 or later (this is ${process.versions.node}): see README\n`,
      });
      expect(await runWith(`>=${major - 1}.0.0 <${major}`)).toMatchObject({
        status: 1,
        stdout: '',
        stderr: `Recording Vault needs Node.js ${major - 1}.0 or later, below ${major} (this is ${process.versions.node}): see README\n`,
      });
      expect(await runWith(`>=${major}.0.0 <${major + 1}`)).toMatchObject({ status: 0, stdout: 'loaded' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
