import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { checkMediaContentType, checkMediaLength, type MediaExpectation, mediaCheck } from './media-check.ts';

const mono20: MediaExpectation = { format: 'wav', channels: 1, durationSeconds: 20, encrypted: false };

function wav(options: {
  channels?: number;
  rate?: number;
  bits?: number;
  format?: number;
  data: number;
  riff?: number;
  claim?: number;
}) {
  const channels = options.channels ?? 1;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(options.riff ?? 36 + (options.claim ?? options.data), 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(options.format ?? 1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(options.rate ?? 8000, 24);
  header.writeUInt32LE((options.rate ?? 8000) * 2 * channels, 28);
  header.writeUInt16LE(2 * channels, 32);
  header.writeUInt16LE(options.bits ?? 16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(options.claim ?? options.data, 40);
  return Buffer.concat([header, Buffer.alloc(options.data, 1)]);
}

/** Runs `body` through the check in chunks of `chunk` bytes; the reason it failed, or 'ok'. */
async function judge(body: Buffer, wanted: MediaExpectation, chunk = 1000): Promise<string> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) pieces.push(body.subarray(i, i + chunk));
  try {
    await pipeline(Readable.from(pieces), mediaCheck('media', wanted), async (source) => {
      for await (const _ of source);
    });
    return 'ok';
  } catch (error) {
    return (error as Error).message.replace('media is not the recording Twilio described: ', '');
  }
}

describe('mediaCheck', () => {
  it.each([
    ['a whole mono WAV of the duration', wav({ data: 320_000 }), mono20, 'ok'],
    ['one second over, within the tolerance', wav({ data: 336_000 }), mono20, 'ok'],
    ['a header split over one-byte chunks', wav({ data: 320_000 }), mono20, 'ok'],
    ['nothing at all', Buffer.alloc(0), mono20, 'the body is empty'],
    [
      'an HTML page',
      Buffer.from('<!DOCTYPE html><html><body>oops</body></html>'),
      mono20,
      'not start as a RIFF/WAVE file (it is an HTML page)',
    ],
    [
      'a JSON error',
      Buffer.from('{"code":20500,"message":"error", "status": 500, "more": "padding"}'),
      mono20,
      '(it is JSON)',
    ],
    ['a few bytes, not a header', Buffer.from('RIFF'), mono20, 'before an audio header'],
    ['another sample rate', wav({ data: 320_000, rate: 16_000 }), mono20, '16000 Hz, 16-bit'],
    ['not PCM', wav({ data: 320_000, format: 3 }), mono20, 'not PCM'],
    [
      'stereo for a mono request',
      wav({ channels: 2, data: 640_000 }),
      mono20,
      '2 channel(s) where 1 were asked for',
    ],
    [
      'mono for a dual-channel request',
      wav({ data: 320_000 }),
      { ...mono20, channels: 2 },
      '1 channel(s) where 2 were asked for',
    ],
    [
      'a quarter of the duration',
      wav({ data: 80_000 }),
      mono20,
      'holds 5 s of audio where the recording lasts 20 s',
    ],
    [
      'a header claiming more than came (riff)',
      wav({ data: 160_000, claim: 320_000 }),
      mono20,
      'gives a file of 320044 bytes, but 160044 came',
    ],
    [
      'a data chunk claiming more than came',
      wav({ data: 160_000, claim: 320_000, riff: 36 + 160_000 }),
      mono20,
      'promises 320000 bytes of audio, but the body holds 160000',
    ],
  ] as const)('%s', async (name, body, wanted, verdict) => {
    const chunk = name.includes('one-byte') ? 1 : 1000;
    const result = await judge(body, wanted, chunk);
    if (verdict === 'ok') expect(result).toBe('ok');
    else expect(result).toContain(verdict);
  });

  it('checks an MP3 by its start and its size', async () => {
    const mp3 = { format: 'mp3', channels: 1, durationSeconds: 10, encrypted: false } as const;
    const frames = Buffer.alloc(40_000, 0);
    frames[0] = 0xff;
    frames[1] = 0xe3;
    expect(await judge(frames, mp3)).toBe('ok');
    expect(await judge(Buffer.concat([Buffer.from('ID3'), Buffer.alloc(40_000)]), mp3)).toBe('ok');
    expect(await judge(Buffer.alloc(40_000, 0x41), mp3)).toContain('does not start as an MP3');
    expect(await judge(frames.subarray(0, 10_000), mp3)).toContain(
      '10000 bytes of MP3 cannot be a recording of 10 s',
    );
  });

  it('checks ciphertext by its size alone', async () => {
    const encrypted = { ...mono20, encrypted: true };
    expect(await judge(Buffer.alloc(320_044, 0x3c), encrypted)).toBe('ok');
    expect(await judge(Buffer.alloc(100_000, 0x3c), encrypted)).toContain('100000 bytes of ciphertext');
  });
});

describe('before any byte', () => {
  it('refuses types that are never audio; octet-stream is neutral', () => {
    for (const type of ['text/html; charset=utf-8', 'application/json', 'application/xml', 'text/plain']) {
      expect(() => checkMediaContentType('media', type)).toThrow(/it came as/);
    }
    for (const type of ['audio/x-wav', 'audio/mpeg', 'application/octet-stream', undefined]) {
      expect(() => checkMediaContentType('media', type)).not.toThrow();
    }
  });

  it('refuses a Content-Length no recording of the duration can have', () => {
    expect(() => checkMediaLength('media', 0, mono20)).toThrow(/empty/);
    expect(() => checkMediaLength('media', 57, mono20)).toThrow(/57 bytes cannot be a recording of 20 s/);
    expect(() => checkMediaLength('media', 320_044, mono20)).not.toThrow();
    expect(() => checkMediaLength('media', undefined, mono20)).not.toThrow();
  });
});
