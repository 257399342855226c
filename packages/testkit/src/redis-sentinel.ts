import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, distinctFreePorts, type RedisProcess, redisProcess, waitFor } from './redis-process.ts';

export interface RedisSentinelOptions {
  /** The name the sentinels monitor the primary under. */
  masterName?: string;
  /** How long the primary may be unreachable before a sentinel calls it down (Redis' default: 30 s). */
  downAfterMs?: number;
  /**
   * How long one failover attempt may take; a failed attempt is retried after twice this, so it bounds how
   * long a test waits when two sentinels' elections collide.
   */
  failoverTimeoutMs?: number;
}

export interface RedisDataNode {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** False between `kill(node)` and `restart(node)`. */
  readonly running: boolean;
}

export interface RedisTestSentinel {
  readonly masterName: string;
  /** The three sentinels as `host:port`. */
  readonly sentinels: readonly string[];
  /** The Redis servers: the first starts as the primary, the second as its replica. */
  readonly nodes: readonly RedisDataNode[];
  /** The primary every running sentinel names (fails while they disagree). */
  primary(): Promise<RedisDataNode>;
  /** What the node itself says it is (ROLE). */
  roleOf(node: RedisDataNode): Promise<'primary' | 'replica'>;
  /**
   * Stops the sentinels from failing over (their quorum raised above their number) until
   * `releaseFailovers()`: a killed primary then stays without a successor for as long as a test needs.
   */
  holdFailovers(): Promise<void>;
  /** Restores the quorum of 2: a primary already down is failed over at once. */
  releaseFailovers(): Promise<void>;
  /** SIGKILL of the current primary, which it returns. */
  killPrimary(): Promise<RedisDataNode>;
  /** SIGKILL: the server crashes with its connections open. */
  kill(node: RedisDataNode): Promise<void>;
  /**
   * Starts a killed server again with its configuration file, as an orchestrator restarts a crashed
   * container; the sentinels then turn a former primary into a replica of its successor. Resolves once it
   * answers PING; `waitUntilHealthy()` then waits for it to have rejoined and synced.
   */
  restart(node: RedisDataNode): Promise<void>;
  /**
   * Waits until every sentinel names the same running server as primary and that server says it is one:
   * after killing the primary, until the sentinels have promoted the replica. Resolves to it.
   */
  waitForFailover(timeoutMs?: number): Promise<RedisDataNode>;
  /**
   * Waits until the sentinels agree on a running primary, know each other, and every other running server
   * is a replica of it, in sync.
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every process and removes their folders. */
  close(): Promise<void>;
}

/** Two of the three sentinels must agree that the primary is down. */
const quorum = 2;

interface DataNode extends RedisDataNode {
  readonly process: RedisProcess;
}

/**
 * A primary, its replica and three sentinels (quorum 2) watching them, each a private process on a free
 * loopback port with its own configuration file (the sentinels rewrite theirs and the servers', as in
 * production), returned once the sentinels know each other and the replica is in sync. Nothing is left
 * behind when starting fails half-way.
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisTestSentinel> {
  const masterName = options.masterName ?? 'vault';
  const root = await mkdtemp(join(tmpdir(), 'rv-redis-sentinel-'));
  const processes: RedisProcess[] = [];
  const close = async () => {
    await Promise.all(processes.map((process) => process.kill()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const [primaryPort, replicaPort, ...sentinelPorts] = (await distinctFreePorts(5)) as [
      number,
      ...number[],
    ];
    const nodes = [
      await dataNode(root, primaryPort, undefined),
      await dataNode(root, replicaPort as number, primaryPort),
    ];
    processes.push(...nodes.map((node) => node.process));
    for (const node of nodes) await node.process.start();
    const sentinels = [];
    for (const port of sentinelPorts) {
      sentinels.push(await sentinelProcess(root, port, masterName, primaryPort, options));
    }
    processes.push(...sentinels);
    await Promise.all(sentinels.map((sentinel) => sentinel.start()));
    const handle = sentinelHandle(masterName, nodes, sentinels, close);
    await handle.waitUntilHealthy(60_000);
    return handle;
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A folder of its own for a server on `port`, with its configuration file: loopback, its folder, its log,
 * then `lines`. Sentinel rewrites its file, so each process needs one.
 */
async function configured(root: string, name: string, port: number, lines: readonly string[]) {
  const dir = join(root, `${name}-${port}`);
  await mkdir(dir);
  const logFile = join(dir, `${name}.log`);
  const config = join(dir, `${name}.conf`);
  await writeFile(
    config,
    [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `logfile ${logFile}`, ...lines, ''].join('\n'),
  );
  return { config, logFile };
}

async function dataNode(root: string, port: number, primaryPort: number | undefined): Promise<DataNode> {
  const { config, logFile } = await configured(root, 'redis', port, [
    'save ""',
    'appendonly no',
    ...(primaryPort ? [`replicaof 127.0.0.1 ${primaryPort}`] : []),
  ]);
  const process = redisProcess(port, [config], logFile);
  return {
    port,
    address: process.address,
    get running() {
      return process.running;
    },
    process,
  };
}

