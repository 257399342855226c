import { describe, expect, it } from 'vitest';
import { hasBearerToken } from './bearer-token.ts';

const token = 'metrics-token-0123456789';

describe('hasBearerToken', () => {
  it('accepts the token as a bearer credential, the scheme in any case', () => {
    expect(hasBearerToken(`Bearer ${token}`, token)).toBe(true);
    expect(hasBearerToken(`bearer ${token}`, token)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another token', 'Bearer metrics-token-9876543210'],
    ['a prefix of the token', `Bearer ${token.slice(0, -1)}`],
    ['the token with more after it', `Bearer ${token}x`],
    ['the token without the scheme', token],
    ['another scheme', `Basic ${token}`],
    ['the scheme alone', 'Bearer '],
  ])('refuses %s', (_name, header) => {
    expect(hasBearerToken(header, token)).toBe(false);
  });

  it('never accepts anything for an empty token', () => {
    expect(hasBearerToken('Bearer ', '')).toBe(false);
    expect(hasBearerToken(undefined, '')).toBe(false);
  });
});
