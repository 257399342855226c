import { fillRandomWords, mix32, seedWords } from './seeded-random.ts';

export type MediaFormat = 'wav' | 'mp3';

/** What one media response carries: which recording, in which format, with how many channels. */
export interface MediaSpec {
  recordingSid: string;
  format: MediaFormat;
  /** Channels of the file served: 1 (mono, or the mix of a dual-channel recording) or 2. */
  channels: 1 | 2;
  /** Channels the recording was made with; a dual-channel recording served mono is a mix of both. */
  recordingChannels: 1 | 2;
  durationSeconds: number;
  /** Voice Recording Encryption: the bytes are ciphertext, so they carry no audio header. */
  encrypted: boolean;
}

const SAMPLE_RATE = 8_000;
export const WAV_HEADER_BYTES = 44;
/** 8 kHz, 16-bit PCM: 16,000 bytes per second per channel (Twilio's "128 kbps" WAV). */
export const WAV_BYTES_PER_SECOND_PER_CHANNEL = 16_000;
/** 32 kbps MP3. */
export const MP3_BYTES_PER_SECOND = 4_000;
/** MPEG-2.5 Layer III at 8 kHz and 32 kbps: 72 * 32000 / 8000 bytes per frame, no padding needed. */
const MP3_FRAME_BYTES = 288;
const MP3_FRAMES_PER_CHUNK = 227;
/** A multiple of 4 so WAV chunks hold whole sample frames, mono or stereo. */
const WAV_CHUNK_BYTES = 64 * 1024;

export function mediaContentType(format: MediaFormat): string {
  return format === 'mp3' ? 'audio/mpeg' : 'audio/x-wav';
}

/**
 * Size of the media file: WAV is 44 + duration * 16000 * channels; MP3 is duration * 4000 (the last
 * frame is cut short when the duration is not a whole number of frames). Encrypted media is the same size.
 */
export function mediaByteLength(spec: Pick<MediaSpec, 'format' | 'channels' | 'durationSeconds'>): number {
  if (spec.format === 'mp3') return spec.durationSeconds * MP3_BYTES_PER_SECOND;
  return WAV_HEADER_BYTES + spec.durationSeconds * WAV_BYTES_PER_SECOND_PER_CHANNEL * spec.channels;
}

/**
 * The media bytes as a sequence of chunks of about 64 KiB, generated on demand: a 512 MiB recording never
 * sits in memory. Each block is derived from the recording SID and its index alone, so the same spec
 * always yields the same bytes.
 */
export function* mediaChunks(spec: MediaSpec): Generator<Buffer, void, undefined> {
  const total = mediaByteLength(spec);
  const [base] = seedWords(`${spec.recordingSid}:${spec.format}:${spec.channels}:${spec.encrypted}`);
  if (spec.encrypted) {
    yield* randomChunks(total, base);
  } else if (spec.format === 'mp3') {
    yield* mp3Chunks(total, spec.channels, base);
  } else {
    yield wavHeader(total - WAV_HEADER_BYTES, spec.channels);
    yield* pcmChunks(total - WAV_HEADER_BYTES, spec, base);
  }
}

