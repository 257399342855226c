import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './command-line.ts';

describe('parseCommandLine', () => {
  it.each([[['--help']], [['-h']], [['help']]])('%j is the general help', (argv) => {
    const line = parseCommandLine(argv);
    expect(line).toMatchObject({ command: 'help' });
    expect(line.command === 'help' && line.text).toContain('vault backfill --from YYYY-MM-DD');
    expect(line.command === 'help' && line.text).toContain('vault accounts [--check] [--json]');
  });

  it.each([
    [['backfill', '--help'], 'usage: vault backfill'],
    [['backfill', '--from', 'nonsense', '-h'], 'usage: vault backfill'],
    [['help', 'backfill'], 'usage: vault backfill'],
    [['status', '--help'], 'usage: vault status'],
    [['help', 'status'], 'usage: vault status'],
    [['accounts', '--check', '--help'], 'usage: vault accounts'],
    [['help', 'accounts'], 'usage: vault accounts'],
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
  });

  it.each([
    [[], 'a command is required'],
    [['rewind'], 'unknown command rewind'],
    [['help', 'rewind'], 'no help for rewind'],
    [['status', '--jsn'], "Unknown option '--jsn'"],
    [['status', 'now'], 'Unexpected argument'],
    [['accounts', '--chek'], "Unknown option '--chek'"],
    [['accounts', 'AC1'], 'Unexpected argument'],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(
      expect.objectContaining({ message: expect.stringContaining(message), exitCode: 2 }),
    );
  });
});
