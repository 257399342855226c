import { describe, expect, it } from 'vitest';
import { jobCatalogue } from './job-catalogue.ts';
import { cappedBackoffDelay, cappedBackoffType, defaultRetryPolicy } from './job-options.ts';

describe('the capped exponential backoff', () => {
  const backoff = { delay: 5_000, jitter: 0.5, maxMs: 300_000 };

  it('doubles from the base and stops at the cap', () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => cappedBackoffDelay(n, backoff, noJitter))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
    // Far past the cap, no overflow to Infinity.
    expect(cappedBackoffDelay(5_000, backoff, noJitter)).toBe(300_000);
  });

  it('takes up to `jitter` off, never more, never adds', () => {
    expect(cappedBackoffDelay(3, backoff, () => 0.999_999)).toBe(10_000);
    expect(cappedBackoffDelay(20, backoff, () => 0.5)).toBe(225_000);
  });

  it('is what every retried job is added with', () => {
    for (const kind of [jobCatalogue.archive, jobCatalogue.purge, jobCatalogue.backfill]) {
      expect(kind.options(defaultRetryPolicy).backoff).toEqual({
        type: cappedBackoffType,
        delay: defaultRetryPolicy.backoffMs,
        jitter: 0.5,
      });
    }
  });
});
