import { describe, expect, it } from 'vitest';
import { parseBackfillOptions, selectAccounts } from './backfill-options.ts';

const account = `AC${'a'.repeat(32)}`;

describe('parseBackfillOptions', () => {
  it('reads a range, accounts and a dry run', () => {
    expect(
      parseBackfillOptions(['--from', '2025-01-01', '--to', '2025-12-31', '--account', account, '--dry-run']),
    ).toEqual({
      from: '2025-01-01',
      to: '2025-12-31',
      accounts: [account],
      dryRun: true,
      pricePerMinute: 0.0005,
    });
  });

  it('reads today and yesterday as UTC days', () => {
    const now = new Date('2026-03-01T00:30:00Z');
    expect(parseBackfillOptions(['--from', 'yesterday', '--to', 'today'], now)).toMatchObject({
      from: '2026-02-28',
      to: '2026-03-01',
    });
  });

  it.each([
    [['--to', '2025-01-01'], '--from is required'],
    [['--from', '2025-02-30', '--to', '2025-03-01'], '--from 2025-02-30 is not a date'],
    [['--from', '2025-03-02', '--to', '2025-03-01'], 'is after --to'],
    [['--from', '2025-01-01', '--to', '2025-01-02', '--price-per-minute', 'cheap'], 'is not a price'],
    [['--from', '2025-01-01', '--to', '2025-01-02', '--since', 'x'], 'Unknown option'],
  ])('%j is refused as a usage error: %s', (args, message) => {
    expect(() => parseBackfillOptions(args)).toThrow(message);
    expect(() => parseBackfillOptions(args)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('selectAccounts', () => {
  const configured = [{ accountSid: account }, { accountSid: `AC${'c'.repeat(32)}` }];

  it('takes every configured account unless some are named', () => {
    expect(selectAccounts([], configured)).toEqual(configured);
    expect(selectAccounts([account], configured)).toEqual([{ accountSid: account }]);
  });

  it('refuses an account that is not configured, as a usage error', () => {
    expect(() => selectAccounts([`AC${'b'.repeat(32)}`], configured)).toThrow(
      expect.objectContaining({
        message: expect.stringContaining('is not a configured account'),
        exitCode: 2,
      }),
    );
  });
});
