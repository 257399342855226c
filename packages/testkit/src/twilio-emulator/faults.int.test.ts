import { get, type IncomingHttpHeaders } from 'node:http';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TwilioEmulator } from './emulator.ts';
import { startTwilioEmulator } from './emulator.ts';
import type { EmulatorAccount } from './recording-store.ts';

let emulator: TwilioEmulator;
let account: EmulatorAccount;
let auth: { Authorization: string };
let client: twilio.Twilio;

beforeAll(async () => {
  emulator = await startTwilioEmulator();
  account = emulator.addAccount();
  auth = {
    Authorization: `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`,
  };
  client = twilio(account.accountSid, account.authToken);
  client.api.baseUrl = emulator.baseUrl;
});

afterEach(() => {
  emulator.clearFaults();
});

afterAll(async () => {
  await emulator.close();
});

interface RawResult {
  status: number;
  headers: IncomingHttpHeaders;
  received: number;
  complete: boolean;
  error: NodeJS.ErrnoException | null;
}

/** A plain node:http GET that reports how the body ended instead of throwing. */
function rawGet(url: string, headers: Record<string, string>): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    let responded = false;
    const request = get(url, { headers, agent: false }, (response) => {
      responded = true;
      let received = 0;
      let error: NodeJS.ErrnoException | null = null;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      response.on('error', (cause: NodeJS.ErrnoException) => {
        error = cause;
      });
      response.on('close', () => {
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          received,
          complete: response.complete,
          error,
        });
      });
    });
    // After a response has started, a reset is reported on the response too: settle there.
    request.on('error', (error) => {
      if (!responded) reject(error);
    });
  });
}

