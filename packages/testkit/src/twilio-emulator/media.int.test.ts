import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwilioEmulator } from './emulator.ts';
import { startTwilioEmulator } from './emulator.ts';
import type { EmulatorAccount } from './recording-store.ts';

let emulator: TwilioEmulator;
let account: EmulatorAccount;
let auth: { Authorization: string };

beforeAll(async () => {
  emulator = await startTwilioEmulator();
  account = emulator.addAccount();
  auth = {
    Authorization: `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`,
  };
});

afterAll(async () => {
  await emulator.close();
});

/** Reads a body as it streams, keeping only its size, its hash and its first bytes. */
async function digest(response: Response): Promise<{ bytes: number; sha256: string; head: Buffer }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const head: Buffer[] = [];
  for await (const chunk of response.body ?? []) {
    hash.update(chunk);
    if (bytes < 64) head.push(Buffer.from(chunk.subarray(0, 64)));
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex'), head: Buffer.concat(head).subarray(0, 64) };
}

function wavHeader(head: Buffer) {
  return {
    riff: head.toString('ascii', 0, 4),
    riffSize: head.readUInt32LE(4),
    wave: head.toString('ascii', 8, 12),
    format: head.readUInt16LE(20),
    channels: head.readUInt16LE(22),
    sampleRate: head.readUInt32LE(24),
    byteRate: head.readUInt32LE(28),
    bitsPerSample: head.readUInt16LE(34),
    data: head.toString('ascii', 36, 40),
    dataSize: head.readUInt32LE(40),
  };
}

describe('media', () => {
  it('serves a valid 8 kHz 16-bit mono WAV with its exact size, the same with or without .wav', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    const response = await fetch(emulator.mediaUrl(recording.sid, { format: 'wav' }), { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/x-wav');
    expect(response.headers.get('content-length')).toBe(String(44 + 3 * 16_000));
    const body = await digest(response);
    expect(body.bytes).toBe(44 + 3 * 16_000);
    expect(wavHeader(body.head)).toEqual({
      riff: 'RIFF',
      riffSize: 36 + 3 * 16_000,
      wave: 'WAVE',
      format: 1,
      channels: 1,
      sampleRate: 8000,
      byteRate: 16_000,
      bitsPerSample: 16,
      data: 'data',
      dataSize: 3 * 16_000,
    });
    expect({ bytes: body.bytes, sha256: body.sha256 }).toEqual(await emulator.expectedMedia(recording.sid));

    const bare = await digest(await fetch(recording.media_url, { headers: auth }));
    expect(bare.sha256).toBe(body.sha256);
  });

  it('serves a dual-channel recording as a mono mix, and as two channels when asked', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 4, channels: 2 });
    const mono = await fetch(recording.media_url, { headers: auth });
    expect(mono.headers.get('content-length')).toBe(String(44 + 4 * 16_000));
    const monoBody = await digest(mono);
    expect(wavHeader(monoBody.head).channels).toBe(1);

    const dual = await fetch(`${recording.media_url}?RequestedChannels=2`, { headers: auth });
    expect(dual.status).toBe(200);
    expect(dual.headers.get('content-length')).toBe(String(44 + 4 * 32_000));
    const dualBody = await digest(dual);
    expect(wavHeader(dualBody.head)).toMatchObject({ channels: 2, byteRate: 32_000, dataSize: 4 * 32_000 });
    expect({ bytes: dualBody.bytes, sha256: dualBody.sha256 }).toEqual(
      await emulator.expectedMedia(recording.sid, { channels: 2 }),
    );
    expect(dualBody.sha256).not.toBe(monoBody.sha256);
  });

  it('refuses RequestedChannels=2 on a mono recording with error 16113', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 2 });
    const response = await fetch(`${recording.media_url}.wav?RequestedChannels=2`, { headers: auth });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ code: 16113, status: 400 });
  });

  it('serves 32 kbps MP3 made of MPEG frames', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 5 });
    const response = await fetch(`${recording.media_url}.mp3`, { headers: auth });
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect(response.headers.get('content-length')).toBe(String(5 * 4000));
    const body = await digest(response);
    expect(body.bytes).toBe(5 * 4000);
    // Frame sync, MPEG-2.5 Layer III, 32 kbps at 8 kHz; the next frame 288 bytes on.
    expect([...body.head.subarray(0, 3)]).toEqual([0xff, 0xe3, 0x48]);
    expect(body.sha256).toBe((await emulator.expectedMedia(recording.sid, { format: 'mp3' })).sha256);
  });

  it('answers 401 without credentials and 404 once deleted or while processing', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 2 });
    const anonymous = await fetch(recording.media_url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 20003 });

    emulator.deleteRecording(recording.sid);
    const gone = await fetch(recording.media_url, { headers: auth });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: 20404, status: 404 });

    const processing = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 2,
      status: 'processing',
    });
    expect((await fetch(processing.media_url, { headers: auth })).status).toBe(404);
  });

  it('streams a 100+ MiB recording byte for byte', async () => {
    const duration = 7000; // 112 MB of mono WAV
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration });
    const response = await fetch(recording.media_url, { headers: auth });
    expect(Number(response.headers.get('content-length'))).toBe(44 + duration * 16_000);
    const body = await digest(response);
    expect({ bytes: body.bytes, sha256: body.sha256 }).toEqual(await emulator.expectedMedia(recording.sid));
  });

  it('serves encrypted recordings as opaque bytes of the same size', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 2, encrypted: true });
    const body = await digest(await fetch(recording.media_url, { headers: auth }));
    expect(body.bytes).toBe(44 + 2 * 16_000);
    expect(body.head.toString('ascii', 0, 4)).not.toBe('RIFF');
  });
});

