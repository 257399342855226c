import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolderStore, type ObjectStore, StorageError } from '@recording-vault/storage';
import { type RedisTestServer, startRedisServer } from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiveIndex, createArchiveIndex } from './archive-index.ts';
import { type ScrubProblem, scrubArchive } from './scrub.ts';
import { type ArchivedRecording, archiveRecording, sidOf } from './testing/archived-fixtures.ts';

const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);
const COUNT = 12;

describe('scrubArchive', () => {
  let redisServer: RedisTestServer;
  let redis: Redis;
  let dir: string;
  let store: ObjectStore;
  let index: ArchiveIndex;
  const account = sidOf('AC');
  let archived: ArchivedRecording[];

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url);
    dir = await mkdtemp(join(tmpdir(), 'rv-scrub-'));
    store = createFolderStore({ dir });
    await store.ensureBucket();
    index = createArchiveIndex({ redis, prefix: `{t${randomBytes(4).toString('hex')}}` });
    archived = [];
    for (let i = 0; i < COUNT; i++) {
      archived.push(
        await archiveRecording(store, { accountSid: account, dateCreated: new Date(T0 + i * 60_000) }, index),
      );
    }
  });
  afterAll(async () => {
    redis?.disconnect();
    await redisServer?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads at most `concurrency` objects at once, and all of them', async () => {
    let reading = 0;
    let most = 0;
    const counted: Pick<ObjectStore, 'hash' | 'exists'> = {
      exists: (key) => store.exists(key),
      hash: async (key, options) => {
        most = Math.max(most, ++reading);
        try {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return await store.hash(key, options);
        } finally {
          reading--;
        }
      },
    };
    const report = await scrubArchive({ index, store: counted, accounts: [account], concurrency: 3 });
    expect(report).toEqual({
      walked: COUNT,
      checked: COUNT,
      bytes: archived.reduce((sum, r) => sum + r.body.length, 0),
      ok: COUNT,
      missing: 0,
      corrupt: 0,
      noSidecar: 0,
      unreadable: 0,
      complete: true,
    });
    expect(most).toBe(3);
  });

  it('reports a storage failure other than not-found as unreadable, with its reason', async () => {
    const failing = archived[4] as ArchivedRecording;
    const problems: ScrubProblem[] = [];
    const report = await scrubArchive({
      index,
      store: {
        exists: (key) => store.exists(key),
        hash: async (key, options) => {
          if (key === failing.entry.key) {
            throw new StorageError('denied', `hash ${key}: Access Denied`, { code: 'AccessDenied', key });
          }
          return await store.hash(key, options);
        },
      },
      accounts: [account],
      onProblem: (problem) => {
        problems.push(problem);
      },
    });
    expect(report).toMatchObject({ checked: COUNT, ok: COUNT - 1, unreadable: 1 });
    expect(problems).toEqual([
      {
        kind: 'unreadable',
        entry: expect.objectContaining({ recordingSid: failing.entry.recordingSid }),
        reason: `hash ${failing.entry.key}: Access Denied`,
      },
    ]);
  });

  it('samples each entry with the same chance, and within a range of dates only', async () => {
    const picked = new Map<string, number>();
    const seen: Pick<ObjectStore, 'hash' | 'exists'> = {
      exists: (key) => store.exists(key),
      hash: async (key, options) => {
        picked.set(key, (picked.get(key) ?? 0) + 1);
        return await store.hash(key, options);
      },
    };
    // A small deterministic generator, so the test cannot flake.
    let state = 42;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const runs = 300;
    for (let run = 0; run < runs; run++) {
      const report = await scrubArchive({ index, store: seen, accounts: [account], sample: 3, random });
      expect(report).toMatchObject({ walked: COUNT, checked: 3, ok: 3 });
    }
    // Each entry's expected share is 3/12 of the runs (75); a fair reservoir stays well within ±40.
    expect(picked.size).toBe(COUNT);
    for (const count of picked.values()) expect(Math.abs(count - (runs * 3) / COUNT)).toBeLessThan(40);

    const ranged = await scrubArchive({
      index,
      store,
      accounts: [account],
      range: { createdFrom: T0 + 2 * 60_000, createdTo: T0 + 4 * 60_000 },
    });
    expect(ranged).toMatchObject({ walked: 3, checked: 3, ok: 3 });
  });

  it('stops when the signal fires, and says the report is not complete', async () => {
    const stop = new AbortController();
    const report = await scrubArchive({
      index,
      store: {
        exists: (key) => store.exists(key),
        hash: async (key, options) => {
          stop.abort();
          return await store.hash(key, options);
        },
      },
      accounts: [account],
      concurrency: 1,
      signal: stop.signal,
    });
    expect(report.complete).toBe(false);
    expect(report.checked).toBe(0);
  });
});