describe('fault injection', () => {
  it('answers a 5xx with Twilio’s error JSON the given number of times', async () => {
    const { sid } = emulator.addRecording({ accountSid: account.accountSid, duration: 1 });
    const fault = emulator.injectFault({ route: 'fetch', kind: 'status', status: 503, times: 2 });
    const recording = client.api.v2010.accounts(account.accountSid).recordings(sid);
    for (let i = 0; i < 2; i++) {
      const error = (await recording.fetch().catch((cause: unknown) => cause)) as twilio.RestException;
      expect(error).toBeInstanceOf(twilio.RestException);
      expect(error.status).toBe(503);
      expect(error.code).toBe(20503);
    }
    expect((await recording.fetch()).sid).toBe(sid);
    expect(fault.hits).toBe(2);
    expect(emulator.requests.slice(-3).map((entry) => [entry.status, entry.fault])).toEqual([
      [503, 'status'],
      [503, 'status'],
      [200, undefined],
    ]);
  });

  it('answers 429 with code 20429, with or without Retry-After', async () => {
    emulator.injectFault({ route: 'list', kind: 'rateLimit', retryAfterSeconds: 2, times: 1 });
    emulator.injectFault({ route: 'list', kind: 'rateLimit', times: 1 });
    const url = `${emulator.baseUrl}/2010-04-01/Accounts/${account.accountSid}/Recordings.json`;

    const withHeader = await fetch(url, { headers: auth });
    expect(withHeader.status).toBe(429);
    expect(withHeader.headers.get('retry-after')).toBe('2');
    expect(await withHeader.json()).toMatchObject({ code: 20429, status: 429 });

    const withoutHeader = await fetch(url, { headers: auth });
    expect(withoutHeader.status).toBe(429);
    expect(withoutHeader.headers.get('retry-after')).toBeNull();

    expect((await fetch(url, { headers: auth })).status).toBe(200);
  });

  it('adds latency and logs it', async () => {
    const { sid } = emulator.addRecording({ accountSid: account.accountSid, duration: 1 });
    emulator.injectFault({ route: 'delete', kind: 'latency', ms: 30, times: 1 });
    await client.api.v2010.accounts(account.accountSid).recordings(sid).remove();
    expect(emulator.requests.at(-1)).toMatchObject({
      route: 'delete',
      status: 204,
      fault: 'latency',
      latencyMs: 30,
    });
  });

  it('resets the connection in the middle of a media body', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 60 });
    emulator.injectFault({ route: 'media', kind: 'reset', afterBytes: 100_000, times: 1 });

    const response = await fetch(recording.media_url, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(44 + 60 * 16_000));
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'media', fault: 'reset', bytesSent: 100_000 });

    // The fault was used up: the next download is whole.
    const again = await fetch(recording.media_url, { headers: auth });
    expect((await again.arrayBuffer()).byteLength).toBe(44 + 60 * 16_000);
  });

  it('reports a reset as a connection error to a plain http client', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 30 });
    emulator.injectFault({
      route: 'media',
      recordingSid: recording.sid,
      kind: 'reset',
      afterBytes: 1000,
      times: 1,
    });
    const result = await rawGet(recording.media_url, auth);
    expect(result.complete).toBe(false);
    expect(result.received).toBeLessThan(44 + 30 * 16_000);
    expect(result.error?.code).toMatch(/ECONNRESET|ECONNABORTED/);
  });

  it('truncates a media body: fewer bytes than Content-Length, then the connection closes', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 10 });
    emulator.injectFault({ route: 'media', kind: 'truncate', afterBytes: 5000, times: 1 });
    const result = await rawGet(recording.media_url, auth);
    expect(result.status).toBe(200);
    expect(Number(result.headers['content-length'])).toBe(44 + 10 * 16_000);
    expect(result.received).toBe(5000);
    expect(result.complete).toBe(false);
    expect(emulator.requests.at(-1)).toMatchObject({ fault: 'truncate', bytesSent: 5000 });
  });

  it('targets one recording only when given its SID', async () => {
    const target = emulator.addRecording({ accountSid: account.accountSid, duration: 1 });
    const bystander = emulator.addRecording({ accountSid: account.accountSid, duration: 1 });
    emulator.injectFault({ route: 'fetch', recordingSid: target.sid, kind: 'status', status: 500 });
    const recordings = client.api.v2010.accounts(account.accountSid).recordings;
    expect((await recordings(bystander.sid).fetch()).sid).toBe(bystander.sid);
    await expect(recordings(target.sid).fetch()).rejects.toMatchObject({ status: 500, code: 20500 });
    await expect(recordings(target.sid).fetch()).rejects.toMatchObject({ status: 500 });
  });

  it('hits a share of requests given a probability, reproducibly from the seed', async () => {
    const statuses = async (seed: string): Promise<number[]> => {
      const chaotic = await startTwilioEmulator({ seed });
      try {
        const owner = chaotic.addAccount();
        chaotic.injectFault({ route: '*', kind: 'status', status: 500, probability: 0.5 });
        const url = `${chaotic.baseUrl}/2010-04-01/Accounts/${owner.accountSid}/Recordings.json`;
        const headers = {
          Authorization: `Basic ${Buffer.from(`${owner.accountSid}:${owner.authToken}`).toString('base64')}`,
        };
        const result: number[] = [];
        for (let i = 0; i < 40; i++) result.push((await fetch(url, { headers })).status);
        return result;
      } finally {
        await chaotic.close();
      }
    };
    const first = await statuses('chaos');
    expect(first.filter((status) => status === 500).length).toBeGreaterThan(5);
    expect(first.filter((status) => status === 200).length).toBeGreaterThan(5);
    expect(await statuses('chaos')).toEqual(first);
  });

  it('applies media body faults on the signed-media origin after a redirect', async () => {
    const recording = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 10,
      signedMedia: true,
    });
    // Faults apply in the order they were added: the 503 first, then the cut body.
    emulator.injectFault({ route: 'signed-media', kind: 'status', status: 503, times: 1 });
    emulator.injectFault({ route: 'media', kind: 'truncate', afterBytes: 777, times: 1 });

    const unavailable = await fetch(recording.media_url, { headers: auth });
    expect(unavailable.status).toBe(503);
    expect(unavailable.url.startsWith(emulator.mediaBaseUrl)).toBe(true);

    const redirect = await fetch(recording.media_url, { headers: auth, redirect: 'manual' });
    const result = await rawGet(redirect.headers.get('location') ?? '', {});
    expect(result.received).toBe(777);
    expect(result.complete).toBe(false);
    expect(emulator.requests.slice(-4).map((entry) => [entry.route, entry.status, entry.fault])).toEqual([
      ['media', 302, undefined],
      ['signed-media', 503, 'status'],
      ['media', 302, undefined],
      ['signed-media', 200, 'truncate'],
    ]);
  });
});
