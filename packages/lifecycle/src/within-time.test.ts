import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withinTime } from './within-time.ts';

describe('withinTime', () => {
  it("gives the check's answer when it comes in time", async () => {
    expect(await withinTime(Promise.resolve(true), 1_000)).toBe(true);
    expect(await withinTime(Promise.resolve(false), 1_000)).toBe(false);
  });

  it('is false when the check throws', async () => {
    expect(await withinTime(Promise.reject(new Error('down')), 1_000)).toBe(false);
  });

  it('is false at the deadline when the check never answers', async () => {
    const startedAt = performance.now();
    expect(await withinTime(new Promise<boolean>(() => {}), 50)).toBe(false);
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  });

  it('does not let a late rejection escape', async () => {
    const late = sleep(20).then(() => Promise.reject(new Error('late')));
    expect(await withinTime(late, 1)).toBe(false);
    await sleep(40);
  });
});
