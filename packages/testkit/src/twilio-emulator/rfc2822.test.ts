import { describe, expect, it } from 'vitest';
import { formatRfc2822 } from './rfc2822.ts';

describe('RFC 2822 dates', () => {
  it('formats in GMT the way Twilio does', () => {
    expect(formatRfc2822(Date.parse('2026-11-24T03:00:00Z'))).toBe('Tue, 24 Nov 2026 03:00:00 +0000');
    expect(formatRfc2822(new Date('2026-01-05T23:04:05.678Z'))).toBe('Mon, 05 Jan 2026 23:04:05 +0000');
  });
});
