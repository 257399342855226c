import { describe, expect, it } from 'vitest';
import { errorFromResponse, errorFromTransport, parseRetryAfter } from './errors.ts';

describe('errorFromResponse', () => {
  const body = (code: number) => JSON.stringify({ code, message: 'm', more_info: 'x', status: 0 });

  it.each([
    [404, 20404, 'not-found', false],
    [429, 20429, 'rate-limited', true],
    [401, 20003, 'unauthorized', false],
    [403, 20003, 'unauthorized', false],
    [500, 20500, 'transient', true],
    [503, 20503, 'transient', true],
    [400, 16113, 'invalid', false],
  ] as const)('maps HTTP %i / Twilio %i to %s (retryable: %s)', (status, code, kind, retryable) => {
    const error = errorFromResponse('Twilio GET x', status, body(code), {});
    expect(error).toMatchObject({ kind, retryable, status, code });
  });

  it('keeps Retry-After in seconds or as a date', () => {
    expect(errorFromResponse('x', 429, '', { 'retry-after': '7' }).retryAfterMs).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(errorFromResponse('x', 429, '', {}).retryAfterMs).toBeUndefined();
  });

  it('treats a body that is not JSON as no Twilio code', () => {
    expect(errorFromResponse('x', 502, '<html>', {})).toMatchObject({ kind: 'transient', code: undefined });
  });
});

describe('errorFromTransport', () => {
  it('is transient and names the network code', () => {
    const error = errorFromTransport(
      'Twilio GET x',
      Object.assign(new Error('boom'), { code: 'ECONNRESET' }),
    );
    expect(error).toMatchObject({ kind: 'transient', retryable: true });
    expect(error.message).toContain('ECONNRESET');
  });
});
