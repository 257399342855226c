import { describe, expect, it } from 'vitest';
import { createConcurrencyCap } from './concurrency-cap.ts';

describe('createConcurrencyCap', () => {
  it('averages the requests in flight over time and counts what it refused', () => {
    let now = 1_000;
    const cap = createConcurrencyCap(() => now, 2);
    const one = cap.admit('AC1');
    now += 100;
    const two = cap.admit('AC1');
    expect(cap.admit('AC1')).toBe(false);
    now += 100;
    if (!one || !two) throw new Error('not admitted');
    one();
    one();
    now += 200;
    two();
    // 1 in flight for 100 ms, 2 for 100 ms, 1 for 200 ms: 500 request·ms over 400 ms.
    expect(cap.stats('AC1')).toMatchObject({ inFlight: 0, peak: 2, accepted: 2, refused: 1, elapsedMs: 400 });
    expect(cap.stats('AC1').averageInFlight).toBe(1.25);
    expect(cap.stats('AC2')).toMatchObject({ accepted: 0, averageInFlight: 0 });
    cap.reset();
    expect(cap.stats('AC1')).toMatchObject({ accepted: 0, refused: 0, peak: 0, averageInFlight: 0 });
    expect(() => cap.setLimit(0)).toThrow('whole number ≥ 1');
  });
});
