import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './command-line.ts';

describe('parseCommandLine', () => {
  it.each([[['--help']], [['-h']], [['help']]])('%j is the general help', (argv) => {
    const line = parseCommandLine(argv);
    expect(line).toMatchObject({ command: 'help' });
    expect(line.command === 'help' && line.text).toContain('vault backfill --from YYYY-MM-DD');
    expect(line.command === 'help' && line.text).toContain('vault accounts [--check] [--json]');
    for (const usage of ['vault link RE…', 'vault get RE…', 'vault find --call CA…', 'vault reindex'])
      expect(line.command === 'help' && line.text).toContain(usage);
  });

  it.each([
    [['backfill', '--help'], 'usage: vault backfill'],
    [['backfill', '--from', 'nonsense', '-h'], 'usage: vault backfill'],
    [['help', 'backfill'], 'usage: vault backfill'],
    [['status', '--help'], 'usage: vault status'],
    [['help', 'status'], 'usage: vault status'],
    [['accounts', '--check', '--help'], 'usage: vault accounts'],
    [['help', 'accounts'], 'usage: vault accounts'],
    [['link', '--help'], 'usage: vault link'],
    [['link', 'RE1', '-h'], 'usage: vault link'],
    [['help', 'get'], 'usage: vault get'],
    [['get', '--help'], 'usage: vault get'],
    [['find', '--help'], 'usage: vault find'],
    [['help', 'reindex'], 'usage: vault reindex'],
  ])('%j is the help of the command', (argv, usage) => {
    const line = parseCommandLine(argv);
    expect(line.command === 'help' && line.text.startsWith(usage)).toBe(true);
  });

  it('reads a command and its options', () => {
    expect(parseCommandLine(['status', '--json'])).toEqual({ command: 'status', json: true });
    expect(parseCommandLine(['accounts'])).toEqual({ command: 'accounts', json: false, check: false });
    expect(parseCommandLine(['accounts', '--check', '--json'])).toEqual({
      command: 'accounts',
      json: true,
      check: true,
    });
    expect(parseCommandLine(['backfill', '--from', '2025-05-01', '--to', '2025-05-02'])).toMatchObject({
      command: 'backfill',
      options: { from: '2025-05-01', to: '2025-05-02' },
    });
    const recordingSid = `RE${'a'.repeat(32)}`;
    expect(parseCommandLine(['link', recordingSid, '--ttl', '15m'])).toEqual({
      command: 'link',
      options: { recordingSid, ttlMs: 900_000, format: undefined },
    });
    expect(parseCommandLine(['get', recordingSid, '--out', 'x.wav'])).toEqual({
      command: 'get',
      options: { recordingSid, out: 'x.wav' },
    });
    expect(
      parseCommandLine(['find', '--from', 'today', '--to', 'today'], new Date('2026-11-30T12:00:00Z')),
    ).toEqual({
      command: 'find',
      options: { by: 'date', from: '2026-11-30', to: '2026-11-30', accounts: [], json: false },
    });
    expect(parseCommandLine(['reindex'])).toEqual({ command: 'reindex', options: { accounts: [] } });
    expect(parseCommandLine(['scrub', '--sample', '2', '--json'])).toEqual({
      command: 'scrub',
      options: { accounts: [], range: undefined, sample: 2, concurrency: 4, json: true },
    });
  });

  it.each([
    [[], 'a command is required'],
    [['rewind'], 'unknown command rewind'],
    [['help', 'rewind'], 'no help for rewind'],
    [['status', '--jsn'], "Unknown option '--jsn'"],
    [['status', 'now'], 'Unexpected argument'],
    [['accounts', '--chek'], "Unknown option '--chek'"],
    [['accounts', 'AC1'], 'Unexpected argument'],
    [['link'], 'a RecordingSid is required'],
    [['get', 'RE1'], 'RE1 is not a RecordingSid'],
    [['find'], '--call, or --from and --to, is required'],
    [['reindex', '--acount', 'AC1'], "Unknown option '--acount'"],
    [['scrub', '--sample', '-1'], '--sample'],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(
      expect.objectContaining({ message: expect.stringContaining(message), exitCode: 2 }),
    );
  });
});
