import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

/**
 * What the cluster and sentinel test kits share: one redis-server process that a test may kill and start
 * again with the same arguments, one-shot questions to a node, and bounded polling.
 */

export interface RedisProcess {
  readonly port: number;
  /** `127.0.0.1:<port>`, as clients and `redis-cli` take it. */
  readonly address: string;
  /** False between `kill()` and the next `start()`. */
  readonly running: boolean;
  /** Starts the process (again, with the same arguments) and resolves once it answers PING. */
  start(): Promise<void>;
  /** SIGKILL: a crash. Resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Every process started here and still alive: killed when the test process exits, however it exits. */
const alive = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test runner that gives up on a hanging test exits without running `close()`: no orphan survives it.
  process.once('exit', () => {
    for (const orphan of alive) orphan.kill('SIGKILL');
  });
}

export function redisProcess(port: number, args: readonly string[], logFile: string): RedisProcess {
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child) return;
    // Redis writes to its log file once running; what it says before (a bad option) goes to its output.
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    killOnExit(started);
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2000);
    };
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    started.once('exit', () => {
      if (child === started) child = undefined;
    });
    await waitUntilAnswering(port, started, async () => `${output}${await logTail()}`);
  }

  const logTail = async () => (await readFile(logFile, 'utf8').catch(() => '')).slice(-2000);

  async function kill(): Promise<void> {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = once(current, 'exit');
    current.kill('SIGKILL');
    await exited;
  }

  return {
    port,
    address: `127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    start,
    kill,
  };
}

async function waitUntilAnswering(
  port: number,
  child: ChildProcess,
  whatItSaid: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    if ((await ask(port, 'PING').catch(() => undefined)) === 'PONG') return;
    await sleep(25);
  }
  throw new Error(`redis-server on port ${port} did not start:\n${await whatItSaid()}`);
}

/**
 * One command on a fresh connection to 127.0.0.1:port, for observing a node without a client that would
 * follow redirections or reconnect by itself. A dead node fails at once, a hung one within seconds.
 */
export async function ask(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
    protocol: 2,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

/** `INFO <section>` as a map of its `name:value` lines. */
export async function info(port: number, section: string): Promise<Map<string, string>> {
  const text = String(await ask(port, 'INFO', section));
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/**
 * Asks `probe` until it returns a value, at most for `timeoutMs`. A probe that throws counts as "not yet";
 * its last error, or the last reason it gave, is in the timeout's message.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: (notYet: (reason: string) => undefined) => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  const notYet = (reason: string) => {
    last = reason;
    return undefined;
  };
  for (;;) {
    try {
      const result = await probe(notYet);
      if (result !== undefined) return result;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last seen: ${last})` : ''}`);
    }
    await sleep(100);
  }
}

/** `count` distinct free loopback ports (two asks in a row may otherwise return the same one). */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
