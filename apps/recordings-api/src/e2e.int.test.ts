import { createHash, randomBytes } from 'node:crypto';
import { parseEnv } from '@recording-vault/config';
import { createLogger } from '@recording-vault/logger';
import type { RecordingResource, S3TestServer } from '@recording-vault/testkit';
import { type ArchiveRig, startArchiveRig } from '@recording-vault/worker/testing/archive-rig';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingsApiEnv } from './config.ts';
import { type RecordingsApiHandle, startRecordingsApi } from './start.ts';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The fields of the canonical 44-byte header Twilio's WAV files (and the emulator's) start with. */
function wavHeader(bytes: Buffer) {
  return {
    riff: bytes.toString('ascii', 0, 4),
    riffSize: bytes.readUInt32LE(4),
    wave: bytes.toString('ascii', 8, 12),
    format: bytes.readUInt16LE(20),
    channels: bytes.readUInt16LE(22),
    sampleRate: bytes.readUInt32LE(24),
    byteRate: bytes.readUInt32LE(28),
    data: bytes.toString('ascii', 36, 40),
    dataSize: bytes.readUInt32LE(40),
  };
}

/**
 * The promise of the vault, end to end: the worker archives recordings into S3 and deletes them at (the
 * emulated) Twilio; an app then reads them from the recordings API with the real twilio SDK, changing only
 * the base URL, and gets Twilio's own bytes back, both channels of a dual-channel recording included.
 */