async function sentinelProcess(
  root: string,
  port: number,
  masterName: string,
  primaryPort: number,
  options: RedisSentinelOptions,
): Promise<RedisProcess> {
  const { config, logFile } = await configured(root, 'sentinel', port, [
    `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} ${quorum}`,
    `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 2_000}`,
    `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 6_000}`,
    `sentinel parallel-syncs ${masterName} 1`,
  ]);
  return redisProcess(port, [config, '--sentinel'], logFile);
}

function sentinelHandle(
  masterName: string,
  nodes: readonly DataNode[],
  sentinels: readonly RedisProcess[],
  close: () => Promise<void>,
): RedisTestSentinel {
  const own = (node: RedisDataNode) => {
    const found = nodes.find((candidate) => candidate.port === node.port);
    if (!found) throw new Error(`${node.address} is not a server of this deployment`);
    return found;
  };
  const roleOf = async (node: RedisDataNode) => {
    const [role] = (await ask(own(node).port, 'ROLE')) as [string];
    return role === 'master' ? 'primary' : 'replica';
  };

  /** The primary the running sentinels agree on, or why there is none yet. */
  async function namedPrimary(): Promise<DataNode | string> {
    const named = new Set<number>();
    for (const sentinel of sentinels.filter((candidate) => candidate.running)) {
      const reply = (await ask(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as string[];
      named.add(Number(reply[1]));
    }
    if (named.size !== 1) return `the sentinels name different primaries (${[...named].join(', ')})`;
    const [port] = named;
    const node = nodes.find((candidate) => candidate.port === port);
    if (!node) return `the sentinels name an unknown primary on port ${port}`;
    return node;
  }

  /** The named primary once it is running and says it is one, or why not yet. */
  async function workingPrimary(): Promise<DataNode | string> {
    const primary = await namedPrimary();
    if (typeof primary === 'string') return primary;
    if (!primary.running) return `the sentinels still name ${primary.address}, which is down`;
    if ((await roleOf(primary)) !== 'primary') return `${primary.address} is not a primary yet`;
    return primary;
  }

  async function waitForFailover(timeoutMs = 60_000): Promise<RedisDataNode> {
    return await waitFor('a promoted primary', timeoutMs, async (notYet) => {
      const primary = await workingPrimary();
      return typeof primary === 'string' ? notYet(primary) : primary;
    });
  }

  async function waitUntilHealthy(timeoutMs = 60_000): Promise<void> {
    await waitFor('a healthy sentinel deployment', timeoutMs, async (notYet) => {
      const primary = await workingPrimary();
      if (typeof primary === 'string') return notYet(primary);
      for (const sentinel of sentinels.filter((candidate) => candidate.running)) {
        const fields = pairs((await ask(sentinel.port, 'SENTINEL', 'MASTER', masterName)) as string[]);
        const others = sentinels.filter((candidate) => candidate.running).length - 1;
        if (Number(fields.get('num-other-sentinels')) < others) {
          return notYet(`sentinel ${sentinel.port} does not know the other sentinels yet`);
        }
        const replicas = (await ask(sentinel.port, 'SENTINEL', 'REPLICAS', masterName)) as string[][];
        for (const node of nodes.filter((candidate) => candidate.running && candidate !== primary)) {
          const known = replicas.map(pairs).find((replica) => Number(replica.get('port')) === node.port);
          if (!known || /down|disconnected/.test(known.get('flags') ?? '')) {
            return notYet(`sentinel ${sentinel.port} does not see ${node.address} as a working replica`);
          }
        }
      }
      for (const node of nodes.filter((candidate) => candidate.running && candidate !== primary)) {
        const [role, , primaryPort, state] = (await ask(node.port, 'ROLE')) as [
          string,
          string,
          number,
          string,
        ];
        if (role !== 'slave' || Number(primaryPort) !== primary.port || state !== 'connected') {
          return notYet(`${node.address} is not a synced replica of ${primary.address} (${role}, ${state})`);
        }
      }
      return true;
    });
  }

  async function setQuorum(value: number): Promise<void> {
    const running = sentinels.filter((sentinel) => sentinel.running);
    await Promise.all(
      running.map((sentinel) => ask(sentinel.port, 'SENTINEL', 'SET', masterName, 'quorum', value)),
    );
  }

  return {
    masterName,
    sentinels: sentinels.map((sentinel) => sentinel.address),
    nodes,
    async primary() {
      const primary = await namedPrimary();
      if (typeof primary === 'string') throw new Error(primary);
      return primary;
    },
    roleOf,
    async killPrimary() {
      const primary = await namedPrimary();
      if (typeof primary === 'string') throw new Error(primary);
      await primary.process.kill();
      return primary;
    },
    holdFailovers: () => setQuorum(sentinels.length + 1),
    releaseFailovers: () => setQuorum(quorum),
    kill: (node) => own(node).process.kill(),
    restart: (node) => own(node).process.start(),
    waitForFailover,
    waitUntilHealthy,
    close,
  };
}

/** A flat `[name, value, name, value…]` reply as a map. */
function pairs(reply: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < reply.length; index += 2) {
    fields.set(String(reply[index]), String(reply[index + 1]));
  }
  return fields;
}
