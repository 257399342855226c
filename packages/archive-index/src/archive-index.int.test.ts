import { randomBytes } from 'node:crypto';
import { type RedisTestServer, startRedisServer } from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveEntry } from './archive-entry.ts';
import { type ArchiveIndex, createArchiveIndex, type ListedRecording } from './archive-index.ts';
import { hashTagOf } from './index-keys.ts';

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');
const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);

function entry(overrides: Partial<ArchiveEntry> & { accountSid: string }): ArchiveEntry {
  const recordingSid = overrides.recordingSid ?? sid('RE');
  const callSid = overrides.callSid === undefined ? sid('CA') : overrides.callSid;
  const conferenceSid = overrides.conferenceSid ?? null;
  const dateCreated = overrides.dateCreated ?? T0;
  const day = new Date(dateCreated).toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    recordingSid,
    key: `${overrides.accountSid}/${day}/${callSid ?? conferenceSid}/${recordingSid}.wav`,
    format: 'wav',
    bytes: 32_044,
    sha256: randomBytes(32).toString('hex'),
    callSid,
    conferenceSid,
    dateCreated,
    durationSeconds: 2,
    channels: 1,
    encrypted: false,
    ...overrides,
  };
}

/** Every page of a listing, following `position`s as the API's page tokens do. */
async function allPages(index: ArchiveIndex, accountSid: string, pageSize: number, filter = {}) {
  const pages: string[][] = [];
  let from: { direction: 'older'; position: string } | undefined;
  for (;;) {
    const page = await index.list({ accountSid, pageSize, from, ...filter });
    pages.push(page.entries.map((e) => e.recordingSid));
    const last = page.entries.at(-1) as ListedRecording | undefined;
    if (!page.more || !last) return pages;
    from = { direction: 'older', position: last.position };
  }
}