describe('archived by the worker, deleted at Twilio, read back through the recordings API', () => {
  let rig: ArchiveRig;
  let api: RecordingsApiHandle;
  let client: ReturnType<typeof twilio>;
  let authorization: string;
  let mono: RecordingResource;
  let dual: RecordingResource;
  /** A second recording of the dual-channel recording's call, made a minute later. */
  let sameCall: RecordingResource;

  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 's3' });
    await rig.startWorker();
    mono = rig.addRecording({
      duration: 3,
      dateCreated: T0,
      transcriptions: [{ text: 'Thanks for calling, how can I help?' }, { text: 'A second pass.' }],
    });
    dual = rig.addRecording({ duration: 4, channels: 2, dateCreated: T0 + 60_000 });
    sameCall = rig.addRecording({ duration: 2, callSid: dual.call_sid, dateCreated: T0 + 120_000 });
    for (const recording of [mono, dual, sameCall]) await rig.enqueue(recording);
    for (const recording of [mono, dual, sameCall]) {
      const job = await rig.settle(recording.sid);
      expect(job.returnvalue, job.failedReason).toMatchObject({ twilio: 'deleted' });
      expect(rig.emulator.isDeleted(recording.sid)).toBe(true);
    }

    // The API as its main starts it, over the worker's Redis, prefix and bucket, serving the emulator's account.
    const s3 = rig.s3 as S3TestServer;
    const env = parseEnv(recordingsApiEnv, {
      REDIS_URL: rig.redis.url,
      QUEUE_PREFIX: rig.prefix,
      TWILIO_ACCOUNT_SID: rig.account.accountSid,
      TWILIO_AUTH_TOKEN: rig.account.authToken,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: 'recordings',
      S3_REGION: s3.region,
      RECORDINGS_API_HOST: '127.0.0.1',
      RECORDINGS_API_PORT: '0',
      RECORDINGS_LINK_SECRET: randomBytes(32).toString('base64url'),
    });
    api = await startRecordingsApi(
      env,
      createLogger({ name: 'recordings-api', level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );
    client = twilio(rig.account.accountSid, rig.account.authToken);
    client.api.baseUrl = api.origin;
    authorization = `Basic ${Buffer.from(`${rig.account.accountSid}:${rig.account.authToken}`).toString('base64')}`;
  });
  afterAll(async () => {
    await api?.close();
    await rig?.close();
  });

  it('is gone from Twilio: the same SDK call against Twilio answers 20404', async () => {
    const atTwilio = twilio(rig.account.accountSid, rig.account.authToken);
    atTwilio.api.baseUrl = rig.emulator.baseUrl;
    await expect(atTwilio.recordings(dual.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it('fetches each recording with the twilio SDK: recordings(sid).fetch(), as Twilio described it', async () => {
    for (const original of [mono, dual, sameCall]) {
      const fetched = await client.recordings(original.sid).fetch();
      expect(fetched).toMatchObject({
        sid: original.sid,
        accountSid: original.account_sid,
        callSid: original.call_sid,
        channels: original.channels,
        duration: original.duration,
        source: original.source,
      });
      expect(fetched.dateCreated.getTime()).toBe(new Date(original.date_created).getTime());
      expect(fetched.mediaUrl).toBe(
        `${api.publicUrl}/2010-04-01/Accounts/${rig.account.accountSid}/Recordings/${original.sid}`,
      );
    }
  });

  it("lists a call's recordings with the twilio SDK: recordings.list({callSid}), newest first", async () => {
    const listed = await client.recordings.list({ callSid: dual.call_sid });
    expect(listed.map((recording) => recording.sid)).toEqual([sameCall.sid, dual.sid]);
    expect((await client.recordings.list({ callSid: mono.call_sid })).map((r) => r.sid)).toEqual([mono.sid]);
  });

  it("serves Twilio's bytes over plain HTTP: the .wav's SHA-256 is the original's", async () => {
    for (const original of [mono, sameCall]) {
      const fetched = await client.recordings(original.sid).fetch();
      const response = await fetch(`${fetched.mediaUrl}.wav`, { headers: { authorization } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^audio\/(x-)?wav/);
      const body = Buffer.from(await response.arrayBuffer());
      const expected = await rig.emulator.expectedMedia(original.sid, { channels: 1 });
      expect(response.headers.get('content-length')).toBe(String(expected.bytes));
      expect({ bytes: body.length, sha256: sha256(body) }).toEqual(expected);
      expect(wavHeader(body).channels).toBe(1);
    }
  });

  it('keeps a dual-channel recording dual-channel: two channels in the header, the size of both', async () => {
    const expected = await rig.emulator.expectedMedia(dual.sid, { channels: 2 });
    const url = `${api.origin}/2010-04-01/Accounts/${rig.account.accountSid}/Recordings/${dual.sid}`;
    const head = await fetch(`${url}.wav`, { method: 'HEAD', headers: { authorization } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(expected.bytes));
    expect(head.headers.get('accept-ranges')).toBe('bytes');

    const body = Buffer.from(await (await fetch(`${url}.wav`, { headers: { authorization } })).arrayBuffer());
    expect({ bytes: body.length, sha256: sha256(body) }).toEqual(expected);
    const seconds = Number(dual.duration);
    expect(wavHeader(body)).toEqual({
      riff: 'RIFF',
      riffSize: body.length - 8,
      wave: 'WAVE',
      format: 1,
      channels: 2,
      sampleRate: 8_000,
      byteRate: 2 * 16_000,
      data: 'data',
      dataSize: seconds * 2 * 16_000,
    });
    expect(body.length).toBe(44 + seconds * 2 * 16_000);

    // Without an extension, as Twilio answers: the WAV, the same bytes.
    const bare = Buffer.from(await (await fetch(url, { headers: { authorization } })).arrayBuffer());
    expect(sha256(bare)).toBe(expected.sha256);
  });

  it('plays the same bytes from a signed link, without credentials', async () => {
    const issued = await fetch(`${api.origin}/v1/links`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ RecordingSid: dual.sid, Ttl: '5m' }),
    });
    expect(issued.status).toBe(201);
    const { url } = (await issued.json()) as { url: string };
    const played = await fetch(url);
    expect(played.status).toBe(200);
    const body = Buffer.from(await played.arrayBuffer());
    expect(sha256(body)).toBe((await rig.emulator.expectedMedia(dual.sid, { channels: 2 })).sha256);
  });
  it("serves the transcriptions archived beside a recording, with their text, at Twilio's paths", async () => {
    const transcriptions = rig.emulator.transcriptions(mono.sid);
    expect(transcriptions.map((t) => rig.emulator.isTranscriptionDeleted(t.sid))).toEqual([true, true]);
    const listed = await client.recordings(mono.sid).transcriptions.list();
    expect(listed.map((t) => [t.sid, t.transcriptionText])).toEqual(
      transcriptions.map((t) => [t.sid, t.transcription_text]),
    );
    const one = await client
      .recordings(mono.sid)
      .transcriptions(transcriptions[1]?.sid ?? '')
      .fetch();
    expect(one.transcriptionText).toBe('A second pass.');
    // A recording without transcriptions has an empty list; an unknown transcription is Twilio's 404.
    expect(await client.recordings(dual.sid).transcriptions.list()).toEqual([]);
    await expect(
      client
        .recordings(dual.sid)
        .transcriptions(`TR${'0'.repeat(32)}`)
        .fetch(),
    ).rejects.toMatchObject({ status: 404, code: 20404 });
  });
  it('transcodes to the other format with ffmpeg as it streams: MP3 of a WAV, channels kept', async () => {
    const url = (sid: string) =>
      `${api.origin}/2010-04-01/Accounts/${rig.account.accountSid}/Recordings/${sid}`;
    const head = await fetch(`${url(dual.sid)}.mp3`, { method: 'HEAD', headers: { authorization } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('audio/mpeg');
    expect(head.headers.get('accept-ranges')).toBe('none');
    for (const [original, isMono] of [
      [mono, true],
      [dual, false],
    ] as const) {
      const response = await fetch(`${url(original.sid)}.mp3`, {
        headers: { authorization, range: 'bytes=0-9' },
      });
      // A transcoded answer is whole and chunked, whatever range was asked.
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBeNull();
      const body = Buffer.from(await response.arrayBuffer());
      const frame = firstMp3Frame(body);
      expect(frame.channelMode === 'mono').toBe(isMono);
      // 32 kbps: about 4,000 bytes a second of audio.
      const seconds = Number(original.duration);
      expect(body.length).toBeGreaterThan(seconds * 2_000);
      expect(body.length).toBeLessThan(seconds * 8_000 + 4_096);
    }
  });
});

/** The first MPEG audio frame's header, after any ID3v2 tag: its sync and channel mode. */
function firstMp3Frame(bytes: Buffer): { channelMode: 'stereo' | 'joint' | 'dual' | 'mono' } {
  let at = 0;
  if (bytes.toString('latin1', 0, 3) === 'ID3') {
    // The tag's size is four 7-bit bytes (syncsafe), after the 10-byte header.
    const size = ((bytes[6] ?? 0) << 21) | ((bytes[7] ?? 0) << 14) | ((bytes[8] ?? 0) << 7) | (bytes[9] ?? 0);
    at = 10 + size;
  }
  while (at + 4 <= bytes.length && !(bytes[at] === 0xff && ((bytes[at + 1] ?? 0) & 0xe0) === 0xe0)) at++;
  if (at + 4 > bytes.length) throw new Error('no MPEG audio frame in the answer');
  const modes = ['stereo', 'joint', 'dual', 'mono'] as const;
  return { channelMode: modes[((bytes[at + 3] ?? 0) >> 6) & 0b11] ?? 'stereo' };
}
