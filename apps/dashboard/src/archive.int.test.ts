import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArchiveEntry, type ArchiveIndex, createArchiveIndex } from '@recording-vault/archive-index';
import {
  type ArchivedRecording,
  type ArchivedRecordingInput,
  archiveRecording,
  sidOf,
} from '@recording-vault/archive-index/testing/archived-fixtures';
import { allQueueNames, type QueueName } from '@recording-vault/contract';
import { createLogger } from '@recording-vault/logger';
import { verifyLink } from '@recording-vault/recordings-api/links';
import { producerConnection } from '@recording-vault/redis';
import { createFolderStore, type ObjectStore, sidecarKey } from '@recording-vault/storage';
import { type RedisTestServer, startRedisServer, testQueuePrefix } from '@recording-vault/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardApp } from './app.ts';
import type { ArchivePageDeps } from './archive-routes.ts';

const credentials = { user: 'operator', password: 'correct horse battery staple' };
const authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
const publicUrl = 'https://recordings.example.test';
const linkSecret = randomBytes(32).toString('base64url');
const evilSource = `<script>alert("source")</script>&'`;

/** The recording SIDs a page links to, in the order shown. */
function listedSids(page: string): string[] {
  return [...page.matchAll(/<a href="\/archive\/recordings\/(RE[0-9a-f]{32})"/g)].map(
    (match) => match[1] as string,
  );
}

