import type { z } from 'zod';

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

/**
 * Parses the environment once, listing every problem at once rather than the first. Empty variables count
 * as unset, as `.env` files and compose files write `NAME=` for "no value".
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): DeepReadonly<z.output<S>> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || 'environment';
        return `${name}: ${issue.message}`;
      }),
    );
  }
  return deepFreeze(result.data) as DeepReadonly<z.output<S>>;
}

/** The composition root's entry: on a bad environment, print every problem and exit non-zero. */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  env: Env,
  app: string,
): DeepReadonly<z.output<S>> {
  try {
    return parseEnv(schema, env);
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
