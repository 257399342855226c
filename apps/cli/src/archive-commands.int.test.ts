import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type ArchiveIndex, createArchiveIndex } from '@recording-vault/archive-index';
import {
  type ArchivedRecording,
  type ArchivedRecordingInput,
  archiveRecording,
  sidOf,
} from '@recording-vault/archive-index/testing/archived-fixtures';
import { parseEnv } from '@recording-vault/config';
import { recordingsApiEnv } from '@recording-vault/recordings-api/config';
import { type RecordingsApiHandle, startRecordingsApi } from '@recording-vault/recordings-api/start';
import type { ObjectStore } from '@recording-vault/storage';
import { type RedisTestServer, startRedisServer } from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunInTerminal, runCli, runCliInTerminal } from './testing/cli-run.ts';
import { type CliStorage, cliStorage } from './testing/cli-storage.ts';

const DAY = 86_400_000;
/** 2026-11-24T03:00:00Z */
const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);

const sha256 = (body: Buffer | ArrayBuffer) =>
  createHash('sha256')
    .update(body instanceof ArrayBuffer ? new Uint8Array(body) : body)
    .digest('hex');
const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
/** What `find --json` prints of an archived recording. */
const found = (recording: ArchivedRecording) => ({
  ...recording.entry,
  dateCreated: new Date(recording.entry.dateCreated).toISOString(),
});
const sidsOf = (recordings: ArchivedRecording[]) => recordings.map((r) => r.entry.recordingSid);

let redisServer: RedisTestServer;
beforeAll(async () => {
  redisServer = await startRedisServer();
});
afterAll(async () => {
  await redisServer?.close();
});

