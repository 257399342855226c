import { describe, expect, it } from 'vitest';
import { planRange } from './byte-range.ts';

const etag = '"abc"';

describe('planRange', () => {
  it.each([
    ['no Range', undefined, { kind: 'whole' }],
    ['the first byte', 'bytes=0-0', { kind: 'partial', start: 0, end: 0 }],
    ['the last byte', 'bytes=999-', { kind: 'partial', start: 999, end: 999 }],
    ['a suffix', 'bytes=-10', { kind: 'partial', start: 990, end: 999 }],
    [
      'a suffix longer than the body: all of it (RFC 9110)',
      'bytes=-5000',
      { kind: 'partial', start: 0, end: 999 },
    ],
    ['an end past the body: cut at it', 'bytes=10-5000', { kind: 'partial', start: 10, end: 999 }],
    ['overlapping ranges, merged into one', 'bytes=0-10,5-20', { kind: 'partial', start: 0, end: 20 }],
    ['two ranges apart: the whole body', 'bytes=0-1,5-6', { kind: 'whole' }],
    ['a start past the end', 'bytes=1000-', { kind: 'unsatisfiable' }],
    ['an empty suffix', 'bytes=-0', { kind: 'unsatisfiable' }],
    ['garbage: ignored', 'bytes=abc', { kind: 'whole' }],
    ['another unit: ignored', 'items=0-5', { kind: 'whole' }],
    ['no unit: ignored', '0-5', { kind: 'whole' }],
  ])('%s', (_what, range, plan) => {
    expect(planRange(1000, range, undefined, etag)).toEqual(plan);
  });

  it('honours If-Range only when it names this version', () => {
    expect(planRange(1000, 'bytes=0-9', etag, etag)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(planRange(1000, 'bytes=0-9', '"other"', etag)).toEqual({ kind: 'whole' });
    expect(planRange(1000, 'bytes=0-9', 'Tue, 24 Nov 2026 03:00:00 GMT', etag)).toEqual({ kind: 'whole' });
  });

  it('finds nothing satisfiable in an empty body', () => {
    expect(planRange(0, 'bytes=0-', undefined, etag)).toEqual({ kind: 'unsatisfiable' });
    expect(planRange(0, 'bytes=-10', undefined, etag)).toEqual({ kind: 'unsatisfiable' });
  });
});
