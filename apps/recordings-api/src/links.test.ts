import { describe, expect, it } from 'vitest';
import { signLink, verifyLink } from './links.ts';

const secret = 's'.repeat(40);
const AC = `AC${'1'.repeat(32)}`;
const RE = `RE${'2'.repeat(32)}`;
const NOW = Date.UTC(2026, 10, 24, 3, 0, 0);

/** The parts of a signed link as the API reads them from its path and query. */
function partsOf(url: string) {
  const parsed = new URL(url, 'https://vault.example.com');
  const [, , , accountSid, file] = parsed.pathname.split('/');
  const [recordingSid, format] = (file ?? '').split('.');
  return {
    accountSid: accountSid ?? '',
    recordingSid: recordingSid ?? '',
    format: format ?? '',
    expires: parsed.searchParams.get('Expires') ?? undefined,
    signature: parsed.searchParams.get('Signature') ?? undefined,
  };
}

describe('signLink', () => {
  it('makes a URL on the public origin that names the recording, its expiry and a signature', () => {
    const link = signLink(
      { accountSid: AC, recordingSid: RE, format: 'wav', expiresAt: NOW + 900_000 },
      secret,
      'https://vault.example.com/rv',
    );
    expect(link.url).toMatch(
      new RegExp(
        `^https://vault\\.example\\.com/rv/v1/media/${AC}/${RE}\\.wav\\?Expires=\\d+&Signature=[A-Za-z0-9_-]{43}$`,
      ),
    );
    expect(link.expiresAt.getTime()).toBe(NOW + 900_000);
  });

  it('rounds the expiry up to a whole second, never down', () => {
    const link = signLink(
      { accountSid: AC, recordingSid: RE, format: 'mp3', expiresAt: NOW + 1_500 },
      secret,
    );
    expect(link.expiresAt.getTime()).toBe(NOW + 2_000);
    expect(link.url.startsWith('/v1/media/')).toBe(true);
  });
});

describe('verifyLink', () => {
  const link = signLink({ accountSid: AC, recordingSid: RE, format: 'wav', expiresAt: NOW + 60_000 }, secret);
  const parts = partsOf(link.url);

  it('accepts the link until its expiry, and refuses it (expired) from that moment on', () => {
    expect(verifyLink(parts, secret, NOW)).toEqual({ valid: true, expiresAt: new Date(NOW + 60_000) });
    expect(verifyLink(parts, secret, NOW + 59_999).valid).toBe(true);
    expect(verifyLink(parts, secret, NOW + 60_000)).toEqual({ valid: false, why: 'expired' });
  });

  it.each([
    ['another recording', { recordingSid: `RE${'3'.repeat(32)}` }],
    ['another account', { accountSid: `AC${'4'.repeat(32)}` }],
    ['another format', { format: 'mp3' }],
    ['a later expiry', { expires: String(Number(parts.expires) + 1) }],
    ['an expiry that is not a number', { expires: '1e10' }],
    ['no expiry', { expires: undefined }],
    ['no signature', { signature: undefined }],
    [
      'a signature changed in one character',
      { signature: `${parts.signature?.slice(0, -1)}${parts.signature?.endsWith('A') ? 'B' : 'A'}` },
    ],
    ['a signature with padding added', { signature: `${parts.signature}=` }],
  ])('refuses a link altered to %s as tampered, whatever the time', (_what, change) => {
    expect(verifyLink({ ...parts, ...change }, secret, NOW)).toEqual({ valid: false, why: 'tampered' });
    expect(verifyLink({ ...parts, ...change }, secret, NOW + 3_600_000)).toEqual({
      valid: false,
      why: 'tampered',
    });
  });

  it('refuses a link signed with another secret', () => {
    expect(verifyLink(parts, 'o'.repeat(40), NOW)).toEqual({ valid: false, why: 'tampered' });
  });
});
