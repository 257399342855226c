import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type EmulatorAccount, startTwilioEmulator, type TwilioEmulator } from '@recording-vault/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TwilioApiError } from './errors.ts';
import { createMediaDownloader, type MediaDownloader } from './media.ts';
import { createTwilioRestClient, type TwilioAccountCredentials } from './rest-client.ts';

let emulator: TwilioEmulator;
let account: EmulatorAccount;
let credentials: TwilioAccountCredentials;
let media: MediaDownloader;

async function digest(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function failure(promise: Promise<unknown>): Promise<TwilioApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TwilioApiError);
    return error as TwilioApiError;
  }
  throw new Error('expected a TwilioApiError');
}

beforeAll(async () => {
  emulator = await startTwilioEmulator();
  account = emulator.addAccount();
  credentials = { accountSid: account.accountSid, authToken: account.authToken };
  media = createMediaDownloader({ baseUrl: emulator.baseUrl, idleTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
});
afterAll(async () => {
  await media.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.resetLog();
});

describe('REST through the twilio SDK', () => {
  it('fetches a recording exactly as Twilio returns it, encryption details included', async () => {
    const client = createTwilioRestClient(credentials, { baseUrl: emulator.baseUrl });
    const seeded = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 12,
      channels: 2,
      encrypted: true,
    });
    const fetched = await client.fetchRecording(seeded.sid);
    expect(fetched).toEqual(seeded);
    expect(fetched.encryption_details).toMatchObject({ encryption_public_key_sid: expect.any(String) });
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'GET', route: 'fetch', auth: 'account' });
  });

  it('uses an API key when one is configured', async () => {
    const key = account.apiKeys[0];
    if (!key) throw new Error('the emulator made no API key');
    const client = createTwilioRestClient({ ...credentials, apiKey: key }, { baseUrl: emulator.baseUrl });
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    expect((await client.fetchRecording(seeded.sid)).sid).toBe(seeded.sid);
    expect(emulator.requests.at(-1)?.auth).toBe('apiKey');
  });

  it('lists three pages with date filters, following next_page_uri', async () => {
    const other = emulator.addAccount();
    const client = createTwilioRestClient(
      { accountSid: other.accountSid, authToken: other.authToken },
      { baseUrl: emulator.baseUrl },
    );
    const inRange = emulator.seedRecordings({
      accountSid: other.accountSid,
      count: 25,
      from: '2025-03-01',
      to: '2025-03-03T23:59:59Z',
    });
    emulator.seedRecordings({
      accountSid: other.accountSid,
      count: 5,
      from: '2025-04-01',
      to: '2025-04-02',
      seed: 'later',
    });

    const pages: string[][] = [];
    for await (const page of client.listRecordingPages({
      createdAfter: new Date('2025-03-01T00:00:00Z'),
      createdBefore: new Date('2025-03-04T00:00:00Z'),
      pageSize: 10,
    })) {
      pages.push(page.recordings.map((r) => r.sid));
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat().sort()).toEqual(inRange.map((r) => r.sid).sort());
    expect(emulator.requests.filter((r) => r.route === 'list')).toHaveLength(3);

    // Resuming at the second page yields the rest, and no page carries a host or credentials.
    const first = await client
      .listRecordingPages({
        createdAfter: new Date('2025-03-01T00:00:00Z'),
        createdBefore: new Date('2025-03-04T00:00:00Z'),
        pageSize: 10,
      })
      .next();
    const second = first.value?.nextPage;
    expect(second).toMatch(/^\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Recordings\.json\?/);
    const rest: string[] = [];
    for await (const page of client.listRecordingPages({ startAt: second }))
      rest.push(...page.recordings.map((r) => r.sid));
    expect(rest).toEqual(pages.slice(1).flat());
  });

  it('deletes, then reports the recording gone with Twilio code 20404', async () => {
    const client = createTwilioRestClient(credentials, { baseUrl: emulator.baseUrl });
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    expect(await client.deleteRecording(seeded.sid)).toBe('deleted');
    expect(await client.deleteRecording(seeded.sid)).toBe('already-gone');
    const gone = await failure(client.fetchRecording(seeded.sid));
    expect(gone).toMatchObject({ kind: 'not-found', status: 404, code: 20404, retryable: false });
    expect(emulator.isDeleted(seeded.sid)).toBe(true);
  });

  it.each([
    [{ kind: 'status', status: 500 } as const, { kind: 'transient', status: 500, retryable: true }],
    [{ kind: 'status', status: 503 } as const, { kind: 'transient', status: 503, retryable: true }],
    [
      { kind: 'rateLimit', retryAfterSeconds: 7 } as const,
      { kind: 'rate-limited', status: 429, code: 20429, retryAfterMs: 7000, retryable: true },
    ],
    [
      { kind: 'rateLimit' } as const,
      { kind: 'rate-limited', status: 429, code: 20429, retryAfterMs: undefined },
    ],
    [{ kind: 'reset' } as const, { kind: 'transient', status: undefined, retryable: true }],
  ])('an injected %o comes out as %o', async (fault, expected) => {
    const client = createTwilioRestClient(credentials, { baseUrl: emulator.baseUrl });
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    emulator.injectFault({ route: 'fetch', recordingSid: seeded.sid, times: 1, ...fault });
    expect(await failure(client.fetchRecording(seeded.sid))).toMatchObject(expected);
    expect((await client.fetchRecording(seeded.sid)).sid).toBe(seeded.sid);
  });

  it('types a wrong auth token as unauthorized and a dead server as transient', async () => {
    const wrong = createTwilioRestClient(
      { ...credentials, authToken: '0'.repeat(32) },
      { baseUrl: emulator.baseUrl },
    );
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    expect(await failure(wrong.fetchRecording(seeded.sid))).toMatchObject({
      kind: 'unauthorized',
      status: 401,
    });

    const dead = createTwilioRestClient(credentials, { baseUrl: 'http://127.0.0.1:9' });
    expect(await failure(dead.fetchRecording(seeded.sid))).toMatchObject({
      kind: 'transient',
      retryable: true,
    });
  });
});