describe('archive index', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let index: ArchiveIndex;
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.close();
  });
  beforeEach(() => {
    // A hash tag, as on Redis Cluster: the scripts must keep to its slot.
    prefix = `{t${randomBytes(4).toString('hex')}}`;
    index = createArchiveIndex({ redis, prefix });
  });

  const indexKeysInRedis = async () => (await redis.keys(`${prefix}:index:*`)).sort();

  it('records an entry and finds it by RecordingSid, with its sidecar key', async () => {
    const account = sid('AC');
    const recorded = entry({ accountSid: account, encrypted: true, channels: 2 });
    await index.recordArchived(recorded);
    expect(await index.lookup(recorded.recordingSid)).toEqual({
      ...recorded,
      sidecarKey: `${recorded.key}.json`,
    });
    expect(await index.lookup(sid('RE'))).toBeUndefined();
    expect(await index.lookup('RE../../x')).toBeUndefined();
    expect(new Set((await indexKeysInRedis()).map(hashTagOf))).toEqual(new Set([prefix.slice(1, -1)]));
  });

  it('is idempotent: recording the same entry again changes nothing', async () => {
    const account = sid('AC');
    const recorded = entry({ accountSid: account, conferenceSid: sid('CF') });
    await index.recordArchived(recorded);
    const keysOnce = await indexKeysInRedis();
    await index.recordArchived(recorded);
    await Promise.all([index.recordArchived(recorded), index.recordArchived(recorded)]);
    expect(await indexKeysInRedis()).toEqual(keysOnce);
    expect(await redis.zcard(index.keys.account(account))).toBe(1);
    expect(await redis.zcard(index.keys.call(recorded.callSid as string))).toBe(1);
    expect(await redis.zcard(index.keys.conference(recorded.conferenceSid as string))).toBe(1);
    expect(await index.lookup(recorded.recordingSid)).toMatchObject(recorded);
  });

  it('moves an entry whose date or call changed, leaving nothing behind', async () => {
    const account = sid('AC');
    const first = entry({ accountSid: account });
    await index.recordArchived(first);
    const moved = entry({ accountSid: account, recordingSid: first.recordingSid, dateCreated: T0 + 5_000 });
    await index.recordArchived(moved);
    expect(await redis.exists(index.keys.call(first.callSid as string))).toBe(0);
    const page = await index.list({ accountSid: account, pageSize: 10 });
    expect(page.entries.map((e) => [e.recordingSid, e.dateCreated])).toEqual([
      [first.recordingSid, T0 + 5_000],
    ]);
  });

  it('removes an entry from every set, and says whether there was one', async () => {
    const account = sid('AC');
    const recorded = entry({ accountSid: account, conferenceSid: sid('CF') });
    await index.recordArchived(recorded);
    expect(await index.remove(recorded.recordingSid)).toBe(true);
    expect(await index.remove(recorded.recordingSid)).toBe(false);
    expect(await index.lookup(recorded.recordingSid)).toBeUndefined();
    expect(await indexKeysInRedis()).toEqual([]);
  });

  it('refuses an entry whose key is not its own recording', async () => {
    const account = sid('AC');
    const other = entry({ accountSid: account });
    await expect(index.recordArchived({ ...entry({ accountSid: account }), key: other.key })).rejects.toThrow(
      /not this recording/,
    );
    expect(await indexKeysInRedis()).toEqual([]);
  });

  it('lists an account newest first, recordings of the same second by SID, page after page', async () => {
    const account = sid('AC');
    const entries = Array.from({ length: 23 }, (_, i) =>
      // Groups of three share a second, as a busy account's do.
      entry({ accountSid: account, dateCreated: T0 + Math.floor(i / 3) * 1_000 }),
    );
    // Another account's recordings never show.
    await index.recordArchived(entry({ accountSid: sid('AC'), dateCreated: T0 + 2_000 }));
    for (const e of entries) await index.recordArchived(e);
    const expected = [...entries]
      .sort((a, b) => b.dateCreated - a.dateCreated || (a.recordingSid < b.recordingSid ? 1 : -1))
      .map((e) => e.recordingSid);

    const pages = await allPages(index, account, 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat()).toEqual(expected);

    // Back from the third page to the second, as previous_page_uri does.
    const third = await index.list({ accountSid: account, pageSize: 5, skip: 10 });
    expect(third.entries.map((e) => e.recordingSid)).toEqual(expected.slice(10, 15));
    const second = await index.list({
      accountSid: account,
      pageSize: 5,
      from: { direction: 'newer', position: (third.entries[0] as ListedRecording).position },
    });
    expect(second.entries.map((e) => e.recordingSid)).toEqual(expected.slice(5, 10));
    expect(second.more).toBe(true);
    const first = await index.list({
      accountSid: account,
      pageSize: 5,
      from: { direction: 'newer', position: (second.entries[0] as ListedRecording).position },
    });
    expect(first.entries.map((e) => e.recordingSid)).toEqual(expected.slice(0, 5));
    expect(first.more).toBe(false);
  });

  it('filters by call, by conference and by an inclusive date range', async () => {
    const account = sid('AC');
    const call = sid('CA');
    const conference = sid('CF');
    const onCall = [0, 1, 2].map((i) =>
      entry({ accountSid: account, callSid: call, dateCreated: T0 + i * 1_000 }),
    );
    const inConference = [3, 4].map((i) =>
      entry({ accountSid: account, callSid: null, conferenceSid: conference, dateCreated: T0 + i * 1_000 }),
    );
    const others = [5, 6].map((i) => entry({ accountSid: account, dateCreated: T0 + i * 1_000 }));
    for (const e of [...onCall, ...inConference, ...others]) await index.recordArchived(e);
    const sids = async (filter: object) =>
      (await index.list({ accountSid: account, pageSize: 50, ...filter })).entries.map((e) => e.recordingSid);

    expect(await sids({ callSid: call })).toEqual(onCall.map((e) => e.recordingSid).reverse());
    expect(await sids({ conferenceSid: conference })).toEqual(
      inConference.map((e) => e.recordingSid).reverse(),
    );
    expect(await sids({ createdFrom: T0 + 2_000, createdTo: T0 + 4_000 })).toEqual(
      [onCall[2], ...inConference].map((e) => e?.recordingSid).reverse(),
    );
    expect(await sids({ callSid: call, createdFrom: T0 + 1_000 })).toEqual(
      onCall
        .slice(1)
        .map((e) => e.recordingSid)
        .reverse(),
    );
    expect(await sids({ callSid: sid('CA') })).toEqual([]);
    // A call SID of this account asked under another account finds nothing.
    expect((await index.list({ accountSid: sid('AC'), callSid: call, pageSize: 50 })).entries).toEqual([]);
    expect((await allPages(index, account, 2, { callSid: call })).flat()).toEqual(
      onCall.map((e) => e.recordingSid).reverse(),
    );
  });

  it('holds an archived recording in a few hundred bytes of Redis (MEMORY USAGE, summed)', async () => {
    const account = sid('AC');
    const count = 5_000;
    const entries = Array.from({ length: count }, (_, i) =>
      entry({ accountSid: account, dateCreated: T0 + i * 7_000, channels: i % 3 === 0 ? 2 : 1 }),
    );
    const pipeline = entries.map((e) => index.recordArchived(e));
    await Promise.all(pipeline);
    const keys = await indexKeysInRedis();
    expect(keys).toHaveLength(count * 2 + 2); // an entry and a call per recording, the account, the accounts
    let bytes = 0;
    for (const key of keys) bytes += (await redis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0;
    const perRecording = Math.round(bytes / count);
    console.warn(
      `archive index: ${perRecording} bytes of Redis per archived recording (${count} recordings)`,
    );
    expect(perRecording).toBeLessThan(1024);
  });
});
