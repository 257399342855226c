import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

export interface RedisServerOptions {
  /** Append-only file persistence, as production runs it. */
  appendOnly?: boolean;
  /** With appendOnly: `always` loses nothing acknowledged on a crash; `everysec` up to a second. */
  appendFsync?: 'always' | 'everysec';
}

export interface RedisTestServer {
  readonly url: string;
  readonly port: number;
  /** The data folder, kept across stop/kill and restart. */
  readonly dir: string;
  /** Shuts Redis down the polite way (SIGTERM: it writes what it must, then exits). */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed beyond what the fsync policy already wrote. */
  kill(): Promise<void>;
  /** Starts Redis again on the same port and data folder. */
  start(): Promise<void>;
  /**
   * SIGSTOP: Redis stalls without closing a connection, as under a long fork, swap or a frozen VM. Clients
   * stay connected and their commands get no answer until `resume()`.
   */
  pause(): Promise<void>;
  /** SIGCONT: a paused Redis answers again, the commands sent meanwhile included. */
  resume(): Promise<void>;
  /** Stops Redis and removes its folder. */
  close(): Promise<void>;
}

/** A private redis-server on a free port in a temporary folder, which a test may stop, crash and restart. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisTestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rv-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    '--appendfsync',
    options.appendFsync ?? 'always',
    '--maxmemory-policy',
    'noeviction',
    '--logfile',
    join(dir, 'redis.log'),
  ];
  let child: ChildProcess | undefined;
  let paused = false;

  async function start(): Promise<void> {
    if (child) return;
    const process = spawn('redis-server', args, { stdio: 'ignore' });
    child = process;
    process.once('exit', () => {
      if (child === process) {
        child = undefined;
        paused = false;
      }
    });
    await waitUntilReady(port, process, dir);
  }

  async function signal(name: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const process = child;
    if (!process || process.exitCode !== null) return;
    const exited = once(process, 'exit');
    // A stopped process acts on SIGTERM only once continued (SIGKILL needs no help, and gets none).
    if (paused && name === 'SIGTERM') await resume();
    process.kill(name);
    await exited;
  }

  async function pause(): Promise<void> {
    if (!child || paused) return;
    child.kill('SIGSTOP');
    paused = true;
    await waitForState(child, 'T');
  }

  async function resume(): Promise<void> {
    if (!child || !paused) return;
    child.kill('SIGCONT');
    paused = false;
    await waitForState(child, 'running');
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    start,
    pause,
    resume,
    async close() {
      await signal('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the kernel reports the process stopped ('T') or no longer stopped, so that a test's next
 * step meets the state it asked for (signals are delivered asynchronously). Linux only; elsewhere, a pause.
 */
async function waitForState(process: ChildProcess, state: 'T' | 'running'): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const stat = await readFile(`/proc/${process.pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) {
      await sleep(50);
      return;
    }
    // The state follows the command name, which is in parentheses and may itself contain spaces.
    const current = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T' ? current === 'T' : current !== 'T') return;
    await sleep(5);
  }
  throw new Error(`redis-server (pid ${process.pid}) did not reach state ${state}`);
}

async function waitUntilReady(port: number, process: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) break;
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      // While it replays the AOF, Redis answers LOADING: ready means PING succeeds.
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not yet
    } finally {
      client.disconnect();
    }
    await sleep(25);
  }
  const log = await readFile(join(dir, 'redis.log'), 'utf8').catch(() => '');
  throw new Error(`redis-server on port ${port} did not become ready:\n${log.slice(-2000)}`);
}

export interface TestQueuePrefix {
  /** A prefix no other test uses, so tests sharing one Redis never see each other's jobs. */
  prefix: string;
  /** Deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

export function testQueuePrefix(redisUrl: string): TestQueuePrefix {
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  return {
    prefix,
    async cleanup() {
      const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await client.del(...keys);
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
    },
  };
}

/**
 * Redis for tests that only need a server: the one named by TEST_REDIS_URL when a run is pointed at one,
 * otherwise a private one. Tests that stop or crash Redis always start their own.
 */
export async function redisForTests(): Promise<{ url: string; close(): Promise<void> }> {
  const external = globalThis.process.env.TEST_REDIS_URL;
  if (external) return { url: external, close: async () => {} };
  const server = await startRedisServer();
  return { url: server.url, close: () => server.close() };
}
