import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startAppProcess } from '@recording-vault/testkit';

/** `vault` as an operator runs it: its own process, from its sources, with only PATH and `env`. */

export const cliMain = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { cwd?: string } = {},
): Promise<CliResult> {
  const vault = startAppProcess(cliMain, args, env, options.cwd ? { cwd: options.cwd } : {});
  const code = await vault.exited;
  return { code, stdout: vault.stdout(), stderr: vault.stderr() };
}

/** util-linux `script` gives a command a terminal of its own: what an operator's shell gives `vault`. */
export const canRunInTerminal =
  process.platform === 'linux' && spawnSync('script', ['--version']).stdout?.includes('util-linux');

/** Runs the CLI on a terminal 200 columns wide; what it wrote there (stdout and stderr) comes back as one. */
export async function runCliInTerminal(
  args: readonly string[],
  env: Record<string, string>,
): Promise<CliResult> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = `stty cols 200 rows 40; exec ${[process.execPath, '--conditions=source', cliMain, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['--quiet', '--return', '--flush', '--command', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout: stdout.replaceAll('\r', ''), stderr };
}
