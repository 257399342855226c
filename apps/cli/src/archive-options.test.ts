import { describe, expect, it } from 'vitest';
import {
  dayBounds,
  parseFindOptions,
  parseGetOptions,
  parseLinkOptions,
  parseReindexOptions,
  parseScrubOptions,
} from './archive-options.ts';

const recording = `RE${'a'.repeat(32)}`;
const call = `CA${'b'.repeat(32)}`;
const account = `AC${'c'.repeat(32)}`;

const usageError = (message: string) =>
  expect.objectContaining({ message: expect.stringContaining(message), exitCode: 2 });

describe('parseLinkOptions', () => {
  it('reads a recording, a life of 60 minutes by default, and the format asked', () => {
    expect(parseLinkOptions([recording])).toEqual({
      recordingSid: recording,
      ttlMs: 3_600_000,
      format: undefined,
    });
    expect(parseLinkOptions([recording, '--ttl', '90s', '--format', 'mp3'])).toEqual({
      recordingSid: recording,
      ttlMs: 90_000,
      format: 'mp3',
    });
    expect(parseLinkOptions(['--ttl', '1h', recording]).ttlMs).toBe(3_600_000);
    expect(parseLinkOptions([recording, '--ttl', '15m']).ttlMs).toBe(900_000);
    expect(parseLinkOptions([recording, '--ttl', '1s']).ttlMs).toBe(1_000);
    expect(parseLinkOptions([recording, '--ttl', '7d']).ttlMs).toBe(7 * 86_400_000);
  });

  it.each([
    [[], 'a RecordingSid is required'],
    [[recording, recording], 'one RecordingSid at a time'],
    [['RE123'], 'RE123 is not a RecordingSid'],
    [[`RE${'A'.repeat(32)}`], 'is not a RecordingSid'],
    [[call], 'is not a RecordingSid'],
    [[recording, '--ttl', 'soon'], '--ttl soon is not a duration from 1s to 7d'],
    [[recording, '--ttl', '0'], '--ttl 0 is not a duration'],
    [[recording, '--ttl', '999ms'], 'is not a duration'],
    [[recording, '--ttl', '8d'], 'is not a duration'],
    [[recording, '--ttl=-5m'], '--ttl -5m is not a duration'],
    [[recording, '--format', 'ogg'], '--format ogg is not a format: wav or mp3'],
    [[recording, '--ttl'], 'argument missing'],
    [[recording, '--expires', '1h'], "Unknown option '--expires'"],
  ])('%j is a usage error: %s', (args, message) => {
    expect(() => parseLinkOptions(args)).toThrow(usageError(message));
  });
});

describe('parseGetOptions', () => {
  it('reads a recording and where to write it', () => {
    expect(parseGetOptions([recording])).toEqual({ recordingSid: recording, out: undefined });
    expect(parseGetOptions([recording, '--out', '/tmp/x.wav'])).toEqual({
      recordingSid: recording,
      out: '/tmp/x.wav',
    });
  });

  it.each([
    [[], 'a RecordingSid is required'],
    [['--out', 'x.wav'], 'a RecordingSid is required'],
    [[recording, '--out', ''], '--out needs a file name'],
    [['nonsense'], 'nonsense is not a RecordingSid'],
    [[recording, '--output', 'x'], "Unknown option '--output'"],
  ])('%j is a usage error: %s', (args, message) => {
    expect(() => parseGetOptions(args)).toThrow(usageError(message));
  });
});

