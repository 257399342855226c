import { describe, expect, it } from 'vitest';
import { keySlot } from './slots.ts';

describe('keySlot', () => {
  it('is CRC16 (XMODEM) of the key modulo 16384, as Redis Cluster computes it', () => {
    // CRC16/XMODEM of "123456789" is 0x31C3; the others are CLUSTER KEYSLOT's answers.
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
  });

  it('hashes the hash tag alone when there is one, so every key under {rv} shares its slot', () => {
    expect(keySlot('{rv}:archive:id')).toBe(keySlot('rv'));
    expect(keySlot('{rv}:index:accounts')).toBe(keySlot('rv'));
    // Only the first tag counts.
    expect(keySlot('{a}{b}')).toBe(keySlot('a'));
  });
});
