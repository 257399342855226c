import { describe, expect, it } from 'vitest';
import { hashTagOf, indexKeys, orderMember, parseOrderMember } from './index-keys.ts';

const RE_A = `RE${'a'.repeat(32)}`;
const RE_B = `RE${'b'.repeat(32)}`;
const AC = `AC${'1'.repeat(32)}`;
const CA = `CA${'2'.repeat(32)}`;
const CF = `CF${'3'.repeat(32)}`;

describe('indexKeys', () => {
  it('puts every key under <prefix>:index:', () => {
    const keys = indexKeys('rv');
    expect(keys.recording(RE_A)).toBe(`rv:index:rec:${RE_A}`);
    expect(keys.account(AC)).toBe(`rv:index:acct:${AC}`);
    expect(keys.call(CA)).toBe(`rv:index:call:${CA}`);
    expect(keys.conference(CF)).toBe(`rv:index:conf:${CF}`);
    expect(keys.accounts).toBe('rv:index:accounts');
  });

  it('keeps every key in the prefix hash tag, so one Redis Cluster slot holds the whole index', () => {
    const keys = indexKeys('{rv}');
    const all = [keys.recording(RE_A), keys.account(AC), keys.call(CA), keys.conference(CF), keys.accounts];
    expect(new Set(all.map(hashTagOf))).toEqual(new Set(['rv']));
  });

  it('refuses a prefix QUEUE_PREFIX would refuse', () => {
    expect(() => indexKeys('rv:x')).toThrow(/prefix/);
    expect(() => indexKeys('')).toThrow(/prefix/);
  });
});

describe('hashTagOf', () => {
  it("follows Redis's rule: the first non-empty {…}, else the whole key", () => {
    expect(hashTagOf('{rv}:index:x')).toBe('rv');
    expect(hashTagOf('rv:index:x')).toBe('rv:index:x');
    expect(hashTagOf('{}:x{y}')).toBe('{}:x{y}');
  });
});

describe('orderMember', () => {
  it('sorts by date, then by SID, as bytes', () => {
    const members = [
      orderMember(1_764_547_200_000, RE_B),
      orderMember(999_999_999_000, RE_A),
      orderMember(1_764_547_200_000, RE_A),
      orderMember(1_764_547_201_000, RE_A),
    ];
    expect([...members].sort()).toEqual([members[1], members[2], members[0], members[3]]);
  });

  it('reads back what it wrote', () => {
    expect(parseOrderMember(orderMember(42, RE_A))).toEqual({ dateCreated: 42, recordingSid: RE_A });
    expect(parseOrderMember(`42:${RE_A}`)).toBeUndefined();
    expect(parseOrderMember(`0000000000042:CA${'1'.repeat(32)}`)).toBeUndefined();
  });

  it('refuses dates that would not sort as numbers', () => {
    expect(() => orderMember(-1, RE_A)).toThrow(RangeError);
    expect(() => orderMember(1.5, RE_A)).toThrow(RangeError);
    expect(() => orderMember(10 ** 13, RE_A)).toThrow(RangeError);
  });
});