describe('parseFindOptions', () => {
  it('finds by call or by a range of UTC days, in every account or those named', () => {
    expect(parseFindOptions(['--call', call])).toEqual({
      by: 'call',
      callSid: call,
      accounts: [],
      json: false,
    });
    expect(
      parseFindOptions(['--from', '2026-11-01', '--to', '2026-11-30', '--account', account, '--json']),
    ).toEqual({ by: 'date', from: '2026-11-01', to: '2026-11-30', accounts: [account], json: true });
    const now = new Date('2026-03-01T00:30:00Z');
    expect(parseFindOptions(['--from', 'yesterday', '--to', 'today'], now)).toMatchObject({
      from: '2026-02-28',
      to: '2026-03-01',
    });
    // An account named twice is listed once.
    expect(parseFindOptions(['--call', call, '--account', account, '--account', account]).accounts).toEqual([
      account,
    ]);
  });

  it.each([
    [[], '--call, or --from and --to, is required'],
    [['--json'], '--call, or --from and --to, is required'],
    [['--call', call, '--from', '2026-11-01'], 'not both'],
    [['--call', 'CA1'], '--call CA1 is not a CallSid'],
    [['--from', '2026-11-01'], '--to is required with --from'],
    [['--to', '2026-11-01'], '--from is required with --to'],
    [['--from', '2026-02-30', '--to', '2026-03-01'], '--from 2026-02-30 is not a date'],
    [['--from', '2026-03-02', '--to', '2026-03-01'], '--from 2026-03-02 is after --to 2026-03-01'],
    [['--call', call, '--account', 'AC1'], '--account AC1 is not an account SID'],
    [['--call', call, 'extra'], 'Unexpected argument'],
    [['--cal', call], "Unknown option '--cal'"],
  ])('%j is a usage error: %s', (args, message) => {
    expect(() => parseFindOptions(args)).toThrow(usageError(message));
  });

  it('bounds a range of days from the first to the last millisecond, both included', () => {
    expect(dayBounds('2026-11-01', '2026-11-02')).toEqual({
      createdFrom: Date.UTC(2026, 10, 1),
      createdTo: Date.UTC(2026, 10, 3) - 1,
    });
  });
});

describe('parseReindexOptions', () => {
  it('rebuilds everything, or the accounts named', () => {
    expect(parseReindexOptions([])).toEqual({ accounts: [] });
    expect(parseReindexOptions(['--account', account])).toEqual({ accounts: [account] });
  });

  it.each([
    [['--account', 'everyone'], '--account everyone is not an account SID'],
    [['--all'], "Unknown option '--all'"],
    [[account], 'Unexpected argument'],
  ])('%j is a usage error: %s', (args, message) => {
    expect(() => parseReindexOptions(args)).toThrow(usageError(message));
  });
});

describe('parseScrubOptions', () => {
  it('checks everything with 4 reads at once, or a range of days, a sample, the accounts named', () => {
    expect(parseScrubOptions([])).toEqual({
      accounts: [],
      range: undefined,
      sample: undefined,
      concurrency: 4,
      json: false,
    });
    expect(
      parseScrubOptions([
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-30',
        '--sample',
        '25',
        '--account',
        account,
        '--json',
        '--concurrency',
        '16',
      ]),
    ).toEqual({
      accounts: [account],
      range: { from: '2026-11-01', to: '2026-11-30' },
      sample: 25,
      concurrency: 16,
      json: true,
    });
    const now = new Date('2026-03-01T00:30:00Z');
    expect(parseScrubOptions(['--from', 'yesterday', '--to', 'today'], now).range).toEqual({
      from: '2026-02-28',
      to: '2026-03-01',
    });
  });

  it.each([
    [['--from', '2026-11-01'], '--to is required with --from'],
    [['--to', '2026-11-01'], '--from is required with --to'],
    [['--from', '2026-02-30', '--to', '2026-03-01'], '--from 2026-02-30 is not a date'],
    [['--from', '2026-03-02', '--to', '2026-03-01'], '--from 2026-03-02 is after --to 2026-03-01'],
    [['--sample', '0'], '--sample 0 is not a number of recordings'],
    [['--sample', '2.5'], '--sample 2.5 is not a number of recordings'],
    [['--sample', 'ten'], '--sample ten is not a number of recordings'],
    [['--sample'], "Option '--sample <value>' argument missing"],
    [['--concurrency', '0'], '--concurrency 0 is not a number from 1 to 64'],
    [['--concurrency', '65'], '--concurrency 65 is not a number from 1 to 64'],
    [['--account', 'AC1'], '--account AC1 is not an account SID'],
    [['everything'], 'Unexpected argument'],
    [['--all'], "Unknown option '--all'"],
  ])('%j is a usage error: %s', (args, message) => {
    expect(() => parseScrubOptions(args)).toThrow(usageError(message));
  });

  it('lists every problem at once', () => {
    expect(() => parseScrubOptions(['--sample', '0', '--concurrency', 'x', '--account', 'AC1'])).toThrow(
      usageError(
        '--account AC1 is not an account SID: AC followed by 32 lowercase hex digits; --sample 0 is not a number of recordings (1 or more); --concurrency x is not a number from 1 to 64',
      ),
    );
  });
});
