import { describe, expect, it } from 'vitest';
import { clock, type FoundRecording, jsonLine, tabLine, tableFormat } from './archive-listing.ts';

const recording: FoundRecording = {
  recordingSid: `RE${'a'.repeat(32)}`,
  accountSid: `AC${'c'.repeat(32)}`,
  key: `AC${'c'.repeat(32)}/2026/11/24/CA${'b'.repeat(32)}/RE${'a'.repeat(32)}.wav`,
  format: 'wav',
  bytes: 2_048_044,
  sha256: 'f'.repeat(64),
  callSid: `CA${'b'.repeat(32)}`,
  conferenceSid: null,
  dateCreated: Date.UTC(2026, 10, 24, 3, 4, 5),
  durationSeconds: 64,
  channels: 2,
  encrypted: false,
};

describe('find output', () => {
  it('--json: one object a line, the date as ISO 8601', () => {
    expect(JSON.parse(jsonLine(recording))).toEqual({
      recordingSid: recording.recordingSid,
      accountSid: recording.accountSid,
      callSid: recording.callSid,
      conferenceSid: null,
      dateCreated: '2026-11-24T03:04:05.000Z',
      durationSeconds: 64,
      channels: 2,
      format: 'wav',
      bytes: 2_048_044,
      sha256: 'f'.repeat(64),
      encrypted: false,
      key: recording.key,
    });
  });

  it('piped: the columns separated by tabs, values as a script reads them', () => {
    expect(tabLine(recording).split('\t')).toEqual([
      '2026-11-24T03:04:05.000Z',
      recording.recordingSid,
      recording.callSid,
      recording.accountSid,
      '64',
      '2',
      'wav',
      '2048044',
    ]);
    const conference = { ...recording, callSid: null, conferenceSid: `CF${'d'.repeat(32)}` };
    expect(tabLine(conference).split('\t')[2]).toBe(conference.conferenceSid);
  });

  it('on a terminal: aligned columns under a header, the account only when several are listed', () => {
    const one = tableFormat(false);
    expect(one.header).toMatch(/^CREATED \(UTC\) +RECORDING +CALL +DURATION +CH +FORMAT +SIZE$/);
    const row = one.row(recording);
    expect(row).toBe(
      `2026-11-24 03:04:05  ${recording.recordingSid}  ${recording.callSid}      1:04   2  wav        2.0 MiB`,
    );
    expect(row.length).toBe(one.header.length);
    expect(one.row({ ...recording, encrypted: true })).toContain('  wav*  ');
    const several = tableFormat(true);
    expect(several.header).toContain('ACCOUNT');
    expect(several.row(recording)).toContain(recording.accountSid);
  });

  it.each([
    [0, '0:00'],
    [64, '1:04'],
    [3_599, '59:59'],
    [3_600, '1:00:00'],
    [36_061, '10:01:01'],
  ])('%i seconds read %s', (seconds, text) => {
    expect(clock(seconds)).toBe(text);
  });
});