describe('signed media redirect', () => {
  let signed: TwilioEmulator;
  let owner: EmulatorAccount;
  let ownerAuth: { Authorization: string };

  beforeAll(async () => {
    signed = await startTwilioEmulator({ signedMedia: true });
    owner = signed.addAccount();
    ownerAuth = {
      Authorization: `Basic ${Buffer.from(`${owner.accountSid}:${owner.authToken}`).toString('base64')}`,
    };
  });

  afterAll(async () => {
    await signed.close();
  });

  it('redirects to a signed URL on a second origin that fetch follows without the credentials', async () => {
    const recording = signed.addRecording({ accountSid: owner.accountSid, duration: 3, channels: 2 });
    const redirect = await fetch(`${recording.media_url}.wav?RequestedChannels=2`, {
      headers: ownerAuth,
      redirect: 'manual',
    });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location') ?? '';
    expect(location.startsWith(signed.mediaBaseUrl)).toBe(true);
    expect(new URL(location).searchParams.get('Expires')).toMatch(/^\d+$/);
    expect(new URL(location).searchParams.get('Signature')).toBeTruthy();

    // fetch drops Authorization on a cross-origin redirect, as every client should.
    const followed = await fetch(`${recording.media_url}.wav?RequestedChannels=2`, { headers: ownerAuth });
    expect(followed.status).toBe(200);
    expect(followed.url.startsWith(signed.mediaBaseUrl)).toBe(true);
    const body = await digest(followed);
    expect({ bytes: body.bytes, sha256: body.sha256 }).toEqual(
      await signed.expectedMedia(recording.sid, { channels: 2 }),
    );

    expect(signed.requests.slice(-2).map((entry) => [entry.route, entry.status, entry.auth])).toEqual([
      ['media', 302, 'account'],
      ['signed-media', 200, 'none'],
    ]);
  });

  it('refuses credentials, a bad signature and an expired URL on the second origin', async () => {
    const recording = signed.addRecording({ accountSid: owner.accountSid, duration: 1 });
    const redirect = await fetch(recording.media_url, { headers: ownerAuth, redirect: 'manual' });
    const location = redirect.headers.get('location') ?? '';

    const withCredentials = await fetch(location, { headers: ownerAuth });
    expect(withCredentials.status).toBe(400);
    expect(await withCredentials.text()).toMatch(/Authorization header/);

    const tampered = new URL(location);
    tampered.searchParams.set('Expires', String(Number(tampered.searchParams.get('Expires')) + 3600));
    const badSignature = await fetch(tampered);
    expect(badSignature.status).toBe(403);
    expect(await badSignature.text()).toMatch(/SignatureDoesNotMatch/);

    const expired = await fetch(signed.signMediaUrl(recording.sid, { expiresAt: Date.now() - 1000 }));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/expired/);

    expect((await fetch(location)).status).toBe(200);
  });

  it('can redirect a single recording while the emulator serves the rest directly', async () => {
    const direct = emulator.addRecording({ accountSid: account.accountSid, duration: 1 });
    const redirected = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 1,
      signedMedia: true,
    });
    expect((await fetch(direct.media_url, { headers: auth, redirect: 'manual' })).status).toBe(200);
    expect((await fetch(redirected.media_url, { headers: auth, redirect: 'manual' })).status).toBe(302);
  });
});