/** The cells of a totals row, as text. */
function totalsRow(page: string, accountSid: string): string[] {
  const row = new RegExp(`<tr data-account="${accountSid}">(.*?)</tr>`, 's').exec(page)?.[1] ?? '';
  return [...row.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((cell) =>
    (cell[1] as string).replace(/<[^>]+>/g, '').trim(),
  );
}

describe('archive pages', () => {
  let redis: RedisTestServer;
  let connection: Redis;
  let queues: Record<QueueName, Queue>;
  let index: ArchiveIndex;
  let store: ObjectStore;
  let work: string;
  let cleanup: () => Promise<void>;
  const servers: Server[] = [];
  const logLines: string[] = [];
  let base: string;

  const a = sidOf('AC');
  const b = sidOf('AC');
  const big = sidOf('AC');
  const call = sidOf('CA');
  const recordings: Record<'first' | 'second' | 'encrypted' | 'other', ArchivedRecording> = {} as never;
  let hugeEntry: ArchiveEntry;

  async function serve(archive: Partial<ArchivePageDeps> = {}): Promise<string> {
    const logger = createLogger({
      name: 'dashboard',
      level: 'info',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    const server = createDashboardApp({
      queues,
      auth: credentials,
      logger,
      isRedisReady: async () => (await connection.ping()) === 'PONG',
      archive: {
        index,
        redis: connection,
        store,
        playback: { enabled: true, publicUrl, linkSecret },
        logger,
        totals: { cacheMs: 0 },
        ...archive,
      },
    }).listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const get = (path: string, origin = base, headers: Record<string, string> = {}) =>
    fetch(`${origin}${path}`, { headers: { authorization, ...headers }, redirect: 'manual' });
  const text = async (path: string, origin = base) => {
    const response = await get(path, origin);
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  const postLink = (recordingSid: string, headers: Record<string, string>, body = 'ttl=15m', origin = base) =>
    fetch(`${origin}/archive/recordings/${recordingSid}/link`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });

  beforeAll(async () => {
    redis = await startRedisServer();
    const prefixed = testQueuePrefix(redis.url);
    cleanup = prefixed.cleanup;
    connection = producerConnection(redis.url);
    connection.on('error', () => {});
    queues = Object.fromEntries(
      allQueueNames.map((name) => [name, new Queue(name, { connection, prefix: prefixed.prefix })]),
    ) as Record<QueueName, Queue>;
    index = createArchiveIndex({ redis: connection, prefix: prefixed.prefix });
    work = await mkdtemp(join(tmpdir(), 'rv-archive-page-'));
    store = createFolderStore({ dir: join(work, 'recordings') });
    await store.ensureBucket();

    const archive = (input: Omit<ArchivedRecordingInput, 'accountSid'> & { accountSid?: string }) =>
      archiveRecording(store, { accountSid: a, ...input }, index);
    recordings.first = await archive({
      callSid: call,
      dateCreated: new Date('2026-11-20T10:00:00Z'),
      durationSeconds: 65,
    });
    recordings.second = await archive({
      callSid: call,
      dateCreated: new Date('2026-11-20T10:05:00Z'),
      durationSeconds: 3,
      channels: 2,
    });
    recordings.encrypted = await archive({
      dateCreated: new Date('2026-11-22T08:00:00Z'),
      durationSeconds: 4,
      encrypted: true,
    });
    recordings.other = await archive({
      accountSid: b,
      dateCreated: new Date('2026-11-21T12:00:00Z'),
      durationSeconds: 2,
      format: 'mp3',
    });
    // A sidecar whose free text would be markup if it were not escaped.
    const { entry, sidecar } = recordings.first;
    await store.putJson(sidecarKey(entry.key), {
      ...sidecar,
      recording: { ...(sidecar.recording as object), source: evilSource },
    });
    // 20,000 minutes in one entry (no bytes in storage needed for totals): 10,000 beyond the allowance.
    hugeEntry = {
      ...recordings.other.entry,
      recordingSid: sidOf('RE'),
      accountSid: big,
      callSid: sidOf('CA'),
      durationSeconds: 20_000 * 60,
      bytes: 19_200_000_044,
      dateCreated: Date.parse('2026-10-01T00:00:00Z'),
    };
    hugeEntry = {
      ...hugeEntry,
      key: `${big}/2026/10/01/${hugeEntry.callSid}/${hugeEntry.recordingSid}.${hugeEntry.format}`,
    };
    await index.recordArchived(hugeEntry);

    base = await serve();
  });

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await Promise.all(Object.values(queues ?? {}).map((queue) => queue.close().catch(() => {})));
    connection?.disconnect();
    await cleanup?.().catch(() => {});
    await redis?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.each([
    ['GET', '/archive'],
    ['GET', '/archive?q=RE0'],
    ['GET', `/archive/recordings/RE${'0'.repeat(32)}`],
    ['GET', '/archive/assets/archive.css'],
    ['POST', `/archive/recordings/RE${'0'.repeat(32)}/link`],
  ])('%s %s answers 401 without credentials, and with wrong ones', async (method, path) => {
    for (const headers of [
      {},
      { authorization: `Basic ${Buffer.from('operator:nope').toString('base64')}` },
    ]) {
      const response = await fetch(`${base}${path}`, { method, headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(await response.text()).not.toContain('RE');
    }
  });

  it('lists the recent archives of every account, newest first, with a strict CSP and no script', async () => {
    const page = await text('/archive');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(listedSids(page.body)).toEqual([
      recordings.encrypted.entry.recordingSid,
      recordings.other.entry.recordingSid,
      recordings.second.entry.recordingSid,
      recordings.first.entry.recordingSid,
      hugeEntry.recordingSid,
    ]);
    expect(page.body).toContain('Recent archives');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain(`media-src ${publicUrl}`);
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src|unsafe/);
    expect(page.body).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    expect(page.headers.get('cache-control')).toBe('no-store');
    // The stylesheet the CSP allows is there.
    const css = await get('/archive/assets/archive.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('lists one account when one is chosen', async () => {
    const page = await text(`/archive?account=${b}`);
    expect(page.status).toBe(200);
    expect(listedSids(page.body)).toEqual([recordings.other.entry.recordingSid]);
    expect(page.body).toContain(`Recent archives of account ${b}`);
  });

  it('goes to the recording a recording SID names, and says when the index does not have it', async () => {
    const sid = recordings.second.entry.recordingSid;
    const found = await get(`/archive?q=${sid.toUpperCase().replace(/^RE/, 'RE')}`);
    expect(found.status).toBe(303);
    expect(found.headers.get('location')).toBe(`/archive/recordings/${sid}`);

    const missing = sidOf('RE');
    const page = await text(`/archive?q=${missing}`);
    expect(page.status).toBe(404);
    expect(page.body).toContain(`${missing} is not in the archive index.`);
    expect(listedSids(page.body)).toEqual([]);
  });

  it('finds the recordings of a call, whichever account it is', async () => {
    const page = await text(`/archive?q=${call}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`Recordings of call ${call}`);
    expect(listedSids(page.body)).toEqual([
      recordings.second.entry.recordingSid,
      recordings.first.entry.recordingSid,
    ]);
    // Another account's call, searched within account b: nothing.
    expect(listedSids((await text(`/archive?q=${call}&account=${b}`)).body)).toEqual([]);
  });

  it('finds the recordings created on a range of UTC days, both ends included', async () => {
    const oneDay = await text('/archive?from=2026-11-21&to=2026-11-21');
    expect(oneDay.body).toContain('created on 2026-11-21 (UTC)');
    expect(listedSids(oneDay.body)).toEqual([recordings.other.entry.recordingSid]);
    const twoDays = await text('/archive?from=2026-11-20&to=2026-11-21');
    expect(listedSids(twoDays.body)).toEqual([
      recordings.other.entry.recordingSid,
      recordings.second.entry.recordingSid,
      recordings.first.entry.recordingSid,
    ]);
    const upTo = await text(`/archive?to=2026-11-20&account=${a}`);
    expect(listedSids(upTo.body)).toEqual([
      recordings.second.entry.recordingSid,
      recordings.first.entry.recordingSid,
    ]);
  });

  it('pages through results across accounts with the Older link', async () => {
    const paged = await serve({ pageSize: 2 });
    const seen: string[] = [];
    let path: string | undefined = '/archive?from=2026-11-01';
    while (path) {
      const page = await text(path, paged);
      expect(page.status).toBe(200);
      seen.push(...listedSids(page.body));
      const older = /<a rel="next" href="([^"]+)"/.exec(page.body)?.[1];
      path = older?.replaceAll('&amp;', '&');
      expect(seen.length).toBeLessThanOrEqual(4);
    }
    expect(seen).toEqual([
      recordings.encrypted.entry.recordingSid,
      recordings.other.entry.recordingSid,
      recordings.second.entry.recordingSid,
      recordings.first.entry.recordingSid,
    ]);
  });

  it('answers 400 with every problem of a search, and escapes what was sent', async () => {
    const sent = `"><script>alert(1)</script>`;
    const page = await text(`/archive?q=${encodeURIComponent(sent)}&from=2026-02-31&to=2026-01-01`);
    expect(page.status).toBe(400);
    expect(page.body).toContain('search for a recording SID');
    expect(page.body).toContain('from must be a day, YYYY-MM-DD (got 2026-02-31)');
    expect(page.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(page.body).not.toContain('<script');
  });

  it('shows per-account totals: recordings, minutes, bytes, and the storage cost avoided at Twilio', async () => {
    const page = await text('/archive');
    const bytesOf = (...list: ArchivedRecording[]) => list.reduce((sum, r) => sum + r.entry.bytes, 0);
    // Account a: 65 + 3 + 4 seconds = 1.2 minutes, far below the 10,000 free minutes.
    const aRow = totalsRow(page.body, a);
    expect(aRow.slice(0, 5)).toEqual([a, '3', '1.2', '1.14 MiB', '$0.00']);
    expect(bytesOf(recordings.first, recordings.second, recordings.encrypted)).toBe(
      44 + 65 * 16_000 + 44 + 3 * 32_000 + 44 + 4 * 16_000,
    );
    expect(totalsRow(page.body, b).slice(0, 5)).toEqual([b, '1', '0.0', '7.81 KiB', '$0.00']);
    // 20,000 minutes: 10,000 beyond the allowance at $0.0005 a minute.
    expect(totalsRow(page.body, big).slice(0, 5)).toEqual([big, '1', '20,000.0', '17.9 GiB', '$5.00']);
    // The sum over accounts, and the price and allowance stated.
    expect(page.body).toMatch(
      /<tfoot><tr><th>All accounts<\/th><td class="n">5<\/td><td class="n">20,001\.2<\/td>/,
    );
    expect(page.body).toContain('$0.0005 per minute');
    expect(page.body).toContain('first 10,000 minutes of each account');

    // One account chosen: its row alone.
    const one = await text(`/archive?account=${big}`);
    expect(totalsRow(one.body, big)[4]).toBe('$5.00');
    expect(totalsRow(one.body, a)).toEqual([]);
  });

  it('estimates minutes and bytes from the newest entries of an account too large to sum on a page view', async () => {
    const estimating = await serve({ totals: { exactUpTo: 2, sample: 2, cacheMs: 0 } });
    const row = totalsRow((await text(`/archive?account=${a}`, estimating)).body, a);
    // The newest two of a's recordings last 4 and 3 seconds: 3.5 s on average, times 3 recordings.
    expect(row.slice(0, 3)).toEqual([a, '3', '0.2']);
    expect(row[5]).toBe('≈ estimated from the newest 2');
  });

  it("shows a recording's metadata, source included, and plays it through a signed link", async () => {
    const { entry } = recordings.first;
    const page = await text(`/archive/recordings/${entry.recordingSid}`);
    expect(page.status).toBe(200);
    for (const value of [
      entry.recordingSid,
      entry.accountSid,
      call,
      '2026-11-20 10:00:00 UTC',
      '1:05 (65 s)',
      '1 (mono)',
      entry.sha256,
      entry.key,
      '<dt>Encryption</dt><dd>none</dd>',
      `${(entry.bytes).toLocaleString('en-US')} bytes`,
    ]) {
      expect(page.body).toContain(value);
    }
    // The sidecar's free text, escaped.
    expect(page.body).toContain(
      '<dt>Source</dt><dd>&lt;script&gt;alert(&quot;source&quot;)&lt;/script&gt;&amp;&#39;</dd>',
    );
    expect(page.body).not.toContain('<script');

    const src = /<audio id="player" controls preload="metadata" src="([^"]+)"/.exec(page.body)?.[1];
    const url = new URL((src ?? '').replaceAll('&amp;', '&'));
    expect(`${url.origin}${url.pathname}`).toBe(`${publicUrl}/v1/media/${a}/${entry.recordingSid}.wav`);
    const check = verifyLink(
      {
        accountSid: a,
        recordingSid: entry.recordingSid,
        format: 'wav',
        expires: url.searchParams.get('Expires') ?? undefined,
        signature: url.searchParams.get('Signature') ?? undefined,
      },
      linkSecret,
      Date.now(),
    );
    expect(check.valid).toBe(true);

    const dual = await text(`/archive/recordings/${recordings.second.entry.recordingSid}`);
    expect(dual.body).toContain('2 (dual-channel)');
    expect(dual.body).toContain('<dt>Source</dt><dd>DialVerb</dd>');
  });

  it('has no player for an encrypted recording, and says why', async () => {
    const page = await text(`/archive/recordings/${recordings.encrypted.entry.recordingSid}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<audio');
    expect(page.body).toContain(
      'encrypted (Twilio Voice Recording Encryption): stored as ciphertext, for public key CR',
    );
    expect(page.body).toContain('which a browser cannot play');
  });

  it('answers 404 for a recording the index does not have, 400 for what is no recording SID', async () => {
    expect((await text(`/archive/recordings/${sidOf('RE')}`)).status).toBe(404);
    const bad = await text('/archive/recordings/RE..%2Fetc');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('is not RE followed by 32 hex digits');
  });

  it('says what is missing when the link settings are not configured: metadata, no player, no links', async () => {
    const without = await serve({ playback: { enabled: false, missing: ['RECORDINGS_API_PUBLIC_URL'] } });
    const { entry } = recordings.second;
    const page = await text(`/archive/recordings/${entry.recordingSid}`, without);
    expect(page.status).toBe(200);
    expect(page.body).toContain(entry.sha256);
    expect(page.body).not.toContain('<audio');
    expect(page.body).toContain(
      'Playback and signed links need RECORDINGS_API_PUBLIC_URL in the dashboard&#39;s configuration',
    );
    expect(page.headers.get('content-security-policy')).toContain("media-src 'none'");
    expect((await postLink(entry.recordingSid, { origin: without }, 'ttl=1h', without)).status).toBe(501);
  });

  it('refuses a link request from another site (403) before issuing anything', async () => {
    const sid = recordings.first.entry.recordingSid;
    const before = logLines.length;
    const attempts: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      {},
    ];
    for (const headers of attempts) {
      const response = await postLink(sid, headers);
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(((await response.json()) as { error: string }).error).toBe('forbidden');
    }
    expect(logLines.slice(before).join('')).not.toContain('signed link issued');
  });

  it('issues a signed link to a request from its own page, shows it with its expiry, and logs it without the signature', async () => {
    const { entry } = recordings.second;
    const before = logLines.length;
    const started = Date.now();
    const response = await postLink(
      entry.recordingSid,
      { origin: base, 'sec-fetch-site': 'same-origin' },
      'ttl=15m',
    );
    expect(response.status).toBe(201);
    const body = await response.text();
    const href = /<a id="signed-link" href="([^"]+)"/.exec(body)?.[1];
    const url = new URL((href ?? '').replaceAll('&amp;', '&'));
    expect(url.pathname).toBe(`/v1/media/${a}/${entry.recordingSid}.wav`);
    const expires = Number(url.searchParams.get('Expires'));
    expect(expires * 1000).toBeGreaterThanOrEqual(started + 15 * 60_000);
    expect(expires * 1000).toBeLessThanOrEqual(Date.now() + 15 * 60_000 + 1_000);
    const check = verifyLink(
      {
        accountSid: a,
        recordingSid: entry.recordingSid,
        format: 'wav',
        expires: String(expires),
        signature: url.searchParams.get('Signature') ?? undefined,
      },
      linkSecret,
      Date.now(),
    );
    expect(check.valid).toBe(true);
    expect(body).toContain('valid for 15 min, until');
    expect(body).toContain(`<time datetime="${new Date(expires * 1000).toISOString()}">`);

    const logged = logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    const issued = logged.find((line) => line.msg === 'archive page: signed link issued');
    expect(issued).toMatchObject({ recordingSid: entry.recordingSid, accountSid: a, ttl: '15m' });
    expect(JSON.stringify(logged)).not.toContain(url.searchParams.get('Signature'));

    // An Origin alone (a script's request) is enough, as for the board's other writes.
    expect((await postLink(entry.recordingSid, { origin: base })).status).toBe(201);
  });

  it('refuses a link lifetime it does not offer, and a link to a recording it does not have', async () => {
    const sid = recordings.first.entry.recordingSid;
    expect((await postLink(sid, { origin: base }, 'ttl=30d')).status).toBe(400);
    expect((await postLink(sidOf('RE'), { origin: base })).status).toBe(404);
  });

  it('answers 503 while Redis does not answer, and recovers by itself (this test stops Redis: keep it last)', async () => {
    await redis.stop();
    try {
      const page = await text('/archive');
      expect(page.status).toBe(503);
      expect(page.body).toContain('Redis, which holds the archive index, does not answer');
    } finally {
      await redis.start();
    }
    let status = 0;
    while (status !== 200) {
      status = (await get('/archive')).status;
      if (status !== 200) await new Promise((done) => setTimeout(done, 50));
    }
    expect(status).toBe(200);
  });
});
