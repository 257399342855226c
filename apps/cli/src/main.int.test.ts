import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RecordingResource, startAppProcess, testQueuePrefix } from '@recording-vault/testkit';
import { type ArchiveRig, keyOf, startArchiveRig } from '@recording-vault/worker/testing/archive-rig';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunInTerminal, runCli, runCliInTerminal } from './testing/cli-run.ts';

const workerMain = fileURLToPath(new URL('../../worker/src/main.ts', import.meta.url));

const run = (args: string[], env: Record<string, string>) => runCli(args, env);
const runInTerminal = (args: string[], env: Record<string, string>) => runCliInTerminal(args, env);

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

  /** A worker process on the rig's Redis, Twilio emulator and folder; `extra` changes its environment. */
  async function startWorker(extra: Record<string, string> = {}): Promise<ChildProcess> {
    const workerEnv = {
      ...env,
      // The worker process stores into the rig's folder, so the rig can check what it wrote.
      STORAGE_DIR: rig.store.location.replace(/^file:\/\//, ''),
      WORKER_METRICS_PORT: String(await freePort()),
      JOB_LOCK_SECONDS: '2',
      RECONCILE_EVERY: '0',
      LOG_LEVEL: 'warn',
      ...extra,
    };
    return startAppProcess(workerMain, [], workerEnv, { output: 'ignore' }).child;
  }

  async function stop(worker: ChildProcess): Promise<void> {
    if (worker.exitCode !== null || worker.signalCode !== null) return;
    const exited = once(worker, 'exit');
    worker.kill('SIGTERM');
    await exited;
  }

  it('--help, -h, help and <command> --help print usage and exit 0 without any configuration', async () => {
    const cases: Array<[string[], string]> = [
      [['--help'], 'usage:'],
      [['-h'], 'usage:'],
      [['help'], 'usage:'],
      [['backfill', '--help'], 'usage: vault backfill'],
      [['backfill', '-h'], 'usage: vault backfill'],
      [['help', 'backfill'], 'usage: vault backfill'],
      [['status', '--help'], 'usage: vault status'],
      [['accounts', '--help'], 'usage: vault accounts'],
      [['help', 'accounts'], 'usage: vault accounts'],
    ];
    // No environment at all: not even REDIS_URL or a Twilio account.
    const results = await Promise.all(cases.map(([args]) => run(args, {})));
    for (const [i, result] of results.entries()) {
      const [args, usage] = cases[i] as [string[], string];
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^${usage}`, 'm'));
      expect(result.stdout).toContain('exit codes:');
    }
    expect(results[0]?.stdout).toContain('vault accounts [--check] [--json]');
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
    [['backfill', '--from', 'today', '--to', 'today', '--sine', 'x'], /Unknown option '--sine'/],
    [['status', '--jsn'], /Unknown option '--jsn'/],
    [['accounts', '--chek'], /Unknown option '--chek'/],
    [['rewind'], /unknown command rewind/],
    [[], /a command is required/],
  ])('%j is a usage error: one clear line, exit code 2, nothing enqueued', async (args, message) => {
    const result = await run(args, env);
    expect(result.code).toBe(2);
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
      TWILIO_AUTH_TOKEN: 'f'.repeat(32),
    });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(
      /^vault: Twilio refused the credentials of AC[0-9a-f]{32} \(HTTP 401\)\n$/,
    );
    expect(await enqueued()).toBe(0);
  });

  /** The environment with `entries` as the accounts file; the single account of TWILIO_ACCOUNT_SID stays. */
  async function withAccountsFile(entries: object[], base = env): Promise<Record<string, string>> {
    const file = join(await mkdtemp(join(tmpdir(), 'rv-cli-accounts-')), 'accounts.json');
    await writeFile(file, JSON.stringify(entries));
    return { ...base, TWILIO_ACCOUNTS_FILE: file };
  }

  /** Piped output: a line per account, its columns separated by tabs. */
  const rowsOf = (stdout: string) =>
    stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split('\t'));

  it('accounts lists each account with its region, API origin and kind of credential, never a secret', async () => {
    const [first, second] = rig.accounts;
    if (!first || !second) throw new Error('two accounts expected');
    const keyed = {
      accountSid: `AC${'7'.repeat(32)}`,
      authToken: 'e'.repeat(32),
      apiKeySid: `SK${'7'.repeat(32)}`,
      apiKeySecret: 'the API key secret, not to be shown',
      region: 'ie1',
      edge: 'london',
    };
    // Without TWILIO_API_BASE_URL each account's origin comes from its region; listing calls nobody.
    const { TWILIO_API_BASE_URL: _, ...regional } = env;
    const listEnv = await withAccountsFile(
      [{ accountSid: second.accountSid, authToken: second.authToken, region: 'au1' }, keyed],
      regional,
    );

    const piped = await run(['accounts'], listEnv);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(rowsOf(piped.stdout)).toEqual([
      [first.accountSid, 'us1', 'https://api.twilio.com', 'auth token'],
      [second.accountSid, 'au1', 'https://api.sydney.au1.twilio.com', 'auth token'],
      [keyed.accountSid, 'ie1', 'https://api.london.ie1.twilio.com', `API key ${keyed.apiKeySid}`],
    ]);

    const json = await run(['accounts', '--json'], listEnv);
    expect(json.code).toBe(0);
    expect(
      json.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      {
        sid: first.accountSid,
        region: 'us1',
        edge: null,
        apiOrigin: 'https://api.twilio.com',
        credential: 'auth-token',
      },
      {
        sid: second.accountSid,
        region: 'au1',
        edge: null,
        apiOrigin: 'https://api.sydney.au1.twilio.com',
        credential: 'auth-token',
      },
      {
        sid: keyed.accountSid,
        region: 'ie1',
        edge: 'london',
        apiOrigin: 'https://api.london.ie1.twilio.com',
        credential: 'api-key',
        apiKeySid: keyed.apiKeySid,
      },
    ]);

    const outputs = [piped.stdout, json.stdout];
    if (canRunInTerminal) {
      const onTerminal = await runInTerminal(['accounts'], listEnv);
      expect(onTerminal.code).toBe(0);
      const lines = onTerminal.stdout.replaceAll('\r', '').trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ACCOUNT +REGION +API ORIGIN +CREDENTIAL$/);
      // Aligned: every column starts where its header does.
      const starts = (line: string) => [...line.matchAll(/(?<=^| {2})\S/g)].map((m) => m.index);
      expect(lines.slice(1).map(starts)).toEqual(lines.slice(1).map(() => starts(lines[0] ?? '')));
      outputs.push(onTerminal.stdout);
    }
    for (const secret of [first.authToken, second.authToken, keyed.authToken, keyed.apiKeySecret])
      for (const output of outputs) expect(output).not.toContain(secret);
  });

  it('accounts --check signs in to each account at its own origin: ok, refused or unreachable', async () => {
    const [first, second] = rig.accounts;
    if (!first || !second) throw new Error('two accounts expected');
    const secondEntry = {
      accountSid: second.accountSid,
      authToken: second.authToken,
      region: 'ie1',
      edge: 'dublin',
      apiBaseUrl: rig.emulator.baseUrl,
    };
    const [good, refused, unreachable] = await Promise.all([
      withAccountsFile([secondEntry]).then((e) => run(['accounts', '--check'], e)),
      withAccountsFile([{ ...secondEntry, authToken: 'f'.repeat(32) }]).then((e) =>
        run(['accounts', '--check'], e),
      ),
      freePort().then(async (port) =>
        run(
          ['accounts', '--check'],
          await withAccountsFile([{ ...secondEntry, apiBaseUrl: `http://127.0.0.1:${port}` }]),
        ),
      ),
    ]);

    expect(good).toMatchObject({ code: 0, stderr: '' });
    expect(rowsOf(good.stdout)).toEqual([
      [first.accountSid, 'us1', rig.emulator.baseUrl, 'auth token', 'ok'],
      [second.accountSid, 'ie1', rig.emulator.baseUrl, 'auth token', 'ok'],
    ]);

    expect(refused.code).toBe(1);
    expect(rowsOf(refused.stdout).map((row) => [row[0], row.at(-1)])).toEqual([
      [first.accountSid, 'ok'],
      [second.accountSid, 'refused (HTTP 401, Twilio error 20003)'],
    ]);
    expect(refused.stderr).toBe(
      `vault: 1 of 2 accounts failed the check: ${second.accountSid} refused (HTTP 401, Twilio error 20003)\n`,
    );

    expect(unreachable.code).toBe(1);
    expect(rowsOf(unreachable.stdout).map((row) => [row[0], row.at(-1)])).toEqual([
      [first.accountSid, 'ok'],
      [second.accountSid, 'unreachable (ECONNREFUSED)'],
    ]);
    expect(unreachable.stderr).toContain(`${second.accountSid} unreachable (ECONNREFUSED)`);

    const json = await run(
      ['accounts', '--check', '--json'],
      await withAccountsFile([{ ...secondEntry, authToken: 'f'.repeat(32) }]),
    );
    expect(json.code).toBe(1);
    expect(
      json.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).check),
    ).toEqual([{ result: 'ok' }, { result: 'refused', status: 401, code: 20003 }]);
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

  it.runIf(canRunInTerminal)(
    'on a terminal, shows figures from the first frame and ends with a summary, even when nothing is archived',
    async () => {
      const [first] = rig.accounts;
      if (!first) throw new Error('an account expected');
      // The day's only recording is absent at Twilio: found, nothing to archive.
      rig.emulator.addRecording({
        accountSid: first.accountSid,
        dateCreated: '2025-04-15T12:00:00Z',
        duration: 0,
        status: 'absent',
      });
      const { prefix, cleanup } = testQueuePrefix(rig.redis.url);
      const runEnv = { ...env, QUEUE_PREFIX: prefix };
      const worker = await startWorker({ QUEUE_PREFIX: prefix });
      try {
        const args = [
          'backfill',
          '--from',
          '2025-04-15',
          '--to',
          '2025-04-15',
          '--account',
          first.accountSid,
        ];
        const onTerminal = await runInTerminal(args, runEnv);
        expect(onTerminal.code).toBe(0);
        // The bar drew at least one frame, and none of them held a placeholder, INF or NaN.
        expect(onTerminal.stdout).toMatch(/backfill \[[^\]]*\] \d+\/\d+ \| days \d\/1 \| found \d/);
        expect(onTerminal.stdout).not.toMatch(/\{\w+\}|INF|NaN/);
        const summary =
          /backfill done in [^:]+: days 1\/1, found 1 \(1 not completed at Twilio: nothing to archive\), enqueued 0, archived 0, skipped 0, failed 0, 0 B/;
        expect(onTerminal.stdout).toMatch(summary);

        // Piped, the same run ends with the same summary line, its last.
        const piped = await run(args, runEnv);
        expect(piped).toMatchObject({ code: 0, stderr: '' });
        expect(piped.stdout.trimEnd().split('\n').at(-1)).toMatch(summary);
      } finally {
        await stop(worker);
        await cleanup();
      }
    },
  );

  it('a day whose listing fails names the reason, exits 1, and vault status counts it with the reason whole', async () => {
    const [first] = rig.accounts;
    if (!first) throw new Error('an account expected');
    const { prefix, cleanup } = testQueuePrefix(rig.redis.url);
    const runEnv = { ...env, QUEUE_PREFIX: prefix };
    // The command's own check passes with the right token; the worker's listing is answered 401.
    const worker = await startWorker({ QUEUE_PREFIX: prefix, TWILIO_AUTH_TOKEN: 'f'.repeat(32) });
    try {
      const result = await run(
        ['backfill', '--from', '2025-04-02', '--to', '2025-04-02', '--account', first.accountSid],
        runEnv,
      );
      const reason = `Twilio GET /2010-04-01/Accounts/${first.accountSid}/Recordings.json: HTTP 401, Twilio error 20003, Authenticate`;
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/backfill finished with failures in [^:]+: days 0\/1 \(1 failed\)/);
      expect(result.stderr).toContain(`vault: ${first.accountSid} 2025-04-02 not listed: ${reason}\n`);

      const status = await run(['status'], runEnv);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(
        `${first.accountSid}: archived 0 (0 B), skipped 0, pending 0, failed 1 (0 archive jobs, 1 backfill listing)`,
      );
      expect(status.stdout).toContain(`  backfill: day 2025-04-02 not listed: ${reason}\n`);

      const json = await run(['status', '--json'], runEnv);
      const statuses = JSON.parse(json.stdout) as Array<{
        accountSid: string;
        failed: number;
        failedListings: number;
        listingFailures: Array<{ day: string; reason: string }>;
      }>;
      expect(statuses.find((s) => s.accountSid === first.accountSid)).toMatchObject({
        failed: 0,
        failedListings: 1,
        listingFailures: [{ day: '2025-04-02', reason }],
      });
    } finally {
      await stop(worker);
      await cleanup();
    }
  });

  it('backfills with a worker killed midway and a second run, archiving every recording exactly once', async () => {
    let worker = await startWorker();
    const first = run(['backfill', '--from', '2025-05-01', '--to', '2025-05-10'], env);
    while (rig.emulator.requests.filter((r) => r.route === 'delete').length < 100)
      await new Promise((r) => setTimeout(r, 20));
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    worker = await startWorker();
    const firstResult = await first;
    expect(firstResult.code).toBe(0);
    expect(firstResult.stdout).toMatch(
      /backfill done in [^:]+: days 20\/20, found 540 \(40 not completed at Twilio: nothing to archive\), enqueued 500, archived \d+, skipped 0, failed 0/,
    );

    const second = await run(['backfill', '--from', '2025-05-01', '--to', '2025-05-10'], env);
    expect(second.code).toBe(0);
    await stop(worker);

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
      twilioWindow: { window: number; inFlight: number; answered: number } | null;
    }>;
    expect(statuses.map((s) => s.archived).reduce((a, b) => a + b, 0)).toBe(completed.length);
    expect(statuses.every((s) => s.pending === 0 && s.failed === 0)).toBe(true);
    // Every account's requests went through its window, and none is left in flight.
    for (const s of statuses) {
      expect(s.twilioWindow?.answered).toBeGreaterThan(0);
      expect(s.twilioWindow?.inFlight).toBe(0);
    }
    expect((await run(['status'], env)).stdout).toMatch(/ {2}Twilio requests: window [\d.]+, in flight 0, /);
  });
});