export function wavHeader(dataBytes: number, channels: 1 | 2): Buffer {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2 * channels, 28);
  header.writeUInt16LE(2 * channels, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

function blockState(base: number, index: number): number {
  return mix32((base ^ Math.imul(index + 1, 0x9e3779b1)) | 0);
}

/** A quiet tone per channel (so the demo plays something recognisable) plus a little noise. */
function* pcmChunks(dataBytes: number, spec: MediaSpec, base: number): Generator<Buffer, void, undefined> {
  const [f1, f2] = seedWords(`${spec.recordingSid}:tone`);
  const left = toneTable(220 + (f1 % 440));
  const right = toneTable(220 + (f2 % 440));
  const mix = spec.recordingChannels === 2 && spec.channels === 1 ? averageTables(left, right) : left;
  const noise = new Uint32Array(WAV_CHUNK_BYTES / 2);
  for (let offset = 0, block = 0; offset < dataBytes; offset += WAV_CHUNK_BYTES, block++) {
    const size = Math.min(WAV_CHUNK_BYTES, dataBytes - offset);
    // allocUnsafeSlow: never from the shared pool, so the Int16Array view below is aligned.
    const chunk = Buffer.allocUnsafeSlow(size);
    // Little-endian like WAV on every platform Node targets here (x64, arm64).
    const samples = new Int16Array(chunk.buffer, chunk.byteOffset, size / 2);
    fillRandomWords(noise, blockState(base, block));
    if (spec.channels === 1) {
      let t = (offset / 2) % SAMPLE_RATE;
      for (let i = 0; i < samples.length; i++) {
        samples[i] = (mix[t] ?? 0) + (((noise[i] ?? 0) & 0x1ff) - 256);
        t = t + 1 === SAMPLE_RATE ? 0 : t + 1;
      }
    } else {
      let t = (offset / 4) % SAMPLE_RATE;
      for (let i = 0; i + 1 < samples.length; i += 2) {
        samples[i] = (left[t] ?? 0) + (((noise[i] ?? 0) & 0x1ff) - 256);
        samples[i + 1] = (right[t] ?? 0) + (((noise[i + 1] ?? 0) & 0x1ff) - 256);
        t = t + 1 === SAMPLE_RATE ? 0 : t + 1;
      }
    }
    yield chunk;
  }
}

/** One second of a whole-hertz sine, so sample n of any position is table[n % 8000]. */
function toneTable(frequency: number): Int16Array {
  const table = new Int16Array(SAMPLE_RATE);
  for (let n = 0; n < SAMPLE_RATE; n++)
    table[n] = Math.round(3000 * Math.sin((2 * Math.PI * frequency * n) / SAMPLE_RATE));
  return table;
}

function averageTables(a: Int16Array, b: Int16Array): Int16Array {
  const mixed = new Int16Array(a.length);
  for (let n = 0; n < a.length; n++) mixed[n] = ((a[n] ?? 0) + (b[n] ?? 0)) >> 1;
  return mixed;
}

/** MPEG-2.5 Layer III frames: a valid header and empty side info, then noise as the main data. */
function* mp3Chunks(total: number, channels: 1 | 2, base: number): Generator<Buffer, void, undefined> {
  const chunkBytes = MP3_FRAME_BYTES * MP3_FRAMES_PER_CHUNK;
  // Sync + MPEG-2.5 + Layer III + no CRC; 32 kbps, 8 kHz, no padding; mono or stereo, "original".
  const header = [0xff, 0xe3, 0x48, channels === 1 ? 0xc4 : 0x04];
  const sideInfoBytes = channels === 1 ? 9 : 17;
  for (const chunk of randomChunks(total, base, chunkBytes)) {
    for (let frame = 0; frame * MP3_FRAME_BYTES < chunk.length; frame++) {
      const start = frame * MP3_FRAME_BYTES;
      const end = Math.min(chunk.length, start + 4 + sideInfoBytes);
      for (let i = start; i < end; i++) chunk[i] = i - start < 4 ? (header[i - start] ?? 0) : 0;
    }
    yield chunk;
  }
}

function* randomChunks(
  total: number,
  base: number,
  chunkBytes = WAV_CHUNK_BYTES,
): Generator<Buffer, void, undefined> {
  for (let offset = 0, block = 0; offset < total; offset += chunkBytes, block++) {
    const size = Math.min(chunkBytes, total - offset);
    const chunk = Buffer.allocUnsafeSlow(Math.ceil(size / 4) * 4);
    fillRandomWords(
      new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length / 4),
      blockState(base, block),
    );
    yield size === chunk.length ? chunk : chunk.subarray(0, size);
  }
}
