import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface AppProcess {
  child: ChildProcess;
  /** The exit code, once it has exited. */
  exited: Promise<number | null>;
  /** What it has written so far (empty unless its output is captured). */
  stdout(): string;
  stderr(): string;
}

export interface AppProcessOptions {
  /**
   * Where its stdout and stderr go: kept in memory and readable as streams (the default), this process's
   * own, a file descriptor, or nowhere.
   */
  output?: 'capture' | 'ignore' | 'inherit' | number;
  /** Where its stderr goes, when not with its stdout. */
  stderr?: 'capture' | 'ignore' | 'inherit' | number;
  /** `pipe` to write to its stdin (`child.stdin`); ignored by default. */
  stdin?: 'ignore' | 'pipe';
  /** Node's own options, before the script (e.g. `--max-semi-space-size=2`). */
  nodeOptions?: readonly string[];
  cwd?: string;
}

/**
 * Runs one of the project's entry points as its own Node process, from its TypeScript sources (the `source`
 * condition), with only PATH and `env` in its environment: the one way tests, the chaos run and the
 * benchmarks start an app.
 */
export function startAppProcess(
  script: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
  options: AppProcessOptions = {},
): AppProcess {
  const stdio = (to: 'capture' | 'ignore' | 'inherit' | number) => (to === 'capture' ? 'pipe' : to);
  const output = options.output ?? 'capture';
  const child = spawn(
    process.execPath,
    [...(options.nodeOptions ?? []), '--conditions=source', script, ...args],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: [options.stdin ?? 'ignore', stdio(output), stdio(options.stderr ?? output)],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}
