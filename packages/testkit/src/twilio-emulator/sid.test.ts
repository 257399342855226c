import { describe, expect, it } from 'vitest';
import { isSid, makeSid, sidFromBytes } from './sid.ts';

describe('SIDs', () => {
  it('makes two letters and 32 lowercase hex digits', () => {
    for (const prefix of ['AC', 'CA', 'RE', 'CF', 'SK'] as const) {
      expect(makeSid(prefix)).toMatch(new RegExp(`^${prefix}[0-9a-f]{32}$`));
    }
    expect(makeSid('RE')).not.toBe(makeSid('RE'));
    expect(sidFromBytes('RE', new Uint8Array(16).fill(0xab))).toBe(`RE${'ab'.repeat(16)}`);
  });

  it('checks format and prefix', () => {
    expect(isSid(makeSid('RE'), 'RE')).toBe(true);
    expect(isSid(makeSid('RE'), 'CA')).toBe(false);
    expect(isSid(`RE${'A'.repeat(32)}`)).toBe(false);
  });
});