/** What the worker asks of a download: the resource's duration, the format and channels asked for. */
function expectOf(
  resource: { duration: string; encryption_details?: unknown },
  format: 'wav' | 'mp3',
  channels: 1 | 2,
) {
  return {
    format,
    channels,
    durationSeconds: Number(resource.duration),
    encrypted: resource.encryption_details != null,
  };
}

describe('media download', () => {
  it('streams mono WAV, dual-channel WAV and MP3 byte for byte', async () => {
    const mono = emulator.addRecording({ accountSid: account.accountSid, duration: 30, channels: 1 });
    const dual = emulator.addRecording({ accountSid: account.accountSid, duration: 30, channels: 2 });
    for (const [sid, format, channels] of [
      [mono.sid, 'wav', 1],
      [dual.sid, 'wav', 2],
      [dual.sid, 'mp3', 1],
    ] as const) {
      const response = await media.download(credentials, sid, {
        format,
        channels,
        durationSeconds: 30,
        encrypted: false,
      });
      expect(response.contentType).toBe(format === 'wav' ? 'audio/x-wav' : 'audio/mpeg');
      const expected = await emulator.expectedMedia(sid, { format, channels });
      expect(response.contentLength).toBe(expected.bytes);
      expect(await digest(response.body)).toEqual(expected);
    }
    const dualRequest = emulator.requests.find((r) => r.route === 'media' && r.recordingSid === dual.sid);
    expect(dualRequest?.query.RequestedChannels).toBe('2');
    expect(emulator.requests.filter((r) => r.route === 'media').every((r) => r.auth === 'account')).toBe(
      true,
    );
  });

  it('follows the redirect to signed media without sending the credentials there', async () => {
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 10, signedMedia: true });
    const response = await media.download(credentials, seeded.sid, expectOf(seeded, 'wav', 1));
    expect(await digest(response.body)).toEqual(await emulator.expectedMedia(seeded.sid));
    expect(emulator.requests.map((r) => [r.route, r.status, r.auth])).toEqual([
      ['media', 302, 'account'],
      ['signed-media', 200, 'none'],
    ]);
  });

  it('asks both channels of a mono recording: invalid, Twilio code 16113', async () => {
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 3, channels: 1 });
    const error = await failure(media.download(credentials, seeded.sid, expectOf(seeded, 'wav', 2)));
    expect(error).toMatchObject({ kind: 'invalid', status: 400, code: 16113, retryable: false });
  });

  it.each([
    ['a reset in the middle of the body', { kind: 'reset', afterBytes: 100_000 } as const],
    ['a body shorter than its Content-Length', { kind: 'truncate', afterBytes: 100_000 } as const],
  ])('%s fails the stream as transient', async (_name, fault) => {
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 60 });
    emulator.injectFault({ route: 'media', recordingSid: seeded.sid, times: 1, ...fault });
    const response = await media.download(credentials, seeded.sid, expectOf(seeded, 'wav', 1));
    const error = await failure(digest(response.body));
    expect(error).toMatchObject({ kind: 'transient', retryable: true });
  });

  it.each([
    [{ kind: 'status', status: 502 } as const, { kind: 'transient', status: 502 }],
    [{ kind: 'rateLimit', retryAfterSeconds: 2 } as const, { kind: 'rate-limited', retryAfterMs: 2000 }],
    [{ kind: 'latency', ms: 1_500 } as const, { kind: 'transient' }],
  ])('an injected %o before the body comes out as %o', async (fault, expected) => {
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    emulator.injectFault({ route: 'media', recordingSid: seeded.sid, times: 1, ...fault });
    expect(await failure(media.download(credentials, seeded.sid, expectOf(seeded, 'wav', 1)))).toMatchObject(
      expected,
    );
  });

  it('refuses wrong credentials and a deleted recording without retry', async () => {
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    const wrong = { ...credentials, authToken: '1'.repeat(32) };
    expect(await failure(media.download(wrong, seeded.sid, expectOf(seeded, 'wav', 1)))).toMatchObject({
      kind: 'unauthorized',
      retryable: false,
    });
    emulator.deleteRecording(seeded.sid);
    expect(await failure(media.download(credentials, seeded.sid, expectOf(seeded, 'wav', 1)))).toMatchObject({
      kind: 'not-found',
      code: 20404,
    });
  });
});

