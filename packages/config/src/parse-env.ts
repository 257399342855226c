import type { z } from 'zod';
import { envSpecOf } from './env-schemas.ts';
import { plainWords } from './plain-words.ts';
import { readSecretFiles } from './secret-files.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Every problem found in the environment, one line each, named by the variable at fault. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ParseEnvOptions {
  /**
   * Takes the placeholders of .env.example and all-zero SIDs and tokens as they are. For the demo and the
   * tests only, which is why it is an argument and not a variable an operator could set by accident.
   */
  allowPlaceholders?: boolean;
}

/**
 * Parses the environment once, listing every problem at once rather than the first. Empty variables count
 * as unset, as `.env` files and compose files write `NAME=` for "no value". A secret may come from the file
 * `<NAME>_FILE` names (Docker secrets). Messages never show a secret's value.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Env,
  options: ParseEnvOptions = {},
): DeepReadonly<z.output<S>> {
  const present = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  const spec = envSpecOf(schema);
  const files = readSecretFiles(present, spec?.readableFromFile ?? [], spec?.variables ?? []);
  const input = { ...present, ...files.values };
  const parser = options.allowPlaceholders && spec ? spec.allowingPlaceholders : schema;
  const result = parser.safeParse(input, { error: plainWords });
  const problems = [...files.problems];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      if (files.failed.has(name)) continue;
      const path = files.paths.get(name);
      problems.push(
        path ? `${name}_FILE: the content of ${path} ${issue.message}` : `${name}: ${issue.message}`,
      );
    }
  }
  if (problems.length > 0) {
    const secrets = (spec?.secrets ?? []).flatMap((name) => secretValues(input[name]));
    throw new ConfigError(problems.map((problem) => withoutSecrets(problem, secrets)));
  }
  return deepFreeze(result.data) as DeepReadonly<z.output<S>>;
}

/** Every problem `parseEnv` would report for `env`, one line each; none when it is a valid configuration. */
export function configProblems(schema: z.ZodType, env: Env, options: ParseEnvOptions = {}): string[] {
  try {
    parseEnv(schema, env, options);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

/** A secret's value and, for a comma-separated list (rotated tokens), each item. */
function secretValues(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [value, ...value.split(',').map((item) => item.trim())].filter((item) => item.length >= 8);
}

/**
 * The last guard: no message shows a secret, whatever a schema's message says. Only whole values of eight
 * characters or more, longest first: a short one would be found inside the message's own words.
 */
function withoutSecrets(problem: string, secrets: readonly string[]): string {
  return [...secrets]
    .sort((a, b) => b.length - a.length)
    .reduce((text, value) => {
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return text.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), '***');
    }, problem);
}

/** The composition root's entry: on a bad environment, print every problem and exit non-zero. */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  env: Env,
  app: string,
  options: ParseEnvOptions = {},
): DeepReadonly<z.output<S>> {
  try {
    return parseEnv(schema, env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${app}: ${error.message}`);
    process.exit(1);
  }
}

export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
