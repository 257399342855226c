import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackParamsFor, sendRecordingStatusCallback } from './callbacks.ts';
import type { TwilioEmulator } from './emulator.ts';
import { startTwilioEmulator } from './emulator.ts';
import type { EmulatorAccount } from './recording-store.ts';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
}

let emulator: TwilioEmulator;
let account: EmulatorAccount;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  emulator = await startTwilioEmulator();
  account = emulator.addAccount();
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        params: Object.fromEntries(new URLSearchParams(body)),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await emulator.close();
});

describe('recording status callbacks', () => {
  it('builds Twilio’s parameter set for a recording', () => {
    const recording = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 12,
      channels: 2,
      startTime: '2026-11-24T03:00:00Z',
      conferenceSid: `CF${'d'.repeat(32)}`,
    });
    expect(callbackParamsFor(recording)).toEqual({
      AccountSid: account.accountSid,
      CallSid: recording.call_sid,
      RecordingSid: recording.sid,
      RecordingUrl: recording.media_url,
      RecordingStatus: 'completed',
      RecordingDuration: '12',
      RecordingChannels: '2',
      RecordingStartTime: 'Tue, 24 Nov 2026 03:00:00 +0000',
      RecordingSource: 'StartConferenceRecordingAPI',
      RecordingTrack: 'both',
      ErrorCode: '0',
      ConferenceSid: `CF${'d'.repeat(32)}`,
    });
    expect(callbackParamsFor(recording, 'in-progress').RecordingStatus).toBe('in-progress');
    expect(callbackParamsFor(recording).RecordingUrl).not.toMatch(/\.(wav|mp3|json)$/);
  });

  it('posts a form signed with X-Twilio-Signature that validates, and fails when a parameter changes', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 30 });
    const url = `${receiverUrl}/twilio/recording-status?tenant=a`;
    const params = callbackParamsFor(recording);
    const response = await sendRecordingStatusCallback({ url, authToken: account.authToken, params });
    expect(response.status).toBe(204);

    const delivery = received.at(-1);
    if (!delivery) throw new Error('the receiver got nothing');
    expect(delivery.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(delivery.headers['i-twilio-idempotency-token']).toBeTruthy();
    expect(delivery.params).toEqual(params);
    const signature = String(delivery.headers['x-twilio-signature']);
    expect(twilio.validateRequest(account.authToken, signature, url, delivery.params)).toBe(true);
    expect(
      twilio.validateRequest(account.authToken, signature, url, {
        ...delivery.params,
        RecordingDuration: '31',
      }),
    ).toBe(false);
    expect(twilio.validateRequest('another-token', signature, url, delivery.params)).toBe(false);
  });

  it('signs the public URL when the request goes to an internal one', async () => {
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 3 });
    const publicUrl = 'https://vault.example.com/twilio/recording-status';
    const params = callbackParamsFor(recording);
    await sendRecordingStatusCallback({
      url: `${receiverUrl}/twilio/recording-status`,
      signedUrl: publicUrl,
      authToken: account.authToken,
      params,
    });
    const signature = String(received.at(-1)?.headers['x-twilio-signature']);
    expect(twilio.validateRequest(account.authToken, signature, publicUrl, params)).toBe(true);
    expect(
      twilio.validateRequest(account.authToken, signature, `${receiverUrl}/twilio/recording-status`, params),
    ).toBe(false);
  });
});