describe('media that is not the recording', () => {
  it.each([
    ['an empty 200', 'empty', 'the body is empty'],
    ['an HTML page', 'html', 'it came as text/html'],
    ['a JSON error body served as octet-stream', 'json', 'a body of 132 bytes cannot be a recording'],
    ['a file of another duration', 'wrong-duration', 'cannot be a recording of 20 s'],
    [
      'a WAV header over one second less audio',
      'hollow',
      'its WAV header gives a file of 320044 bytes, but 304044 came',
    ],
  ] as const)('%s fails the download as bad-media', async (_name, lie, reason) => {
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 20 });
    emulator.injectFault({ route: 'media', recordingSid: seeded.sid, times: 1, kind: 'lie', lie });
    const error = await failure(
      media.download(credentials, seeded.sid, expectOf(seeded, 'wav', 1)).then((r) => digest(r.body)),
    );
    expect(error).toMatchObject({ kind: 'bad-media', retryable: true });
    expect(error.message).toContain(reason);
  });

  it('refuses mono media for a dual-channel request, and the reverse, by the WAV header', async () => {
    const dual = emulator.addRecording({ accountSid: account.accountSid, duration: 10, channels: 2 });
    for (const channels of [2, 1] as const) {
      emulator.injectFault({ route: 'media', recordingSid: dual.sid, times: 1, kind: 'lie', lie: 'mono' });
      const error = await failure(
        media.download(credentials, dual.sid, expectOf(dual, 'wav', channels)).then((r) => digest(r.body)),
      );
      expect(error.kind).toBe('bad-media');
    }
  });

  it('refuses an MP3 that does not start as one, and checks ciphertext by its size only', async () => {
    const plain = emulator.addRecording({ accountSid: account.accountSid, duration: 10 });
    emulator.injectFault({ route: 'media', recordingSid: plain.sid, times: 1, kind: 'lie', lie: 'json' });
    expect(
      await failure(
        media.download(credentials, plain.sid, expectOf(plain, 'mp3', 1)).then((r) => digest(r.body)),
      ),
    ).toMatchObject({ kind: 'bad-media' });
    const encrypted = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 10,
      encrypted: true,
    });
    const whole = await media.download(credentials, encrypted.sid, expectOf(encrypted, 'wav', 1));
    expect(await digest(whole.body)).toEqual(await emulator.expectedMedia(encrypted.sid));
    emulator.injectFault({
      route: 'media',
      recordingSid: encrypted.sid,
      times: 1,
      kind: 'lie',
      lie: 'wrong-duration',
    });
    expect(
      await failure(
        media.download(credentials, encrypted.sid, expectOf(encrypted, 'wav', 1)).then((r) => digest(r.body)),
      ),
    ).toMatchObject({ kind: 'bad-media' });
  });

  it('checks redirected media the same way', async () => {
    const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 10, signedMedia: true });
    emulator.injectFault({ route: 'media', recordingSid: seeded.sid, times: 1, kind: 'lie', lie: 'hollow' });
    const error = await failure(
      media.download(credentials, seeded.sid, expectOf(seeded, 'wav', 1)).then((r) => digest(r.body)),
    );
    expect(error.kind).toBe('bad-media');
    expect(emulator.requests.map((r) => [r.route, r.status])).toEqual([
      ['media', 302],
      ['signed-media', 200],
    ]);
  });

  it('cuts a body trickling in at its deadline', async () => {
    const slow = createMediaDownloader({
      baseUrl: emulator.baseUrl,
      idleTimeoutMs: 10_000,
      deadline: { baseMs: 300, minBytesPerSecond: 10 * 1024 * 1024 },
    });
    try {
      const seeded = emulator.addRecording({ accountSid: account.accountSid, duration: 5 });
      // A byte every 100 ms: never idle long enough for the idle timeout.
      emulator.injectFault({
        route: 'media',
        recordingSid: seeded.sid,
        times: 1,
        kind: 'trickle',
        intervalMs: 100,
      });
      const error = await failure(
        slow.download(credentials, seeded.sid, expectOf(seeded, 'wav', 1)).then((r) => digest(r.body)),
      );
      expect(error).toMatchObject({ kind: 'deadline', retryable: true });
      const request = emulator.requests.find((r) => r.route === 'media');
      expect(request?.bytesSent).toBeLessThan(await emulator.mediaSize(seeded.sid));
    } finally {
      await slow.close();
    }
  });
});
