import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatLifetime,
  formatMinutes,
  formatUsd,
  formatUtc,
} from './archive-format.ts';
import {
  storageCostAvoidedPerMonth,
  TWILIO_FREE_STORAGE_MINUTES,
  TWILIO_STORAGE_USD_PER_MINUTE_MONTH,
} from './archive-totals.ts';

describe('storageCostAvoidedPerMonth', () => {
  it("is Twilio's price for the minutes beyond the free allowance", () => {
    expect(TWILIO_STORAGE_USD_PER_MINUTE_MONTH).toBe(0.0005);
    expect(TWILIO_FREE_STORAGE_MINUTES).toBe(10_000);
    expect(storageCostAvoidedPerMonth(0)).toBe(0);
    expect(storageCostAvoidedPerMonth(10_000 * 60)).toBe(0);
    expect(storageCostAvoidedPerMonth(10_001 * 60)).toBeCloseTo(0.0005, 10);
    // 1,000,000 minutes: 990,000 billable at $0.0005.
    expect(storageCostAvoidedPerMonth(1_000_000 * 60)).toBeCloseTo(495, 10);
  });
});

describe('archive formats', () => {
  it('writes times in UTC, durations as a player does, sizes in binary units', () => {
    expect(formatUtc(Date.UTC(2026, 10, 24, 3, 0, 1))).toBe('2026-11-24 03:00:01 UTC');
    expect(formatDuration(64)).toBe('1:04');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2 * 1024 * 1024)).toBe('2.00 MiB');
    expect(formatBytes(150 * 1024 ** 3)).toBe('150 GiB');
    expect(formatMinutes(90)).toBe('1.5');
    expect(formatMinutes(60_000_000)).toBe('1,000,000.0');
  });

  it('writes money with cents, and small amounts to a hundredth of a cent', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0005)).toBe('$0.0005');
    expect(formatUsd(495)).toBe('$495.00');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
  });

  it("writes a link's life in words", () => {
    expect(formatLifetime(15 * 60_000)).toBe('15 min');
    expect(formatLifetime(60 * 60_000)).toBe('1 h');
    expect(formatLifetime(24 * 60 * 60_000)).toBe('1 day');
    expect(formatLifetime(7 * 24 * 60 * 60_000)).toBe('7 days');
  });
});
