import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type ArchiveIndex, createArchiveIndex } from '@recording-vault/archive-index';
import {
  type ArchivedRecording,
  archiveRecording,
  sidOf,
} from '@recording-vault/archive-index/testing/archived-fixtures';
import { type ObjectStore, sidecarKey } from '@recording-vault/storage';
import { type RedisTestServer, startRedisServer } from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatBytes } from './progress-display.ts';
import { canRunInTerminal, runCli, runCliInTerminal } from './testing/cli-run.ts';
import { type CliStorage, cliStorage } from './testing/cli-storage.ts';

const DAY = 86_400_000;
/** 2026-11-24T03:00:00Z */
const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const bytesOf = (recordings: ArchivedRecording[]) => recordings.reduce((sum, r) => sum + r.body.length, 0);
const summary = (counts: string, checked: number, bytes: number) =>
  new RegExp(
    `^checked ${checked} recordings \\(${formatBytes(bytes).replace('.', '\\.')}\\) in \\d+\\.\\d s: ${counts}$`,
  );

let redisServer: RedisTestServer;
beforeAll(async () => {
  redisServer = await startRedisServer();
});
afterAll(async () => {
  await redisServer?.close();
});

describe.each(['folder', 's3'] as const)('vault scrub over a %s store', (driver) => {
  let work: string;
  let storage: CliStorage | undefined;
  let store: ObjectStore;
  let redis: Redis;
  let storageVars: Record<string, string>;
  let index: ArchiveIndex;
  let env: Record<string, string>;
  const a = sidOf('AC');
  /** In the index, but no longer configured: scrubbed all the same. */
  const b = sidOf('AC');
  let first: ArchivedRecording;
  let second: ArchivedRecording;
  let nextDay: ArchivedRecording;
  let ofB: ArchivedRecording;
  let all: ArchivedRecording[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rv-cli-scrub-'));
    storage = await cliStorage(driver, work);
    store = storage.store;
    storageVars = storage.vars;
    redis = new Redis(redisServer.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await storage?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  // A fresh index and fresh recordings for each test, which may damage them.
  beforeEach(async () => {
    const prefix = `{t${randomBytes(4).toString('hex')}}`;
    index = createArchiveIndex({ redis, prefix });
    env = {
      REDIS_URL: redisServer.url,
      QUEUE_PREFIX: prefix,
      TWILIO_ACCOUNT_SID: a,
      TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
      ...storageVars,
    };
    const archive = (accountSid: string, at: number, format: 'wav' | 'mp3' = 'wav') =>
      archiveRecording(store, { accountSid, dateCreated: new Date(at), format }, index);
    first = await archive(a, T0);
    second = await archive(a, T0 + 1_000);
    nextDay = await archive(a, T0 + DAY, 'mp3');
    ofB = await archive(b, T0 + 2_000);
    all = [first, second, nextDay, ofB];
  });

  /** Other bytes of the same length at `first`'s key, an object missing, a sidecar missing. */
  const damage = async (): Promise<Buffer> => {
    const damaged = Buffer.from(first.body);
    damaged.writeUInt8(damaged.readUInt8(1_000) ^ 0xff, 1_000);
    await store.put(first.entry.key, Readable.from([damaged]), { contentType: 'audio/x-wav' });
    await store.delete(second.entry.key);
    await store.delete(sidecarKey(ofB.entry.key));
    return damaged;
  };

  it('checks every recording of every account, configured or indexed, and exits 0 when all are whole', async () => {
    const result = await runCli(['scrub'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trimEnd()).toMatch(
      summary('4 ok, 0 missing, 0 corrupt, 0 without sidecar', 4, bytesOf(all)),
    );
  });

  it('reports a corrupt copy with both digests, a missing one and one without its sidecar, and exits 1', async () => {
    const damaged = await damage();
    const result = await runCli(['scrub', '--concurrency', '2'], env);
    expect(result).toMatchObject({ code: 1, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      summary('1 ok, 1 missing, 1 corrupt, 1 without sidecar', 4, bytesOf([nextDay, ofB]) + damaged.length),
    );
    const problems = lines.slice(0, -1).map((line) => line.split('\t'));
    const row = (kind: string, { entry }: ArchivedRecording, detail: string) => [
      kind,
      new Date(entry.dateCreated).toISOString(),
      entry.recordingSid,
      entry.accountSid,
      entry.key,
      detail,
    ];
    expect(problems.sort()).toEqual(
      [
        row(
          'corrupt',
          first,
          `storage holds ${damaged.length} bytes, SHA-256 ${sha256(damaged)}; the index records ${first.body.length} bytes, SHA-256 ${first.entry.sha256}`,
        ),
        row('missing', second, `no object at ${second.entry.key}`),
        row('no-sidecar', ofB, `no sidecar at ${ofB.entry.key}.json`),
      ].sort(),
    );

    if (canRunInTerminal) {
      const table = await runCliInTerminal(['scrub', '--account', a], env);
      expect(table.code).toBe(1);
      const shown = table.stdout.trimEnd().split('\n');
      expect(shown[0]).toMatch(/^PROBLEM +CREATED \(UTC\) +RECORDING +ACCOUNT +DETAIL$/);
      expect(shown.slice(1, 3).sort()).toEqual(
        [
          expect.stringMatching(
            new RegExp(`^corrupt +\\S+ +${first.entry.recordingSid} +${a} +storage holds`),
          ),
          expect.stringMatching(
            new RegExp(`^missing +\\S+ +${second.entry.recordingSid} +${a} +no object at`),
          ),
        ].sort(),
      );
      expect(shown[3]).toMatch(/^checked 3 recordings .*: 1 ok, 1 missing, 1 corrupt, 0 without sidecar$/);
    }
  });

  it('--json prints one object per problem, then the summary', async () => {
    const damaged = await damage();
    const result = await runCli(['scrub', '--json'], env);
    expect(result).toMatchObject({ code: 1, stderr: '' });
    const lines = jsonLines(result.stdout);
    expect(lines.at(-1)).toEqual({
      type: 'summary',
      walked: 4,
      checked: 4,
      bytes: bytesOf([nextDay, ofB]) + damaged.length,
      ok: 1,
      missing: 1,
      corrupt: 1,
      noSidecar: 1,
      unreadable: 0,
      complete: true,
      seconds: expect.any(Number),
    });
    const byKind = Object.fromEntries(lines.slice(0, -1).map((line) => [line.problem, line]));
    expect(Object.keys(byKind).sort()).toEqual(['corrupt', 'missing', 'no-sidecar']);
    expect(byKind.corrupt).toEqual({
      type: 'problem',
      problem: 'corrupt',
      recordingSid: first.entry.recordingSid,
      accountSid: a,
      dateCreated: new Date(T0).toISOString(),
      key: first.entry.key,
      sidecarKey: `${first.entry.key}.json`,
      recorded: { bytes: first.body.length, sha256: first.entry.sha256 },
      stored: { bytes: damaged.length, sha256: sha256(damaged) },
    });
    expect(byKind.missing).toMatchObject({ recordingSid: second.entry.recordingSid, key: second.entry.key });
    expect(byKind['no-sidecar']).toMatchObject({ recordingSid: ofB.entry.recordingSid, accountSid: b });
  });

  it('--sample N checks exactly N of the recordings walked', async () => {
    const sampled = await runCli(['scrub', '--sample', '2', '--json'], env);
    expect(sampled).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(sampled.stdout)).toEqual([
      expect.objectContaining({ type: 'summary', walked: 4, checked: 2, ok: 2 }),
    ]);
    const text = await runCli(['scrub', '--sample', '2'], env);
    expect(text.stdout.trimEnd()).toMatch(/^checked 2 recordings sampled from 4 \(.+\) in .*: 2 ok,/);
    const more = await runCli(['scrub', '--sample', '10', '--json'], env);
    expect(jsonLines(more.stdout)).toEqual([expect.objectContaining({ walked: 4, checked: 4, ok: 4 })]);
  });

  it('--from and --to walk the recordings created on those UTC days only', async () => {
    await damage();
    const dayAfter = await runCli(['scrub', '--from', '2026-11-25', '--to', '2026-11-25'], env);
    expect(dayAfter).toMatchObject({ code: 0, stderr: '' });
    expect(dayAfter.stdout.trimEnd()).toMatch(
      summary('1 ok, 0 missing, 0 corrupt, 0 without sidecar', 1, nextDay.body.length),
    );
    const ofA = await runCli(
      ['scrub', '--from', '2026-11-24', '--to', '2026-11-24', '--account', a, '--json'],
      env,
    );
    expect(ofA.code).toBe(1);
    expect(jsonLines(ofA.stdout).at(-1)).toMatchObject({ walked: 2, checked: 2, missing: 1, corrupt: 1 });
  });

  it('a wrong command line is exit code 2, before any setting is read', async () => {
    const result = await runCli(['scrub', '--sample', 'some'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^vault: --sample some is not a number of recordings/);
  });
});
