import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolderStore, createS3Store, type ObjectStore, StorageError } from '@recording-vault/storage';
import {
  type RedisTestServer,
  type S3TestServer,
  startRedisServer,
  startS3Server,
} from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ArchiveIndex, createArchiveIndex } from './archive-index.ts';
import type { SidecarSource } from './reindex.ts';
import { type ArchivedRecording, archiveRecording, sidOf } from './testing/archived-fixtures.ts';

const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);

describe.each(['folder', 's3'] as const)('reindex from a %s store', (driver) => {
  let redisServer: RedisTestServer;
  let redis: Redis;
  let s3: S3TestServer | undefined;
  let dir: string | undefined;
  let store: ObjectStore;
  let index: ArchiveIndex;
  let prefix: string;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url);
    if (driver === 's3') {
      s3 = await startS3Server({ buckets: ['recordings'] });
      store = createS3Store({
        endpoint: s3.endpoint,
        accessKey: s3.accessKey,
        secretKey: s3.secretKey,
        bucket: 'recordings',
        region: s3.region,
      });
    } else {
      dir = await mkdtemp(join(tmpdir(), 'rv-reindex-'));
      store = createFolderStore({ dir });
      await store.ensureBucket();
    }
  });
  afterAll(async () => {
    redis?.disconnect();
    await redisServer?.close();
    await s3?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    prefix = `{t${randomBytes(4).toString('hex')}}`;
    index = createArchiveIndex({ redis, prefix });
  });

  const wipeIndex = async () => {
    const keys = await redis.keys(`${prefix}:index:*`);
    if (keys.length > 0) await redis.del(...keys);
  };

  /** What the index answers about these accounts and recordings: lookups and full listings. */
  const answers = async (accounts: string[], recordings: ArchivedRecording[]) => ({
    lookups: await Promise.all(recordings.map((r) => index.lookup(r.entry.recordingSid))),
    lists: await Promise.all(accounts.map((accountSid) => index.list({ accountSid, pageSize: 1000 }))),
    byCall: await Promise.all(
      recordings
        .filter((r) => r.entry.callSid)
        .map((r) =>
          index.list({ accountSid: r.entry.accountSid, callSid: r.entry.callSid ?? '', pageSize: 10 }),
        ),
    ),
  });

  it('rebuilds identical entries from the sidecars after the index is wiped', async () => {
    const account = sidOf('AC');
    const other = sidOf('AC');
    const call = sidOf('CA');
    const recordings = [
      await archiveRecording(store, { accountSid: account, callSid: call, dateCreated: new Date(T0) }, index),
      await archiveRecording(store, { accountSid: account, callSid: call, dateCreated: new Date(T0) }, index),
      await archiveRecording(
        store,
        { accountSid: account, dateCreated: new Date(T0 + 1_000), channels: 2, encrypted: true },
        index,
      ),
      await archiveRecording(
        store,
        { accountSid: account, callSid: null, conferenceSid: sidOf('CF'), dateCreated: new Date(T0 + 2_000) },
        index,
      ),
      await archiveRecording(
        store,
        { accountSid: other, format: 'mp3', dateCreated: new Date(T0 + 86_400_000) },
        index,
      ),
    ];
    // Files that are not sidecars: a recording's transcriptions, and a stray JSON document.
    const first = recordings[0] as ArchivedRecording;
    await store.putJson(`${first.entry.key}.transcriptions.json`, { transcriptions: [] });
    await store.putJson(`${account}/notes.json`, { hello: 'world' });
    const before = await answers([account, other], recordings);

    await wipeIndex();
    expect(await index.lookup(first.entry.recordingSid)).toBeUndefined();
    const report = await index.reindex(store);

    expect(report).toMatchObject({ indexed: 5, invalid: 0, unreadable: 0, removed: 0, pruned: true });
    expect(await answers([account, other], recordings)).toEqual(before);
  });

  it('removes entries storage no longer vouches for, and reports sidecars it cannot index', async () => {
    const account = sidOf('AC');
    const kept = await archiveRecording(store, { accountSid: account, dateCreated: new Date(T0) }, index);
    const gone = await archiveRecording(
      store,
      { accountSid: account, dateCreated: new Date(T0 + 1_000) },
      index,
    );
    await store.delete(gone.entry.key);
    await store.delete(`${gone.entry.key}.json`);
    const damaged = await archiveRecording(
      store,
      { accountSid: account, dateCreated: new Date(T0 + 2_000) },
      index,
    );
    await store.putJson(`${damaged.entry.key}.json`, {
      ...damaged.sidecar,
      archive: { key: kept.entry.key },
    });

    const report = await index.reindex(store, { accountSid: account });

    expect(report).toMatchObject({ indexed: 1, invalid: 1, unreadable: 0, removed: 2, pruned: true });
    expect(report.problems).toEqual([
      { key: `${damaged.entry.key}.json`, reason: expect.stringContaining('archive') },
    ]);
    expect(await index.lookup(kept.entry.recordingSid)).toMatchObject(kept.entry);
    expect(await index.lookup(gone.entry.recordingSid)).toBeUndefined();
    expect(await index.lookup(damaged.entry.recordingSid)).toBeUndefined();
  });

  it('removes nothing when storage fails to give a sidecar', async () => {
    const account = sidOf('AC');
    const recorded = await archiveRecording(store, { accountSid: account, dateCreated: new Date(T0) }, index);
    await archiveRecording(store, { accountSid: account, dateCreated: new Date(T0 + 1_000) }, index);
    const failing: SidecarSource = {
      list: (p) => store.list(p),
      get: async (key) => {
        if (key === `${recorded.entry.key}.json`) throw new StorageError('unavailable', 'storage is down');
        return await store.get(key);
      },
    };

    const report = await index.reindex(failing, { accountSid: account });

    expect(report).toMatchObject({ indexed: 1, unreadable: 1, removed: 0, pruned: false });
    expect(await index.lookup(recorded.entry.recordingSid)).toMatchObject(recorded.entry);
  });
  it('keeps the entries of an account storage holds no sidecar of, and says so', async () => {
    const account = sidOf('AC');
    const recorded = await archiveRecording(store, { accountSid: account, dateCreated: new Date(T0) }, index);
    // Storage that is not the workers' (another folder or bucket): it lists nothing.
    const elsewhere: SidecarSource = { list: async function* () {}, get: (key) => store.get(key) };

    const report = await index.reindex(elsewhere, { accountSid: account });

    expect(report).toMatchObject({ sidecars: 0, removed: 0, unlisted: 1 });
    expect(report.problems).toEqual([
      {
        key: account,
        reason:
          'storage holds no sidecar of this account while the index has 1 entries: none removed (is this the storage the workers write to?)',
      },
    ]);
    expect(await index.lookup(recorded.entry.recordingSid)).toMatchObject(recorded.entry);
  });
});
