import { describe, expect, it } from 'vitest';
import { recordingObjectKey, sidecarKey } from './recording-object-key.ts';
import { StorageError } from './storage-error.ts';

const accountSid = `AC${'a'.repeat(32)}`;
const callSid = `CA${'0123456789abcdef'.repeat(2)}`;
const recordingSid = `RE${'f'.repeat(32)}`;
const valid = {
  accountSid,
  callSid,
  recordingSid,
  startTime: new Date('2026-03-07T12:34:56Z'),
  format: 'wav',
} as const;

describe('recordingObjectKey', () => {
  it('builds AccountSid/YYYY/MM/DD/CallSid/RecordingSid.format', () => {
    expect(recordingObjectKey(valid)).toBe(`${accountSid}/2026/03/07/${callSid}/${recordingSid}.wav`);
    expect(recordingObjectKey({ ...valid, format: 'mp3' })).toBe(
      `${accountSid}/2026/03/07/${callSid}/${recordingSid}.mp3`,
    );
  });

  it('dates by UTC, whatever the offset the time was written with', () => {
    const lateEvening = new Date('2026-12-31T23:30:00-05:00');
    expect(recordingObjectKey({ ...valid, startTime: lateEvening })).toContain('/2027/01/01/');
    const earlyMorning = new Date('2026-01-01T00:30:00+02:00');
    expect(recordingObjectKey({ ...valid, startTime: earlyMorning })).toContain('/2025/12/31/');
  });

  it('accepts a conference SID in place of the call', () => {
    const conferenceSid = `CF${'1'.repeat(32)}`;
    expect(recordingObjectKey({ ...valid, callSid: conferenceSid })).toContain(`/${conferenceSid}/`);
  });

  it.each([
    ['an account SID of the wrong kind', { accountSid: `CA${'a'.repeat(32)}` }],
    ['an uppercase SID', { accountSid: `AC${'A'.repeat(32)}` }],
    ['a short SID', { callSid: `CA${'a'.repeat(31)}` }],
    ['a recording SID in the call place', { callSid: recordingSid }],
    ['a path in a SID', { recordingSid: `RE${'a'.repeat(30)}/.` }],
    ['a call SID in the recording place', { recordingSid: callSid }],
    ['an invalid date', { startTime: new Date('not a date') }],
    ['an unknown format', { format: 'ogg' }],
  ])('refuses %s', (_name, change) => {
    const input = { ...valid, ...change } as Parameters<typeof recordingObjectKey>[0];
    expect(() => recordingObjectKey(input)).toThrow(StorageError);
    try {
      recordingObjectKey(input);
    } catch (error) {
      expect(error).toMatchObject({ kind: 'invalid', retryable: false, code: 'InvalidKey' });
    }
  });
});

describe('sidecarKey', () => {
  it('adds .json to the key', () => {
    const key = recordingObjectKey(valid);
    expect(sidecarKey(key)).toBe(`${key}.json`);
  });

  it('refuses a key that is not valid', () => {
    expect(() => sidecarKey('../escape.wav')).toThrow(StorageError);
  });
});
