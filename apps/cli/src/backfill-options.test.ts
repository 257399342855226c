import { describe, expect, it } from 'vitest';
import { parseBackfillOptions } from './backfill-options.ts';

const account = `AC${'a'.repeat(32)}`;

describe('parseBackfillOptions', () => {
  it('reads a range, accounts and a dry run', () => {
    expect(
      parseBackfillOptions(
        ['--from', '2025-01-01', '--to', '2025-12-31', '--account', account, '--dry-run'],
        [account],
      ),
    ).toEqual({
      from: '2025-01-01',
      to: '2025-12-31',
      accounts: [account],
      dryRun: true,
      pricePerMinute: 0.0005,
    });
  });

  it.each([
    [['--to', '2025-01-01'], '--from is required'],
    [['--from', '2025-02-30', '--to', '2025-03-01'], '--from 2025-02-30 is not a date'],
    [['--from', '2025-03-02', '--to', '2025-03-01'], 'is after --to'],
    [
      ['--from', '2025-01-01', '--to', '2025-01-02', '--account', `AC${'b'.repeat(32)}`],
      'is not a configured account',
    ],
    [['--from', '2025-01-01', '--to', '2025-01-02', '--price-per-minute', 'cheap'], 'is not a price'],
    [['--from', '2025-01-01', '--to', '2025-01-02', '--since', 'x'], 'Unknown option'],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseBackfillOptions(args, [account])).toThrow(message);
  });
});
