import { describe, expect, it } from 'vitest';
import { entryFromSidecar, InvalidSidecarError } from './archive-entry.ts';
import { decodeEntry, encodeEntry } from './entry-fields.ts';

const AC = `AC${'1'.repeat(32)}`;
const CA = `CA${'2'.repeat(32)}`;
const CF = `CF${'3'.repeat(32)}`;
const RE = `RE${'4'.repeat(32)}`;
const KEY = `${AC}/2026/11/24/${CA}/${RE}.wav`;
const SHA = 'ab'.repeat(32);

/** A sidecar as the worker writes it (apps/worker/src/archive-recording.ts, `sidecar`). */
function sidecar(overrides: { recording?: object; archive?: object } = {}) {
  return {
    recording: {
      account_sid: AC,
      api_version: '2010-04-01',
      call_sid: CA,
      conference_sid: null,
      date_created: 'Tue, 24 Nov 2026 03:00:00 +0000',
      date_updated: 'Tue, 24 Nov 2026 03:00:05 +0000',
      start_time: 'Tue, 24 Nov 2026 02:59:58 +0000',
      duration: '42',
      sid: RE,
      price: '-0.0025',
      price_unit: 'USD',
      status: 'completed',
      channels: 2,
      source: 'DialVerb',
      error_code: null,
      uri: `/2010-04-01/Accounts/${AC}/Recordings/${RE}.json`,
      encryption_details: null,
      media_url: `https://api.twilio.com/2010-04-01/Accounts/${AC}/Recordings/${RE}`,
      ...overrides.recording,
    },
    callback: null,
    archive: {
      key: KEY,
      bytes: 1_344_044,
      sha256: SHA,
      contentType: 'audio/x-wav',
      format: 'wav',
      channels: 2,
      origin: 'callback',
      archivedAt: '2026-11-24T03:01:00.000Z',
      ...overrides.archive,
    },
  };
}

describe('entryFromSidecar', () => {
  it('takes what the index needs from the resource and the archive record', () => {
    expect(entryFromSidecar(sidecar())).toEqual({
      recordingSid: RE,
      accountSid: AC,
      key: KEY,
      format: 'wav',
      bytes: 1_344_044,
      sha256: SHA,
      callSid: CA,
      conferenceSid: null,
      dateCreated: Date.UTC(2026, 10, 24, 3, 0, 0),
      durationSeconds: 42,
      channels: 2,
      encrypted: false,
    });
  });

  it('marks encrypted recordings and keeps conference SIDs', () => {
    const entry = entryFromSidecar(
      sidecar({
        recording: { conference_sid: CF, encryption_details: { encryption_cek: 'x' } },
      }),
    );
    expect(entry.encrypted).toBe(true);
    expect(entry.conferenceSid).toBe(CF);
  });

  it.each([
    ['a key of another recording', { archive: { key: `${AC}/2026/11/24/${CA}/RE${'5'.repeat(32)}.wav` } }],
    ['a key of another account', { archive: { key: `AC${'6'.repeat(32)}/2026/11/24/${CA}/${RE}.wav` } }],
    ['a format the key does not end with', { archive: { format: 'mp3' } }],
    ['a key outside the layout', { archive: { key: `../${KEY}` } }],
    ['a malformed hash', { archive: { sha256: 'nope' } }],
    ['no date', { recording: { date_created: 'yesterday' } }],
    ['a malformed SID', { recording: { sid: 'RE123' } }],
  ])('refuses %s', (_what, overrides) => {
    expect(() => entryFromSidecar(sidecar(overrides))).toThrow(InvalidSidecarError);
  });

  it('refuses what is not a sidecar at all', () => {
    expect(() => entryFromSidecar({ transcriptions: [] })).toThrow(InvalidSidecarError);
    expect(() => entryFromSidecar(null)).toThrow(InvalidSidecarError);
  });
});

describe('encodeEntry / decodeEntry', () => {
  it('round-trips, keeping only the day of a key in the worker layout', () => {
    const entry = entryFromSidecar(sidecar());
    const fields = encodeEntry(entry);
    const hash = Object.fromEntries(
      fields.flatMap((value, i) => (i % 2 === 0 ? [[value, fields[i + 1] as string]] : [])),
    );
    expect(hash.k).toBe('2026/11/24');
    expect(decodeEntry(RE, hash)).toEqual(entry);
  });

  it('reads a damaged hash as no entry rather than a wrong one', () => {
    const fields = encodeEntry(entryFromSidecar(sidecar()));
    const hash = Object.fromEntries(
      fields.flatMap((value, i) => (i % 2 === 0 ? [[value, fields[i + 1] as string]] : [])),
    );
    expect(decodeEntry(RE, { ...hash, h: 'zz' })).toBeUndefined();
    expect(decodeEntry(RE, { ...hash, a: `AC${'9'.repeat(32)}`, k: KEY })).toBeUndefined();
    expect(decodeEntry(RE, {})).toBeUndefined();
  });
});
