import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, type PageToken } from './page-token.ts';

describe('page token', () => {
  it('round-trips both directions with Twilio’s PA/PB prefixes', () => {
    const after: PageToken = {
      direction: 'after',
      dateCreated: 1_780_000_000_000,
      sid: `RE${'1'.repeat(32)}`,
    };
    const before: PageToken = { ...after, direction: 'before' };
    expect(encodePageToken(after)).toMatch(/^PA/);
    expect(encodePageToken(before)).toMatch(/^PB/);
    expect(decodePageToken(encodePageToken(after))).toEqual(after);
    expect(decodePageToken(encodePageToken(before))).toEqual(before);
  });

  it('rejects anything else', () => {
    for (const value of ['', 'PA', 'XX1234', `PA${Buffer.from('1:RE12').toString('base64url')}`]) {
      expect(decodePageToken(value)).toBeUndefined();
    }
  });
});
