import { describe, expect, it } from 'vitest';
import { windowText } from './status.ts';

describe('windowText', () => {
  const base = {
    accountSid: `AC${'a'.repeat(32)}`,
    window: 4.5,
    inFlight: 3,
    limit: null,
    pausedUntil: null,
    cuts: 0,
    limited: 0,
    answered: 120,
  };

  it('says how many requests may be in flight and are, before any 429', () => {
    expect(windowText(base)).toBe('window 4.5, in flight 3, no 429 yet');
  });

  it('names the limit Twilio showed, the 429s, and a Retry-After pause', () => {
    expect(
      windowText({
        ...base,
        window: 19.3,
        limit: 19,
        limited: 4,
        answered: 5000,
        pausedUntil: new Date('2026-11-30T12:00:00Z'),
      }),
    ).toBe(
      'window 19.3, in flight 3, limit 19 (4 × 429 in 5000 answers), paused by Retry-After until 2026-11-30T12:00:00.000Z',
    );
  });
});
