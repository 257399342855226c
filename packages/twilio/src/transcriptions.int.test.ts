import { type EmulatorAccount, startTwilioEmulator, type TwilioEmulator } from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioApiError } from './errors.ts';
import { createTwilioRestClient, type TwilioRestClient } from './rest-client.ts';

let emulator: TwilioEmulator;
let account: EmulatorAccount;
let client: TwilioRestClient;

beforeAll(async () => {
  emulator = await startTwilioEmulator();
  account = emulator.addAccount();
  client = createTwilioRestClient(
    { accountSid: account.accountSid, authToken: account.authToken },
    { baseUrl: emulator.baseUrl },
  );
});
afterAll(async () => {
  await emulator.close();
});

describe('transcriptions', () => {
  it('lists none for a recording made without transcription', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    expect(await client.listTranscriptions(recording.sid)).toEqual([]);
    expect(emulator.requests.at(-1)).toMatchObject({
      method: 'GET',
      route: 'transcriptions',
      recordingSid: recording.sid,
      status: 200,
      auth: 'account',
    });
  });

  it('lists an in-progress transcription without text, then completed with it after N listings', async () => {
    const recording = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 20,
      transcriptions: [{ status: 'in-progress', completeAfterFetches: 2, text: 'hello there' }],
    });
    const first = await client.listTranscriptions(recording.sid);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      sid: expect.stringMatching(/^TR[0-9a-f]{32}$/),
      status: 'in-progress',
      recording_sid: recording.sid,
      transcription_text: null,
    });
    expect((await client.listTranscriptions(recording.sid))[0]?.status).toBe('in-progress');
    expect((await client.listTranscriptions(recording.sid))[0]).toMatchObject({
      status: 'completed',
      transcription_text: 'hello there',
      price_unit: 'USD',
    });
  });

  it('deletes a transcription, then reports it already gone and lists it no more', async () => {
    const recording = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 5,
      transcriptions: [{ text: 'one' }, { status: 'failed' }],
    });
    const [done, failed] = await client.listTranscriptions(recording.sid);
    if (!done || !failed) throw new Error('expected two transcriptions');
    expect(failed.status).toBe('failed');
    expect(await client.deleteTranscription(done.sid)).toBe('deleted');
    expect(emulator.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      route: 'delete-transcription',
      transcriptionSid: done.sid,
      recordingSid: recording.sid,
      status: 204,
    });
    expect(await client.deleteTranscription(done.sid)).toBe('already-gone');
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'delete-transcription', status: 404 });
    expect(emulator.isTranscriptionDeleted(done.sid)).toBe(true);
    expect((await client.listTranscriptions(recording.sid)).map((t) => t.sid)).toEqual([failed.sid]);
  });

  it('fails the listing of an unknown recording as not-found, and a 503 as transient', async () => {
    const unknown = `RE${'0'.repeat(32)}`;
    await expect(client.listTranscriptions(unknown)).rejects.toMatchObject({
      kind: 'not-found',
      code: 20404,
    });
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 5 });
    emulator.injectFault({ route: 'transcriptions', kind: 'status', status: 503, times: 1 });
    const error = await client.listTranscriptions(recording.sid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwilioApiError);
    expect(error).toMatchObject({ kind: 'transient', status: 503, retryable: true });
  });

  it('refuses another account and a wrong password', async () => {
    const other = emulator.addAccount();
    const recording = emulator.addRecording({
      accountSid: other.accountSid,
      duration: 5,
      transcriptions: [{ text: 'secret' }],
    });
    const [transcription] = emulator.transcriptions(recording.sid);
    if (!transcription) throw new Error('expected a transcription');
    // This account's credentials on the other account's paths: 401, never the text.
    const wrong = createTwilioRestClient(
      { accountSid: other.accountSid, authToken: account.authToken },
      { baseUrl: emulator.baseUrl },
    );
    await expect(wrong.listTranscriptions(recording.sid)).rejects.toMatchObject({ kind: 'unauthorized' });
    await expect(wrong.deleteTranscription(transcription.sid)).rejects.toMatchObject({
      kind: 'unauthorized',
    });
    // Under this account's own path, the other account's transcription does not exist.
    expect(await client.deleteTranscription(transcription.sid)).toBe('already-gone');
    expect(emulator.isTranscriptionDeleted(transcription.sid)).toBe(false);
  });

  it("fails a transcription still in progress when its recording is deleted (Twilio's warning 13618)", async () => {
    const recording = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 5,
      transcriptions: [{ status: 'in-progress', text: 'never' }],
    });
    expect(await client.deleteRecording(recording.sid)).toBe('deleted');
    expect(emulator.transcriptions(recording.sid)[0]).toMatchObject({
      status: 'failed',
      transcription_text: null,
    });
  });
});
