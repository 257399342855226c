import { Transform } from 'node:stream';
import { TwilioApiError } from './errors.ts';
import type { MediaFormat } from './recording.ts';

/** What Twilio's resource says the media must be. */
export interface MediaExpectation {
  format: MediaFormat;
  /** Channels asked for: 2 only for a dual-channel recording (RequestedChannels=2), else 1. */
  channels: 1 | 2;
  /** The resource's `duration`, in seconds. */
  durationSeconds: number;
  /** Voice Recording Encryption: the bytes are ciphertext, so only their size can be checked. */
  encrypted: boolean;
}

/** Twilio's WAV: 8 kHz, 16-bit PCM, so 16,000 bytes per second per channel. */
export const WAV_BYTES_PER_SECOND_PER_CHANNEL = 16_000;
/** Twilio's 32 kbps MP3. */
export const MP3_BYTES_PER_SECOND = 4_000;
/** Room for ID3 tags and encoder padding in an MP3, beyond the duration's tolerance. */
const MP3_ALLOWANCE_BYTES = 8 * 1024;
/** Room for an authentication tag and framing in ciphertext, beyond the duration's tolerance. */
const CIPHERTEXT_ALLOWANCE_BYTES = 1024;
/** A WAV whose `data` chunk does not start within this many bytes is not Twilio's. */
const MAX_WAV_HEAD_BYTES = 64 * 1024;

/**
 * How far the media's length may be from the resource's `duration`: Twilio gives whole seconds, so one
 * second, plus 1% for long recordings.
 */
export function durationToleranceSeconds(durationSeconds: number): number {
  return 1 + durationSeconds / 100;
}

function bytesPerSecond(expect: MediaExpectation): number {
  return expect.format === 'mp3' ? MP3_BYTES_PER_SECOND : WAV_BYTES_PER_SECOND_PER_CHANNEL * expect.channels;
}

/** The sizes a body may have for the resource to describe it; also what a download's deadline is sized by. */
export function mediaSizeBounds(expect: MediaExpectation): { min: number; max: number } {
  const rate = bytesPerSecond(expect);
  const tolerance = durationToleranceSeconds(expect.durationSeconds) * rate;
  const nominal = expect.durationSeconds * rate + (expect.format === 'wav' ? 44 : 0);
  const allowance =
    (expect.format === 'mp3' ? MP3_ALLOWANCE_BYTES : 0) + (expect.encrypted ? CIPHERTEXT_ALLOWANCE_BYTES : 0);
  return {
    min: Math.max(1, Math.floor(nominal - tolerance)),
    max: Math.ceil(nominal + tolerance + allowance),
  };
}

/** The error for a 200 whose body is not the recording: a failed attempt; the recording stays at Twilio. */
function notTheRecording(what: string, reason: string): TwilioApiError {
  return new TwilioApiError('bad-media', `${what} is not the recording Twilio described: ${reason}`);
}

/** Refuses, before any byte is stored, a Content-Type that is never audio (an error page, a JSON error). */
export function checkMediaContentType(what: string, contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type.startsWith('text/') || type.includes('json') || type.includes('xml') || type.includes('html')) {
    throw notTheRecording(what, `it came as ${type}`);
  }
}

/** Refuses, before any byte is stored, a Content-Length no recording of the resource's duration can have. */
export function checkMediaLength(
  what: string,
  contentLength: number | undefined,
  expect: MediaExpectation,
): void {
  if (contentLength === undefined) return;
  const { min, max } = mediaSizeBounds(expect);
  if (contentLength === 0) throw notTheRecording(what, 'the body is empty');
  if (contentLength < min || contentLength > max) {
    throw notTheRecording(
      what,
      `a body of ${contentLength} bytes cannot be a recording of ${expect.durationSeconds} s (expected ${min}–${max})`,
    );
  }
}

interface WavHead {
  audioFormat: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** The RIFF chunk's size: the file is this plus 8 bytes. */
  riffSize: number;
  dataOffset: number;
  dataSize: number;
}

/** The WAV header in `head`, `more` when it needs more bytes, or why it is not a WAV file. */
function parseWavHead(head: Buffer): WavHead | 'more' | { problem: string } {
  if (head.length < 12) return 'more';
  if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
    return { problem: `it does not start as a RIFF/WAVE file (${describeStart(head)})` };
  }
  const riffSize = head.readUInt32LE(4);
  let fmt: Omit<WavHead, 'riffSize' | 'dataOffset' | 'dataSize'> | undefined;
  let offset = 12;
  while (offset <= MAX_WAV_HEAD_BYTES) {
    if (head.length < offset + 8) return 'more';
    const id = head.toString('latin1', offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    if (id === 'data') {
      if (!fmt) return { problem: 'its data chunk comes before a fmt chunk' };
      return { ...fmt, riffSize, dataOffset: offset + 8, dataSize: size };
    }
    if (id === 'fmt ') {
      if (size < 16) return { problem: `its fmt chunk is ${size} bytes, too short` };
      if (head.length < offset + 24) return 'more';
      fmt = {
        audioFormat: head.readUInt16LE(offset + 8),
        channels: head.readUInt16LE(offset + 10),
        sampleRate: head.readUInt32LE(offset + 12),
        bitsPerSample: head.readUInt16LE(offset + 22),
      };
    }
    offset += 8 + size + (size % 2);
  }
  return { problem: `no data chunk within its first ${MAX_WAV_HEAD_BYTES} bytes` };
}

