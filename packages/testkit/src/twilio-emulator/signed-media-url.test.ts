import { describe, expect, it } from 'vitest';
import { type SignedMediaGrant, signMediaUrl, verifySignedMediaUrl } from './signed-media-url.ts';

const grant: SignedMediaGrant = {
  accountSid: `AC${'a'.repeat(32)}`,
  recordingSid: `RE${'b'.repeat(32)}`,
  format: 'wav',
  channels: 2,
  expires: 2_000_000_000,
};
const check = (url: string, now = 1_900_000_000_000, secret = 'secret') => {
  const parsed = new URL(url);
  return verifySignedMediaUrl(parsed.pathname, parsed.searchParams, secret, now);
};

describe('signed media URL', () => {
  it('verifies what it signed', () => {
    expect(check(signMediaUrl('http://cdn', grant, 'secret'))).toEqual({ ok: true, grant });
  });

  it('refuses a changed URL, another secret and an expired one', () => {
    const url = new URL(signMediaUrl('http://cdn', grant, 'secret'));
    url.searchParams.set('Channels', '1');
    expect(check(url.toString())).toEqual({ ok: false, reason: 'signature' });
    expect(check(signMediaUrl('http://cdn', grant, 'secret'), undefined, 'other')).toEqual({
      ok: false,
      reason: 'signature',
    });
    expect(check(signMediaUrl('http://cdn', grant, 'secret'), 2_000_000_001_000)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(check('http://cdn/v1/nothing.wav')).toEqual({ ok: false, reason: 'malformed' });
  });
});
