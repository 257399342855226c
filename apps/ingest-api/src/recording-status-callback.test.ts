import { describe, expect, it } from 'vitest';
import { parseRfc2822 } from './recording-status-callback.ts';

describe('parseRfc2822', () => {
  it.each([
    ['Tue, 24 Nov 2026 03:00:00 +0000', '2026-11-24T03:00:00.000Z'],
    ['Tue, 24 Nov 2026 03:00:00 GMT', '2026-11-24T03:00:00.000Z'],
    ['Mon, 23 Nov 2026 22:30:00 -0430', '2026-11-24T03:00:00.000Z'],
    ['Sat, 29 Feb 2020 12:00:59 +0100', '2020-02-29T11:00:59.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseRfc2822(text)?.toISOString()).toBe(iso);
  });

  it.each([
    'Sun, 29 Feb 2026 03:00:00 +0000',
    'Thu, 31 Apr 2026 03:00:00 +0000',
    'Tue, 24 Nov 2026 24:00:00 +0000',
    'Tue, 24 Nov 2026 03:60:00 +0000',
    'Tue, 24 Nov 2026 03:00:75 +0000',
    'Wed, 24 Nov 2026 03:00:00 +0000',
    'Tue, 24 Nov 0049 03:00:00 +0000',
    'Tue, 24 Nov 2026 03:00:00 +0099',
    'Tue, 24 Foo 2026 03:00:00 +0000',
    '2026-11-24T03:00:00Z',
  ])('refuses %s', (text) => {
    expect(parseRfc2822(text)).toBeUndefined();
  });
});
