import type { ArchiveJob } from '@recording-vault/contract';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { createRecordingStatusHandler } from './recording-status-handler.ts';

const accountSid = `AC${'a1b2'.repeat(8)}`;
const token = 'c3d4'.repeat(8);
const url = 'https://vault.example.com/twilio/recording-status';
const completed = {
  AccountSid: accountSid,
  CallSid: `CA${'e5f6'.repeat(8)}`,
  RecordingSid: `RE${'0a1b'.repeat(8)}`,
  RecordingStatus: 'completed',
  RecordingDuration: '12',
  RecordingChannels: '2',
  RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Recordings/RE${'0a1b'.repeat(8)}`,
};

const sign = (params: Record<string, string>, withToken = token) =>
  twilio.getExpectedTwilioSignature(withToken, url, params);

function handlerWith(enqueue: (job: ArchiveJob) => Promise<void>) {
  const jobs: ArchiveJob[] = [];
  const handle = createRecordingStatusHandler({
    tokensByAccount: new Map([[accountSid, [token]]]),
    async enqueueArchive(job) {
      await enqueue(job);
      jobs.push(job);
    },
  });
  return { handle, jobs };
}

describe('a recording status callback, as a plain function', () => {
  it('turns a signed completed callback into one archive job of identifiers and facts', async () => {
    const { handle, jobs } = handlerWith(async () => {});
    const outcome = await handle({ params: completed, signature: sign(completed), url });
    expect(outcome).toMatchObject({ kind: 'enqueued', facts: { recordingSid: completed.RecordingSid } });
    expect(jobs).toEqual([
      expect.objectContaining({
        accountSid,
        recordingSid: completed.RecordingSid,
        callSid: completed.CallSid,
        origin: 'callback',
        callback: expect.objectContaining({ status: 'completed', duration: 12, channels: 2 }),
      }),
    ]);
    expect(JSON.stringify(jobs)).not.toContain('https://');
  });

  it.each([
    ['an unknown account', { ...completed, AccountSid: `AC${'9'.repeat(32)}` }, 'sign', 'unknown account'],
    ['no signature', completed, 'none', 'missing signature'],
    ['a signature over other parameters', completed, 'other', 'invalid signature'],
    ['a signature made with another token', completed, 'token', 'invalid signature'],
  ] as const)('refuses %s, enqueueing nothing', async (_name, params, how, cause) => {
    const { handle, jobs } = handlerWith(async () => {});
    const signature =
      how === 'none'
        ? undefined
        : how === 'other'
          ? sign({ ...params, RecordingDuration: '13' })
          : how === 'token'
            ? sign(params, 'f'.repeat(32))
            : sign(params);
    expect(await handle({ params, signature, url })).toMatchObject({ kind: 'refused', cause });
    expect(jobs).toEqual([]);
  });

  it('names the bad parameter of a signed callback, and ignores statuses with nothing to archive', async () => {
    const { handle, jobs } = handlerWith(async () => {});
    const bad = { ...completed, RecordingChannels: '3' };
    expect(await handle({ params: bad, signature: sign(bad), url })).toEqual({
      kind: 'invalid',
      field: 'RecordingChannels',
      reason: 'must be 1 or 2',
    });
    const absent = { ...completed, RecordingStatus: 'absent' };
    expect(await handle({ params: absent, signature: sign(absent), url })).toMatchObject({ kind: 'ignored' });
    expect(jobs).toEqual([]);
  });

  it('reports the queue unavailable when the enqueue fails, so that the callback is not acknowledged', async () => {
    const down = new Error('redis down');
    const { handle } = handlerWith(async () => {
      throw down;
    });
    expect(await handle({ params: completed, signature: sign(completed), url })).toMatchObject({
      kind: 'unavailable',
      error: down,
    });
  });
});
