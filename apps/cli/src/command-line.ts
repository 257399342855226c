import { parseArgs } from 'node:util';
import {
  type FindOptions,
  type GetOptions,
  type LinkOptions,
  parseFindOptions,
  parseGetOptions,
  parseLinkOptions,
  parseReindexOptions,
  parseScrubOptions,
  type ReindexOptions,
  type ScrubOptions,
} from './archive-options.ts';
import { type BackfillOptions, parseBackfillOptions } from './backfill-options.ts';
import { CliError } from './cli-error.ts';
import { accountsUsage, generalUsage, helpText, isCommandName, statusUsage } from './usage.ts';

export type CommandLine =
  | { command: 'help'; text: string }
  | { command: 'backfill'; options: BackfillOptions }
  | { command: 'status'; json: boolean }
  | { command: 'accounts'; json: boolean; check: boolean }
  | { command: 'link'; options: LinkOptions }
  | { command: 'get'; options: GetOptions }
  | { command: 'find'; options: FindOptions }
  | { command: 'reindex'; options: ReindexOptions }
  | { command: 'scrub'; options: ScrubOptions };

const helpFlags = ['--help', '-h'];

/**
 * Reads the command line before anything else, configuration included: help needs no settings, and a
 * mistyped option is reported as such (exit code 2) rather than as whatever the environment lacks.
 */
export function parseCommandLine(argv: readonly string[], now = new Date()): CommandLine {
  const [command, ...args] = argv;
  if (command === undefined) throw new CliError(`a command is required\n${generalUsage}`, 2);
  if (helpFlags.includes(command)) return { command: 'help', text: helpText() };
  if (command === 'help') {
    const [topic, ...rest] = args;
    if (topic === undefined) return { command: 'help', text: helpText() };
    if (!isCommandName(topic) || rest.length > 0)
      throw new CliError(`no help for ${args.join(' ')}\n${generalUsage}`, 2);
    return { command: 'help', text: helpText(topic) };
  }
  if (!isCommandName(command)) throw new CliError(`unknown command ${command}\n${generalUsage}`, 2);
  if (args.some((arg) => helpFlags.includes(arg))) return { command: 'help', text: helpText(command) };
  if (command === 'backfill') return { command, options: parseBackfillOptions(args, now) };
  if (command === 'link') return { command, options: parseLinkOptions(args) };
  if (command === 'get') return { command, options: parseGetOptions(args) };
  if (command === 'find') return { command, options: parseFindOptions(args, now) };
  if (command === 'reindex') return { command, options: parseReindexOptions(args) };
  if (command === 'scrub') return { command, options: parseScrubOptions(args, now) };
  if (command === 'accounts') {
    const values = parseFlags(args, ['json', 'check'], accountsUsage);
    return { command, json: values.json ?? false, check: values.check ?? false };
  }
  const values = parseFlags(args, ['json'], statusUsage);
  return { command, json: values.json ?? false };
}

/** Boolean options only, nothing else on the line. */
function parseFlags<Name extends string>(
  args: readonly string[],
  names: readonly Name[],
  usage: string,
): Partial<Record<Name, boolean>> {
  const options = Object.fromEntries(names.map((name) => [name, { type: 'boolean' as const }]));
  try {
    return parseArgs({ args: [...args], options, strict: true }).values as Partial<Record<Name, boolean>>;
  } catch (error) {
    throw new CliError(`${(error as Error).message}; ${usage}`, 2);
  }
}
