import { describe, expect, it } from 'vitest';
import { type MediaSpec, mediaByteLength, mediaChunks } from './media-generator.ts';

const SID = `RE${'0123456789abcdef'.repeat(2)}`;
const spec = (overrides: Partial<MediaSpec> = {}): MediaSpec => ({
  recordingSid: SID,
  format: 'wav',
  channels: 1,
  recordingChannels: 1,
  durationSeconds: 9,
  encrypted: false,
  ...overrides,
});
const bytesOf = (media: MediaSpec): Buffer => Buffer.concat([...mediaChunks(media)]);

describe('media generator', () => {
  it('sizes WAV at 44 + 16000 bytes per second per channel and MP3 at 4000 bytes per second', () => {
    expect(mediaByteLength(spec())).toBe(44 + 9 * 16_000);
    expect(mediaByteLength(spec({ channels: 2, recordingChannels: 2 }))).toBe(44 + 9 * 32_000);
    expect(mediaByteLength(spec({ format: 'mp3' }))).toBe(9 * 4000);
    expect(mediaByteLength(spec({ durationSeconds: 0 }))).toBe(44);
  });

  it('generates exactly that many bytes, the same every time', () => {
    for (const media of [
      spec(),
      spec({ channels: 2, recordingChannels: 2, durationSeconds: 5 }),
      spec({ format: 'mp3', durationSeconds: 17 }),
      spec({ encrypted: true, durationSeconds: 3 }),
      spec({ durationSeconds: 0 }),
    ]) {
      const bytes = bytesOf(media);
      expect(bytes.length).toBe(mediaByteLength(media));
      expect(bytesOf(media).equals(bytes)).toBe(true);
    }
  });

  it('writes a RIFF/WAVE PCM header that matches the body', () => {
    const bytes = bytesOf(spec({ channels: 2, recordingChannels: 2, durationSeconds: 2 }));
    expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(bytes.readUInt16LE(20)).toBe(1);
    expect(bytes.readUInt16LE(22)).toBe(2);
    expect(bytes.readUInt32LE(24)).toBe(8000);
    expect(bytes.readUInt16LE(34)).toBe(16);
    expect(bytes.toString('ascii', 36, 40)).toBe('data');
    expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
  });

  it('differs per recording, per channel count and from the mono mix', () => {
    const mono = bytesOf(spec({ recordingChannels: 2 }));
    expect(mono.equals(bytesOf(spec({ recordingSid: `RE${'f'.repeat(32)}` })))).toBe(false);
    expect(mono.subarray(44).equals(bytesOf(spec()).subarray(44))).toBe(false);
  });

  it('starts every 288-byte MP3 frame with an MPEG sync word', () => {
    const bytes = bytesOf(spec({ format: 'mp3', durationSeconds: 30 }));
    for (let offset = 0; offset < bytes.length; offset += 288) {
      expect([bytes[offset], bytes[offset + 1]]).toEqual([0xff, 0xe3]);
    }
  });

  it('yields chunks of at most 64 KiB', () => {
    const sizes = [...mediaChunks(spec({ durationSeconds: 20 }))].map((chunk) => chunk.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
  });
});