describe.each(['folder', 's3'] as const)('vault link, get, find and reindex over a %s store', (driver) => {
  let work: string;
  let storage: CliStorage | undefined;
  let store: ObjectStore;
  let redis: Redis;
  let index: ArchiveIndex;
  let api: RecordingsApiHandle;
  /** The recordings API's clock: undefined follows the real time. */
  const apiClock: { now: number | undefined } = { now: undefined };
  let env: Record<string, string>;
  const prefix = `{t${randomBytes(4).toString('hex')}}`;
  const a = sidOf('AC');
  const b = sidOf('AC');
  const call = sidOf('CA');
  let first: ArchivedRecording;
  let second: ArchivedRecording;
  let nextDay: ArchivedRecording;
  let ofB: ArchivedRecording;
  let dayBefore: ArchivedRecording;

  const archive = (input: Omit<ArchivedRecordingInput, 'dateCreated'> & { at: number }) =>
    archiveRecording(store, { ...input, dateCreated: new Date(input.at) }, index);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rv-cli-archive-'));
    storage = await cliStorage(driver, work);
    store = storage.store;
    const storageVars = storage.vars;
    redis = new Redis(redisServer.url);
    index = createArchiveIndex({ redis, prefix });

    const accountsFile = join(work, 'accounts.json');
    await writeFile(
      accountsFile,
      JSON.stringify([{ accountSid: b, authToken: randomBytes(16).toString('hex') }]),
    );
    const common = {
      REDIS_URL: redisServer.url,
      QUEUE_PREFIX: prefix,
      TWILIO_ACCOUNT_SID: a,
      TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
      TWILIO_ACCOUNTS_FILE: accountsFile,
      ...storageVars,
    };
    const linkSecret = randomBytes(32).toString('base64url');
    api = await startRecordingsApi(
      parseEnv(recordingsApiEnv, {
        ...common,
        RECORDINGS_API_HOST: '127.0.0.1',
        RECORDINGS_API_PORT: '0',
        RECORDINGS_LINK_SECRET: linkSecret,
        LOG_LEVEL: 'silent',
      }),
      undefined,
      { clock: () => apiClock.now ?? Date.now() },
    );
    env = { ...common, RECORDINGS_API_PUBLIC_URL: api.publicUrl, RECORDINGS_LINK_SECRET: linkSecret };

    first = await archive({ accountSid: a, callSid: call, at: T0 });
    second = await archive({ accountSid: a, callSid: call, at: T0 + 1_000, channels: 2 });
    nextDay = await archive({ accountSid: a, at: T0 + DAY, format: 'mp3' });
    ofB = await archive({ accountSid: b, at: T0 + 2_000, encrypted: true });
    dayBefore = await archive({ accountSid: a, at: T0 - DAY });
  });
  afterAll(async () => {
    await api?.close();
    redis?.disconnect();
    await storage?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('link prints a URL, its last line, that plays the recording through the recordings API until it expires', async () => {
    const before = Date.now();
    const result = await runCli(['link', first.entry.recordingSid, '--ttl', '90s'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    const url = lines.at(-1) as string;
    expect(url.startsWith(`${api.publicUrl}/v1/media/${a}/${first.entry.recordingSid}.wav?Expires=`)).toBe(
      true,
    );
    const until = Date.parse(/plays until (\S+)/.exec(lines[0] ?? '')?.[1] ?? '');
    expect(until).toBeGreaterThanOrEqual(before + 90_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 91_000);

    const played = await fetch(url);
    expect(played.status).toBe(200);
    expect(sha256(await played.arrayBuffer())).toBe(first.entry.sha256);
    // Ranges come from the store's ranged reads (s3rver answers bytes=0-0 with the whole object).
    for (const [start, end] of [
      [0, 0],
      [100, 4_099],
      [first.body.length - 1, first.body.length - 1],
    ] as const) {
      const ranged = await fetch(url, { headers: { Range: `bytes=${start}-${end}` } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer())).toEqual(first.body.subarray(start, end + 1));
    }

    apiClock.now = until;
    try {
      expect((await fetch(url)).status).toBe(410);
    } finally {
      apiClock.now = undefined;
    }
  });

  it('link plays the stored format only, and names what is missing', async () => {
    const mp3 = await runCli(['link', nextDay.entry.recordingSid, '--format', 'mp3', '--ttl', '15m'], env);
    expect(mp3.code).toBe(0);
    const played = await fetch(mp3.stdout.trimEnd().split('\n').at(-1) as string);
    expect(played.status).toBe(200);
    expect(played.headers.get('content-type')).toBe('audio/mpeg');

    const wav = await runCli(['link', nextDay.entry.recordingSid, '--format', 'wav'], env);
    expect(wav).toMatchObject({ code: 1, stdout: '' });
    expect(wav.stderr).toBe(
      `vault: ${nextDay.entry.recordingSid} is archived as mp3, not wav: the archive plays the bytes it stored (leave out --format, or ask for mp3)\n`,
    );

    const unknown = sidOf('RE');
    const missing = await runCli(['link', unknown], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(new RegExp(`^vault: ${unknown} is not in the archive index`));

    const { RECORDINGS_API_PUBLIC_URL: _, RECORDINGS_LINK_SECRET: __, ...unset } = env;
    const unconfigured = await runCli(['link', first.entry.recordingSid], unset);
    expect(unconfigured.code).toBe(1);
    expect(unconfigured.stderr).toMatch(
      /^vault: invalid configuration:\n {2}- RECORDINGS_API_PUBLIC_URL: is required/,
    );
    expect(unconfigured.stderr).toContain('\n  - RECORDINGS_LINK_SECRET: is required by vault link');
  });

  it('get writes the stored bytes, named after the recording by default', async () => {
    const here = await mkdtemp(join(work, 'get-'));
    const named = await runCli(['get', first.entry.recordingSid], env, { cwd: here });
    expect(named).toMatchObject({ code: 0, stderr: '' });
    expect(named.stdout).toContain(`${first.entry.recordingSid}.wav: ${first.entry.recordingSid} (wav)`);
    expect(await readFile(join(here, `${first.entry.recordingSid}.wav`))).toEqual(first.body);

    const out = join(here, 'call.mp3');
    const chosen = await runCli(['get', nextDay.entry.recordingSid, '--out', out], env);
    expect(chosen).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(out)).toEqual(nextDay.body);
    expect((await readdir(here)).sort()).toEqual([`${first.entry.recordingSid}.wav`, 'call.mp3'].sort());

    const nowhere = join(here, 'missing', 'call.wav');
    const unwritable = await runCli(['get', first.entry.recordingSid, '--out', nowhere], env);
    expect(unwritable).toMatchObject({ code: 1, stdout: '' });
    expect(unwritable.stderr).toBe(`vault: cannot write ${nowhere} (ENOENT): nothing written\n`);
  });

  it('get refuses a stored copy that is not what the archive recorded, and leaves no file', async () => {
    const here = await mkdtemp(join(work, 'get-corrupt-'));
    // Other bytes of the same length at the key, as a damaged disk or a stray overwrite would leave.
    const damaged = Buffer.from(second.body);
    damaged.writeUInt8(damaged.readUInt8(1_000) ^ 0xff, 1_000);
    await store.put(second.entry.key, Readable.from([damaged]), { contentType: 'audio/x-wav' });
    try {
      const result = await runCli(['get', second.entry.recordingSid], env, { cwd: here });
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toBe(
        `vault: the stored copy of ${second.entry.recordingSid} is not what the archive recorded: storage holds ${damaged.length} bytes, SHA-256 ${sha256(damaged)} at ${second.entry.key}; the archive index records ${second.entry.bytes} bytes, SHA-256 ${second.entry.sha256}. Nothing was written to ${second.entry.recordingSid}.wav\n`,
      );
      expect(await readdir(here)).toEqual([]);
    } finally {
      await store.put(second.entry.key, Readable.from([second.body]), { contentType: 'audio/x-wav' });
    }

    // Indexed, but gone from storage.
    const gone = await archive({ accountSid: a, at: T0 + 3_000 });
    await store.delete(gone.entry.key);
    const missing = await runCli(['get', gone.entry.recordingSid], env, { cwd: here });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `vault: ${gone.entry.recordingSid} is in the archive index, but ${store.location} holds no object at ${gone.entry.key} (vault reindex drops entries storage no longer holds)\n`,
    );
    expect(await readdir(here)).toEqual([]);
    await store.delete(`${gone.entry.key}.json`);
    await index.remove(gone.entry.recordingSid);

    const unknown = await runCli(['get', sidOf('RE')], env, { cwd: here });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('is not in the archive index');
  });

  it('find lists a call’s recordings and a range of days, newest first, as JSON lines, tab-separated lines and a table', async () => {
    const byCall = await runCli(['find', '--call', call, '--json'], env);
    expect(byCall).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(byCall.stdout)).toEqual([found(second), found(first)]);

    // Without --account every configured account: a's, newest first, then b's.
    const byDate = await runCli(['find', '--from', '2026-11-24', '--to', '2026-11-25', '--json'], env);
    expect(byDate.code).toBe(0);
    expect(jsonLines(byDate.stdout)).toEqual([found(nextDay), found(second), found(first), found(ofB)]);
    const ofOne = await runCli(
      ['find', '--from', '2026-11-23', '--to', '2026-11-24', '--account', a, '--json'],
      env,
    );
    expect(jsonLines(ofOne.stdout).map((line) => line.recordingSid)).toEqual(
      sidsOf([second, first, dayBefore]),
    );

    const piped = await runCli(['find', '--from', '2026-11-24', '--to', '2026-11-24'], env);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(
      piped.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split('\t')),
    ).toEqual(
      [second, first, ofB].map(({ entry }) => [
        new Date(entry.dateCreated).toISOString(),
        entry.recordingSid,
        entry.callSid,
        entry.accountSid,
        String(entry.durationSeconds),
        String(entry.channels),
        entry.format,
        String(entry.bytes),
      ]),
    );
    const none = await runCli(['find', '--call', sidOf('CA')], env);
    expect(none).toEqual({ code: 0, stdout: '', stderr: '' });

    if (canRunInTerminal) {
      const table = await runCliInTerminal(['find', '--call', call], env);
      expect(table.code).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^CREATED \(UTC\) +RECORDING +CALL +ACCOUNT +DURATION +CH +FORMAT +SIZE$/);
      expect(lines[1]).toMatch(
        new RegExp(
          `^2026-11-24 03:00:01 +${second.entry.recordingSid} +${call} +${a} +0:02 +2 +wav +62\\.5 KiB$`,
        ),
      );
      expect(lines[2]).toContain(first.entry.recordingSid);
      expect(lines[3]).toBe(`2 archived recording(s) of call ${call}`);
      const empty = await runCliInTerminal(['find', '--from', '2020-01-01', '--to', '2020-01-02'], env);
      expect(empty.stdout.trimEnd()).toBe('no archived recording from 2020-01-01 to 2020-01-02');
    }
  });

  it('reindex rebuilds an index wiped out, with the same find answers; a sidecar it cannot index fails it', async () => {
    const questions = [
      ['find', '--call', call, '--json'],
      ['find', '--from', '2026-11-01', '--to', '2026-11-30', '--json'],
    ];
    const before = await Promise.all(questions.map((args) => runCli(args, env)));
    expect(jsonLines(before[1]?.stdout ?? '')).toHaveLength(5);

    const keys = await redis.keys(`${prefix}:index:*`);
    await redis.del(...keys);
    expect((await runCli(questions[0] as string[], env)).stdout).toBe('');

    const rebuilt = await runCli(['reindex'], env);
    expect(rebuilt).toMatchObject({ code: 0, stderr: '' });
    expect(rebuilt.stdout).toBe(
      `rebuilding the archive index of every account from ${store.location}\nreindex: 5 sidecars read, 5 entries written, 0 removed, 0 problems (0 not an archive record, 0 unreadable, 0 accounts with no sidecar in storage)\n`,
    );
    expect(await Promise.all(questions.map((args) => runCli(args, env)))).toEqual(before);

    // A document where a sidecar would be that is not an archive record.
    const stray = `${a}/2026/11/24/${sidOf('CA')}/${sidOf('RE')}.wav.json`;
    await store.putJson(stray, { hello: 'world' });
    try {
      const failed = await runCli(['reindex', '--account', a], env);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('reindex: 5 sidecars read, 4 entries written, 0 removed, 1 problems');
      expect(failed.stderr).toMatch(
        new RegExp(`^vault: ${stray.replaceAll('/', '\\/')}: sidecar is not an archive record`),
      );
    } finally {
      await store.delete(stray);
    }
    expect(await Promise.all(questions.map((args) => runCli(args, env)))).toEqual(before);
  });
});
