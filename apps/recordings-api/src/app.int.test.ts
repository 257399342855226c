import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchivedRecording } from '@recording-vault/archive-index/testing/archived-fixtures';
import { sidOf } from '@recording-vault/archive-index/testing/archived-fixtures';
import { sendRawHttp } from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRig, startApiRig } from './testing/api-rig.ts';

const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);

interface TwilioPage {
  recordings: { sid: string }[];
  page: number;
  next_page_uri: string | null;
  previous_page_uri: string | null;
}
interface IssuedLink {
  url: string;
  expires_at: string;
}
const readJson = async <T>(response: Response | Promise<Response>) => (await (await response).json()) as T;
const sha256 = (body: Buffer | ArrayBuffer) =>
  createHash('sha256')
    .update(Buffer.from(body as ArrayBuffer))
    .digest('hex');

describe.each(['folder', 's3'] as const)('recordings API over the %s store', (driver) => {
  let rig: ApiRig;
  let mono: ArchivedRecording;
  let dual: ArchivedRecording;
  let mp3: ArchivedRecording;
  let conference: ArchivedRecording;
  let ofB: ArchivedRecording;
  let authA: [string, string];
  let authB: [string, string];
  const callWithTwo = sidOf('CA');
  const conferenceSid = sidOf('CF');

  beforeAll(async () => {
    rig = await startApiRig(driver);
    authA = [rig.a.accountSid, rig.a.authTokens[0] as string];
    authB = [rig.b.accountSid, rig.b.authTokens[0] as string];
    mono = await rig.archive({ callSid: callWithTwo, dateCreated: new Date(T0), durationSeconds: 3 });
    dual = await rig.archive({
      callSid: callWithTwo,
      dateCreated: new Date(T0 + 1_000),
      channels: 2,
      encrypted: true,
    });
    mp3 = await rig.archive({ format: 'mp3', dateCreated: new Date(T0 + 86_400_000) });
    conference = await rig.archive({ callSid: null, conferenceSid, dateCreated: new Date(T0 + 2_000) });
    ofB = await rig.archive({ accountSid: rig.b.accountSid, dateCreated: new Date(T0 + 500) });
  });
  afterAll(async () => {
    await rig?.close();
  });

  const path = (r: ArchivedRecording, suffix = '') =>
    `/2010-04-01/Accounts/${r.entry.accountSid}/Recordings/${r.entry.recordingSid}${suffix}`;
  const listPath = (accountSid: string, query = '') =>
    `/2010-04-01/Accounts/${accountSid}/Recordings.json${query}`;

  describe('the resource (.json)', () => {
    it('is the resource Twilio returned, with uri and media_url on the vault', async () => {
      const response = await rig.request(path(dual, '.json'), { auth: authA });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        ...dual.resource,
        uri: path(dual, '.json'),
        media_url: `${rig.api.publicUrl}${path(dual)}`,
      });
    });

    it('answers HEAD with the headers alone', async () => {
      const response = await rig.request(path(mono, '.json'), { auth: authA, method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await response.text()).toBe('');
    });
  });

  describe('authentication', () => {
    it('refuses missing and wrong credentials with 401, 20003 and a challenge', async () => {
      const attempts: ([string, string] | undefined)[] = [
        undefined,
        [rig.a.accountSid, 'f'.repeat(32)],
        [rig.a.accountSid, ''],
      ];
      for (const auth of attempts) {
        const response = await rig.request(path(mono, '.json'), auth ? { auth } : {});
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"');
        expect(await response.json()).toEqual({
          code: 20003,
          message: 'Authenticate',
          more_info: 'https://www.twilio.com/docs/errors/20003',
          status: 401,
        });
      }
      const garbled = await rig.request(path(mono, '.json'), { headers: { Authorization: 'Basic !!!' } });
      expect(garbled.status).toBe(401);
    });

    it('takes either token of a rotation, and an API key of the account', async () => {
      for (const auth of [
        [rig.a.accountSid, rig.a.authTokens[1]],
        [rig.a.apiKey?.sid, rig.a.apiKey?.secret],
      ] as [string, string][]) {
        expect((await rig.request(path(mono), { auth })).status).toBe(200);
      }
      const wrongSecret = await rig.request(path(mono), {
        auth: [rig.a.apiKey?.sid as string, 'x'.repeat(48)],
      });
      expect(wrongSecret.status).toBe(401);
    });

    it("refuses another account's credentials on this account's paths", async () => {
      expect((await rig.request(path(mono, '.json'), { auth: authB })).status).toBe(401);
      expect((await rig.request(listPath(rig.a.accountSid), { auth: authB })).status).toBe(401);
    });

    it('answers 404 for a recording of another account, as for one never archived', async () => {
      const crossed = `/2010-04-01/Accounts/${rig.b.accountSid}/Recordings/${mono.entry.recordingSid}.json`;
      const response = await rig.request(crossed, { auth: authB });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 20404, status: 404 });
      const unknown = await rig.request(
        `/2010-04-01/Accounts/${rig.a.accountSid}/Recordings/${sidOf('RE')}.wav`,
        {
          auth: authA,
        },
      );
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ code: 20404 });
      expect((await rig.request(path(ofB, '.json'), { auth: authB })).status).toBe(200);
    });
  });

  describe('media', () => {
    it('streams the stored bytes, without extension as .wav, with type, length, ETag and ranges', async () => {
      for (const suffix of ['', '.wav']) {
        const response = await rig.request(path(dual, suffix), { auth: authA });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('audio/x-wav');
        expect(response.headers.get('content-length')).toBe(String(dual.body.length));
        expect(response.headers.get('accept-ranges')).toBe('bytes');
        expect(response.headers.get('etag')).toBe(`"${dual.entry.sha256}"`);
        expect(sha256(await response.arrayBuffer())).toBe(dual.entry.sha256);
      }
      const mp3Response = await rig.request(path(mp3, '.mp3'), { auth: authA });
      expect(mp3Response.headers.get('content-type')).toBe('audio/mpeg');
      expect(sha256(await mp3Response.arrayBuffer())).toBe(mp3.entry.sha256);
    });

    it('answers HEAD with the headers and no body', async () => {
      const response = await rig.request(path(mono, '.wav'), { auth: authA, method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(mono.body.length));
      expect((await response.arrayBuffer()).byteLength).toBe(0);
      const ranged = await rig.request(path(mono, '.wav'), {
        auth: authA,
        method: 'HEAD',
        headers: { Range: 'bytes=10-19' },
      });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-length')).toBe('10');
    });

    it('refuses the format that is not stored with 406, naming the stored one', async () => {
      const response = await rig.request(path(mono, '.mp3'), { auth: authA });
      expect(response.status).toBe(406);
      expect((await readJson<{ message: string }>(response)).message).toMatch(/archived as wav/);
      expect((await rig.request(path(mp3, '.wav'), { auth: authA })).status).toBe(406);
      expect((await rig.request(path(mp3), { auth: authA })).status).toBe(406);
    });

    it.each([
      ['the first byte', 'bytes=0-0', (size: number) => [0, 0, size]],
      ['the last byte', 'LAST', (size: number) => [size - 1, size - 1, size]],
      ['a suffix', 'bytes=-100', (size: number) => [size - 100, size - 1, size]],
      ['a suffix longer than the body', 'bytes=-999999999', (size: number) => [0, size - 1, size]],
      ['a range past the end, cut at it', 'bytes=100-999999999', (size: number) => [100, size - 1, size]],
      ['a middle', 'bytes=1000-1999', (size: number) => [1000, 1999, size]],
    ])('answers %s with 206 and its Content-Range', async (_what, header, expected) => {
      const size = mono.body.length;
      const range = header === 'LAST' ? `bytes=${size - 1}-` : header;
      const [start, end] = expected(size) as [number, number, number];
      const response = await rig.request(path(mono, '.wav'), { auth: authA, headers: { Range: range } });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      expect(response.headers.get('content-length')).toBe(String(end - start + 1));
      expect(Buffer.from(await response.arrayBuffer())).toEqual(mono.body.subarray(start, end + 1));
    });

    it('answers a range that starts past the end 416, with the size', async () => {
      const size = mono.body.length;
      for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0']) {
        const response = await rig.request(path(mono, '.wav'), { auth: authA, headers: { Range: range } });
        expect(response.status).toBe(416);
        expect(response.headers.get('content-range')).toBe(`bytes */${size}`);
        expect(await response.json()).toMatchObject({ status: 416 });
      }
    });

    it('answers several ranges, a malformed one, or one under another If-Range, with the whole body', async () => {
      const variants: Record<string, string>[] = [
        { Range: 'bytes=0-1,5-6' },
        { Range: 'bytes=abc' },
        { Range: 'items=0-5' },
        { Range: 'bytes=0-5', 'If-Range': '"another-version"' },
      ];
      for (const headers of variants) {
        const response = await rig.request(path(mono, '.wav'), { auth: authA, headers });
        expect(response.status).toBe(200);
        expect(sha256(await response.arrayBuffer())).toBe(mono.entry.sha256);
      }
      const sameVersion = await rig.request(path(mono, '.wav'), {
        auth: authA,
        headers: { Range: 'bytes=0-5', 'If-Range': `"${mono.entry.sha256}"` },
      });
      expect(sameVersion.status).toBe(206);
      await sameVersion.arrayBuffer();
    });

    it('answers 304 to If-None-Match with the ETag', async () => {
      const response = await rig.request(path(mono), {
        auth: authA,
        headers: { 'If-None-Match': `"${mono.entry.sha256}"` },
      });
      expect(response.status).toBe(304);
    });

    it('ignores unknown query parameters and RequestedChannels', async () => {
      const response = await rig.request(`${path(dual, '.wav')}?RequestedChannels=2&utm_source=crm`, {
        auth: authA,
      });
      expect(response.status).toBe(200);
      expect(sha256(await response.arrayBuffer())).toBe(dual.entry.sha256);
      expect(rig.logs.some((line) => line.msg === 'unknown query parameters ignored')).toBe(true);
    });

    it('logs one access line per read: account, recording, credential, range, bytes, outcome', async () => {
      const response = await rig.request(path(mono, '.wav'), {
        auth: [rig.a.apiKey?.sid as string, rig.a.apiKey?.secret as string],
        headers: { Range: 'bytes=0-99' },
      });
      await response.arrayBuffer();
      await expect
        .poll(() =>
          rig.logs.filter((line) => (line.access as { range?: string } | undefined)?.range === '0-99'),
        )
        .toHaveLength(1);
      const line = rig.logs.find((l) => (l.access as { range?: string } | undefined)?.range === '0-99');
      expect(line?.access).toEqual({
        account: rig.a.accountSid,
        recording: mono.entry.recordingSid,
        credential: 'api-key',
        range: '0-99',
        bytes: 100,
        outcome: 'sent',
      });
    });

    it('refuses to serve a copy whose recorded size is not the index’s (500, reason in the log)', async () => {
      const lying = await rig.archive({ dateCreated: new Date(T0 - 5_000) });
      await rig.index.recordArchived({ ...lying.entry, bytes: lying.entry.bytes + 1 });
      const response = await rig.request(path(lying, '.wav'), { auth: authA });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ code: 20500 });
      expect(rig.logs.some((line) => String(line.msg).startsWith('archived recording not served'))).toBe(
        true,
      );
    });

    it('cuts a whole response whose stored bytes changed since they were verified', async () => {
      const changed = await rig.archive({ dateCreated: new Date(T0 - 6_000) });
      const other = Buffer.from(changed.body);
      other[other.length - 1] = (other.at(-1) ?? 0) ^ 0xff;
      // Behind the store's back, where each keeps its bytes (s3rver: <dir>/<bucket>/<key>._S3rver_object).
      const segments = changed.entry.key.split('/');
      const file =
        driver === 'folder'
          ? join(rig.dir as string, ...segments)
          : join(
              rig.s3?.dir as string,
              'recordings',
              ...segments.slice(0, -1),
              `${segments.at(-1)}._S3rver_object`,
            );
      await writeFile(file, other);
      // The last chunk is held back until the hash is known: the client gets a cut response (or, for a body of
      // one chunk, no response at all), never the whole changed copy.
      const outcome = await rig
        .request(path(changed, '.wav'), { auth: authA })
        .then((response) => response.arrayBuffer())
        .then(
          () => 'whole',
          () => 'cut',
        );
      expect(outcome).toBe('cut');
      await expect
        .poll(() =>
          rig.logs.some(
            (line) => line.msg === 'archived recording not served whole: its stored bytes changed',
          ),
        )
        .toBe(true);
    });
  });

  describe('the list (Recordings.json)', () => {
    it("lists the account's archived recordings newest first, in Twilio's page shape", async () => {
      const response = await rig.request(listPath(rig.a.accountSid), { auth: authA });
      expect(response.status).toBe(200);
      const page = await readJson<TwilioPage>(response);
      const sids = page.recordings.map((r) => r.sid);
      expect(sids.slice(0, 4)).toEqual([mp3, conference, dual, mono].map((r) => r.entry.recordingSid));
      expect(sids).not.toContain(ofB.entry.recordingSid);
      expect(page).toMatchObject({
        page: 0,
        page_size: 50,
        start: 0,
        end: sids.length - 1,
        next_page_uri: null,
        previous_page_uri: null,
        uri: listPath(rig.a.accountSid),
        first_page_uri: `${listPath(rig.a.accountSid)}?PageSize=50&Page=0`,
      });
      expect(page.recordings[0]).toEqual({
        ...mp3.resource,
        uri: path(mp3, '.json'),
        media_url: `${rig.api.publicUrl}${path(mp3)}`,
      });
    });

    it('pages by token, forward and back', async () => {
      const all = (
        await readJson<TwilioPage>(rig.request(listPath(rig.a.accountSid), { auth: authA }))
      ).recordings.map((r) => r.sid);
      const pages: string[][] = [];
      let next: string | null = listPath(rig.a.accountSid, '?PageSize=2');
      let previous: string | null = null;
      while (next) {
        const page: TwilioPage = await readJson<TwilioPage>(rig.request(next, { auth: authA }));
        pages.push(page.recordings.map((r) => r.sid));
        expect(page.page).toBe(pages.length - 1);
        if (page.next_page_uri === null) previous = page.previous_page_uri;
        next = page.next_page_uri;
      }
      expect(pages.flat()).toEqual(all);
      const back = await readJson<TwilioPage>(rig.request(previous as string, { auth: authA }));
      expect(back.recordings.map((r) => r.sid)).toEqual(pages.at(-2));
    });

    it('filters by CallSid, ConferenceSid and DateCreated', async () => {
      const sids = async (query: string) =>
        (
          await readJson<TwilioPage>(rig.request(listPath(rig.a.accountSid, query), { auth: authA }))
        ).recordings.map((r) => r.sid);
      expect(await sids(`?CallSid=${callWithTwo}`)).toEqual([
        dual.entry.recordingSid,
        mono.entry.recordingSid,
      ]);
      expect(await sids(`?ConferenceSid=${conferenceSid}`)).toEqual([conference.entry.recordingSid]);
      expect(await sids('?DateCreated=2026-11-25')).toEqual([mp3.entry.recordingSid]);
      const day = new URLSearchParams({
        'DateCreated>': '2026-11-24T03:00:01Z',
        'DateCreated<': '2026-11-24T03:00:02Z',
      });
      expect(await sids(`?${day}`)).toEqual([conference.entry.recordingSid, dual.entry.recordingSid]);
      expect(await sids(`?${new URLSearchParams({ 'DateCreated<': '2026-11-23' })}`)).toEqual([]);
      expect(await sids(`?CallSid=${callWithTwo}&PageToken=&Foo=bar`)).toHaveLength(2);
    });

    it('refuses malformed filters with 400 and Twilio error 20001', async () => {
      for (const query of [
        '?PageSize=0',
        '?PageSize=x',
        '?CallSid=CA1',
        '?DateCreated=yesterday',
        '?PageToken=PAxx',
      ]) {
        const response = await rig.request(listPath(rig.a.accountSid, query), { auth: authA });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 20001, status: 400 });
      }
    });
  });

  describe('signed links', () => {
    const issue = async (body: Record<string, string>, auth: [string, string], form = false) =>
      await rig.request('/v1/links', {
        method: 'POST',
        auth,
        headers: { 'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
        body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
      });

    it('issues a link (JSON or form) that plays without credentials, ranges included', async () => {
      for (const form of [false, true]) {
        const response = await issue({ RecordingSid: dual.entry.recordingSid, Ttl: '15m' }, authA, form);
        expect(response.status).toBe(201);
        const { url, expires_at: expiresAt } = await readJson<IssuedLink>(response);
        expect(
          url.startsWith(`${rig.api.publicUrl}/v1/media/${rig.a.accountSid}/${dual.entry.recordingSid}.wav?`),
        ).toBe(true);
        expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
        const played = await fetch(url);
        expect(played.status).toBe(200);
        expect(played.headers.get('cache-control')).toBe('private, no-store, no-transform');
        expect(sha256(await played.arrayBuffer())).toBe(dual.entry.sha256);
        const ranged = await fetch(url, { headers: { Range: 'bytes=-10' } });
        expect(ranged.status).toBe(206);
        expect(Buffer.from(await ranged.arrayBuffer())).toEqual(dual.body.subarray(-10));
      }
      expect(
        rig.logs.some((line) => (line.access as { outcome?: string } | undefined)?.outcome === 'link issued'),
      ).toBe(true);
      expect(
        rig.logs.some((line) => (line.access as { credential?: string } | undefined)?.credential === 'link'),
      ).toBe(true);
    });

    it('refuses a link altered in any part with 403', async () => {
      const { url } = await readJson<IssuedLink>(issue({ RecordingSid: mono.entry.recordingSid }, authA));
      const link = new URL(url);
      const signature = link.searchParams.get('Signature') as string;
      const altered = [
        link.href.replace(mono.entry.recordingSid, dual.entry.recordingSid),
        link.href.replace(rig.a.accountSid, rig.b.accountSid),
        link.href.replace('.wav?', '.mp3?'),
        link.href.replace(/Expires=(\d+)/, (_m, e) => `Expires=${Number(e) + 3600}`),
        link.href.replace(signature, `${signature.slice(0, -2)}AA`),
        link.href.replace(/&?Signature=[^&]+/, ''),
        `${link.origin}${link.pathname}`,
      ];
      for (const href of altered) {
        const response = await fetch(href);
        expect(response.status, href).toBe(403);
        expect(await response.json()).toMatchObject({ status: 403 });
      }
    });

    it('refuses an expired link with 410, from the moment it expires (clock injected)', async () => {
      rig.clock.now = Date.now();
      try {
        const { url, expires_at: expiresAt } = await readJson<IssuedLink>(
          issue({ RecordingSid: mono.entry.recordingSid, Ttl: '90s' }, authA),
        );
        rig.clock.now = Date.parse(expiresAt) - 1;
        expect((await fetch(url)).status).toBe(200);
        rig.clock.now = Date.parse(expiresAt);
        const response = await fetch(url);
        expect(response.status).toBe(410);
        expect(await response.json()).toMatchObject({ status: 410 });
      } finally {
        rig.clock.now = undefined;
      }
    });

    it('refuses a one-second link once it has expired (real clock)', async () => {
      const { url } = await readJson<IssuedLink>(
        issue({ RecordingSid: mono.entry.recordingSid, Ttl: '1s' }, authA),
      );
      await expect.poll(async () => (await fetch(url)).status, { timeout: 10_000, interval: 100 }).toBe(410);
    });

    it('issues links only to the recording’s account, for its stored format, with a sane Ttl', async () => {
      expect((await issue({ RecordingSid: mono.entry.recordingSid }, authB)).status).toBe(404);
      expect(
        (await issue({ RecordingSid: mono.entry.recordingSid }, [rig.a.accountSid, 'nope'])).status,
      ).toBe(401);
      expect((await issue({ RecordingSid: mono.entry.recordingSid, Format: 'mp3' }, authA)).status).toBe(406);
      for (const Ttl of ['0', '8d', 'soon', '500ms']) {
        const response = await issue({ RecordingSid: mono.entry.recordingSid, Ttl }, authA);
        expect(response.status, Ttl).toBe(400);
      }
      expect((await issue({ RecordingSid: 'RE1' }, authA)).status).toBe(400);
      const malformed = await rig.request('/v1/links', {
        method: 'POST',
        auth: authA,
        headers: { 'Content-Type': 'application/json' },
        body: '{',
      });
      expect(malformed.status).toBe(400);
    });
  });

  describe('bad input', () => {
    it('answers path tricks and malformed SIDs with a Twilio-style 404, touching no storage', async () => {
      const account = rig.a.accountSid;
      const before = rig.s3?.operations.length ?? 0;
      const paths = [
        `/2010-04-01/Accounts/${account}/Recordings/..%2F..%2F${mono.entry.key}`,
        `/2010-04-01/Accounts/${account}/Recordings/${mono.entry.recordingSid}%2F.json`,
        `/2010-04-01/Accounts/${account}/Recordings/${mono.entry.recordingSid}%00.wav`,
        `/2010-04-01/Accounts/${account}/Recordings/../../../${mono.entry.key}`,
        `/2010-04-01/Accounts/${account}/Recordings/RE${'z'.repeat(32)}.wav`,
        `/2010-04-01/Accounts/${account}/Recordings/${mono.entry.recordingSid.toUpperCase()}.wav`,
        `/2010-04-01/Accounts/AC123/Recordings/${mono.entry.recordingSid}.wav`,
        `/2010-04-01/Accounts/${account}/Recordings/%E0%A4%A.wav`,
        `/v1/media/${account}/..%2F${mono.entry.recordingSid}.wav?Expires=1&Signature=x`,
      ];
      for (const requestPath of paths) {
        const answer = await sendRawHttp(Number(new URL(rig.api.origin).port), {
          method: 'GET',
          chunks: [
            Buffer.from(
              `GET ${requestPath} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from(authA.join(':')).toString('base64')}\r\nConnection: close\r\n\r\n`,
            ),
          ],
        });
        expect(answer.kind, requestPath).toBe('answer');
        if (answer.kind !== 'answer') continue;
        expect([403, 404], requestPath).toContain(answer.status);
        expect(JSON.parse(answer.body), requestPath).toMatchObject({ status: answer.status });
      }
      expect(rig.s3?.operations.length ?? 0).toBe(before);
    });

    it('refuses writes: the archive is read-only here', async () => {
      const response = await rig.request(path(mono, '.json'), { auth: authA, method: 'DELETE' });
      expect(response.status).toBe(405);
      expect(await response.json()).toMatchObject({ code: 20004 });
      expect((await rig.request(path(mono, '.json'), { auth: authA })).status).toBe(200);
    });
  });

  describe('health, metrics and the index rebuilt', () => {
    it('says healthy while Redis and storage answer', async () => {
      const response = await rig.request('/healthz');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('counts reads, bytes and refusals by reason', async () => {
      const text = await (await rig.request('/metrics')).text();
      expect(text).toMatch(/rv_recordings_api_reads_total\{kind="media",range="yes"\} [1-9]/);
      expect(text).toMatch(/rv_recordings_api_media_bytes_total [1-9]/);
      expect(text).toMatch(/rv_recordings_api_refusals_total\{status="401",reason="unauthenticated"\} [1-9]/);
      expect(text).toMatch(/rv_recordings_api_refusals_total\{status="410",reason="link-expired"\} [1-9]/);
      expect(text).toMatch(/rv_recordings_api_links_issued_total [1-9]/);
    });

    it('never logs a credential, a link secret or a signature', async () => {
      const text = JSON.stringify(rig.logs);
      for (const secret of [
        ...rig.a.authTokens,
        ...rig.b.authTokens,
        rig.a.apiKey?.secret as string,
        rig.linkSecret,
      ]) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toContain('Signature=');
    });

    it('gives the same answers after the index is wiped and rebuilt from storage', async () => {
      const asked = [
        path(mono, '.json'),
        path(conference, '.json'),
        listPath(rig.a.accountSid),
        listPath(rig.a.accountSid, `?CallSid=${callWithTwo}`),
        listPath(rig.b.accountSid),
      ];
      const answers = async () =>
        await Promise.all(
          asked.map(async (p) => {
            const auth = p.includes(rig.b.accountSid) ? authB : authA;
            const response = await rig.request(p, { auth });
            return [response.status, await response.json()];
          }),
        );
      const before = await answers();
      const media = sha256(await (await rig.request(path(dual), { auth: authA })).arrayBuffer());

      await rig.wipeIndex();
      expect((await rig.request(path(mono, '.json'), { auth: authA })).status).toBe(404);
      const report = await rig.index.reindex(rig.store);
      expect(report).toMatchObject({ invalid: 0, unreadable: 0, pruned: true });

      expect(await answers()).toEqual(before);
      expect(sha256(await (await rig.request(path(dual), { auth: authA })).arrayBuffer())).toBe(media);
    });
  });
});

describe('recordings API throttling', () => {
  let rig: ApiRig;
  beforeAll(async () => {
    rig = await startApiRig('folder', { authThrottle: { failedAttempts: 3, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('answers 429 to a client after its failed attempts, right credentials included', async () => {
    const recording = await rig.archive({ dateCreated: new Date(T0) });
    const url = `/2010-04-01/Accounts/${rig.a.accountSid}/Recordings/${recording.entry.recordingSid}.json`;
    expect((await rig.request(url)).status).toBe(401); // no credentials: not counted
    for (let i = 0; i < 3; i++) {
      expect((await rig.request(url, { auth: [rig.a.accountSid, 'e'.repeat(32)] })).status).toBe(401);
    }
    const throttled = await rig.request(url, { auth: [rig.a.accountSid, rig.a.authTokens[0] as string] });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await throttled.json()).toMatchObject({ code: 20429, status: 429 });
  });
});

describe('recordings API while Redis is down', () => {
  let rig: ApiRig;
  beforeAll(async () => {
    // As production runs it: the index survives a restart.
    rig = await startApiRig('folder', { redis: { appendOnly: true } });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('answers 503 at once, and recovers by itself when Redis returns', async () => {
    const recording = await rig.archive({ dateCreated: new Date(T0) });
    const url = `/2010-04-01/Accounts/${rig.a.accountSid}/Recordings/${recording.entry.recordingSid}.json`;
    const auth: [string, string] = [rig.a.accountSid, rig.a.authTokens[0] as string];
    await rig.redis.stop();
    try {
      const refused = await rig.request(url, { auth });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({ code: 20503, status: 503 });
      expect((await rig.request('/healthz')).status).toBe(503);
    } finally {
      await rig.redis.start();
    }
    await expect.poll(async () => (await rig.request(url, { auth })).status, { timeout: 20_000 }).toBe(200);
    expect((await rig.request('/healthz')).status).toBe(200);
  });
});