/** A few words on what a body that is not audio looks like, without echoing it. */
function describeStart(head: Buffer): string {
  const text = head.toString('latin1', 0, Math.min(head.length, 64)).trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'it is an HTML page';
  if (text.startsWith('<')) return 'it is XML or HTML';
  if (text.startsWith('{') || text.startsWith('[')) return 'it is JSON';
  return `it starts with bytes ${head.subarray(0, 4).toString('hex') || 'none'}`;
}

function seconds(value: number): string {
  return `${Math.round(value * 10) / 10} s`;
}

/**
 * Passes the media through while checking, as the bytes pass and without a second read, that they are the
 * recording the resource describes: not empty, not an error page; a WAV must be PCM, 8 kHz, 16-bit, with
 * the channels asked for, sizes in its header that match the bytes received, and audio as long as the
 * resource's duration (within `durationToleranceSeconds`); an MP3 must start with an ID3 tag or a frame sync
 * and be about 4,000 bytes per second. Ciphertext is checked by its size alone. The stream fails with a
 * TwilioApiError of kind `bad-media` otherwise, so that nothing is stored as a copy.
 */
export function mediaCheck(what: string, expect: MediaExpectation): Transform {
  const duration = expect.durationSeconds;
  const tolerance = durationToleranceSeconds(duration);
  const bounds = mediaSizeBounds(expect);
  let received = 0;
  let head: Buffer = Buffer.alloc(0);
  let wav: WavHead | undefined;
  let started = false;

  /** Checks what can be checked from the first bytes; undefined when fine or when more are needed. */
  function checkStart(): string | undefined {
    if (expect.encrypted) return undefined;
    if (expect.format === 'mp3') {
      if (head.length < 3) return undefined;
      started = true;
      const id3 = head.toString('latin1', 0, 3) === 'ID3';
      const sync = head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0;
      return id3 || sync ? undefined : `it does not start as an MP3 (${describeStart(head)})`;
    }
    const parsed = parseWavHead(head);
    if (parsed === 'more') return undefined;
    started = true;
    if ('problem' in parsed) return parsed.problem;
    wav = parsed;
    if (parsed.audioFormat !== 1) return `its WAV format is ${parsed.audioFormat}, not PCM`;
    if (parsed.sampleRate !== 8_000 || parsed.bitsPerSample !== 16) {
      return `its WAV is ${parsed.sampleRate} Hz, ${parsed.bitsPerSample}-bit, not 8,000 Hz, 16-bit`;
    }
    if (parsed.channels !== expect.channels) {
      return `it has ${parsed.channels} channel(s) where ${expect.channels} were asked for`;
    }
    return undefined;
  }

  function checkWhole(): string | undefined {
    if (received === 0) return 'the body is empty';
    if (!expect.encrypted && !started) return `it ends after ${received} bytes, before an audio header`;
    if (wav) {
      if (wav.riffSize + 8 !== received) {
        return `its WAV header gives a file of ${wav.riffSize + 8} bytes, but ${received} came`;
      }
      if (wav.dataOffset + wav.dataSize > received) {
        return `its WAV header promises ${wav.dataSize} bytes of audio, but the body holds ${received - wav.dataOffset}`;
      }
      const audioSeconds = wav.dataSize / (WAV_BYTES_PER_SECOND_PER_CHANNEL * wav.channels);
      if (Math.abs(audioSeconds - duration) > tolerance) {
        return `it holds ${seconds(audioSeconds)} of audio where the recording lasts ${duration} s`;
      }
      return undefined;
    }
    if (received < bounds.min || received > bounds.max) {
      const kind = expect.encrypted ? 'ciphertext' : expect.format.toUpperCase();
      return `${received} bytes of ${kind} cannot be a recording of ${duration} s (expected ${bounds.min}–${bounds.max})`;
    }
    return undefined;
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (!started && head.length < MAX_WAV_HEAD_BYTES + 8) {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const problem = checkStart();
        if (problem) return done(notTheRecording(what, problem));
        if (started) head = Buffer.alloc(0);
      }
      done(null, chunk);
    },
    flush(done) {
      const problem = checkWhole();
      done(problem ? notTheRecording(what, problem) : undefined);
    },
  });
}
