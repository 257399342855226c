import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface AppProcess {
  child: ChildProcess;
  /** The exit code, once it has exited. */
  exited: Promise<number | null>;
  /** What it has written so far. */
  stdout(): string;
  stderr(): string;
}

/**
 * Runs one of the project's entry points as its own Node process, from its TypeScript sources (the `source`
 * condition), with only PATH and `env` in its environment, its output captured.
 */
export function startAppProcess(
  script: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): AppProcess {
  const child = spawn(process.execPath, ['--conditions=source', script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
