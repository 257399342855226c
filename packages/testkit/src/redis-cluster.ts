import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { keySlot } from '@recording-vault/redis';
import { ask, distinctFreePorts, info, type RedisProcess, redisProcess, waitFor } from './redis-process.ts';

export interface RedisClusterOptions {
  /** At least 3, as `redis-cli --cluster create` requires. */
  primaries?: number;
  replicasPerPrimary?: number;
  /**
   * How long a node may be unreachable before the others call it failed; a failover follows within about
   * twice this. Redis' default (15 s) would make every failover test slow.
   */
  nodeTimeoutMs?: number;
}

export interface RedisClusterNode {
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** The cluster's name for the node, kept across a restart (it lives in the node's nodes.conf). */
  readonly id: string;
  /** False between `kill(node)` and `restart(node)`. */
  readonly running: boolean;
}

export interface RedisTestCluster {
  /** Every node as `host:port`, for a client's startup nodes. */
  readonly seeds: readonly string[];
  readonly nodes: readonly RedisClusterNode[];
  /** The primary serving the slot of `key` (hash tags honoured), as the first running node sees it. */
  primaryFor(key: string): Promise<RedisClusterNode>;
  /** The replicas of `primary`, as the first running node sees them. */
  replicasOf(primary: RedisClusterNode): Promise<RedisClusterNode[]>;
  /** What the node itself says it is (ROLE). */
  roleOf(node: RedisClusterNode): Promise<'primary' | 'replica'>;
  /**
   * Stops replicas from taking over (`cluster-replica-no-failover`) until `releaseFailovers()`: a killed
   * primary then leaves its slots without one for as long as a test needs, however slow the machine.
   */
  holdFailovers(): Promise<void>;
  /** Lets replicas take over again: one whose primary is down starts its election at once. */
  releaseFailovers(): Promise<void>;
  /** SIGKILL: the node crashes with its connections open. */
  kill(node: RedisClusterNode): Promise<void>;
  /**
   * Starts a killed node again on the same port, folder and nodes.conf, as an orchestrator restarts a crashed
   * container: a primary that was failed over meanwhile comes back as a replica of its successor. Resolves
   * once it answers PING; `waitUntilHealthy()` then waits for it to have rejoined and synced.
   */
  restart(node: RedisClusterNode): Promise<void>;
  /**
   * Waits until the slot of `key` is served by a running primary on which every running node agrees, each
   * of them with `cluster_state:ok`: after killing the slot's primary, until its replica has been promoted.
   * Resolves to that primary.
   */
  waitForFailover(key: string, timeoutMs?: number): Promise<RedisClusterNode>;
  /**
   * Waits until every running node says `cluster_state:ok`, they all see the same primaries, replicas and
   * slots, every slot is served by a running primary and every running replica is in sync with its primary.
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes their folders. */
  close(): Promise<void>;
}

interface ClusterNode extends RedisClusterNode {
  readonly process: RedisProcess;
  id: string;
}

/** One line of CLUSTER NODES. */
interface NodeEntry {
  id: string;
  port: number;
  flags: readonly string[];
  /** The primary's id, for a replica. */
  primaryId: string | undefined;
  /** Slot ranges, both ends included. */
  slots: readonly (readonly [number, number])[];
}

const run = promisify(execFile);
const troubleFlags = ['fail', 'fail?', 'handshake', 'noaddr'];

/**
 * A Redis Cluster of private redis-server processes on free loopback ports, each in its own temporary
 * folder, created by `redis-cli --cluster create` and returned once healthy. Nothing is left behind when
 * starting fails half-way.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisTestCluster> {
  const primaries = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 1;
  if (primaries < 3) throw new Error('a Redis Cluster needs at least 3 primaries');
  const root = await mkdtemp(join(tmpdir(), 'rv-redis-cluster-'));
  const nodes: ClusterNode[] = [];
  const close = async () => {
    await Promise.all(nodes.map((node) => node.process.kill()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const count = primaries * (1 + replicasPerPrimary);
    const ports = await distinctFreePorts(count * 2);
    for (let index = 0; index < count; index++) {
      const [port, busPort] = [ports[index * 2] as number, ports[index * 2 + 1] as number];
      nodes.push(await clusterNode(root, port, busPort, options.nodeTimeoutMs ?? 2_000));
    }
    await Promise.all(nodes.map((node) => node.process.start()));
    await createCluster(nodes, replicasPerPrimary);
    for (const node of nodes) node.id = String(await ask(node.port, 'CLUSTER', 'MYID'));
    await waitUntilHealthy(nodes, 60_000);
  } catch (error) {
    await close();
    throw error;
  }
  return clusterHandle(nodes, close);
}

async function clusterNode(root: string, port: number, busPort: number, nodeTimeoutMs: number) {
  const dir = join(root, `node-${port}`);
  await mkdir(dir);
  const logFile = join(dir, 'redis.log');
  const process = redisProcess(
    port,
    [
      '--port',
      String(port),
      // Chosen rather than Redis' port + 10000, which may be above 65535 for a high free port.
      '--cluster-port',
      String(busPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      // A replica may take over however long it was cut off: a test kills primaries at any moment.
      '--cluster-replica-validity-factor',
      '0',
      '--save',
      '',
      '--appendonly',
      'no',
      '--logfile',
      logFile,
    ],
    logFile,
  );
  const node: ClusterNode = {
    port,
    address: process.address,
    id: '',
    get running() {
      return process.running;
    },
    process,
  };
  return node;
}

async function createCluster(nodes: readonly ClusterNode[], replicasPerPrimary: number): Promise<void> {
  const args = ['--cluster', 'create', ...nodes.map((node) => node.address)];
  args.push('--cluster-replicas', String(replicasPerPrimary), '--cluster-yes');
  try {
    await run('redis-cli', args, { timeout: 60_000 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`redis-cli --cluster create failed:\n${stdout.slice(-2000)}${stderr.slice(-2000)}`);
  }
}

function clusterHandle(nodes: readonly ClusterNode[], close: () => Promise<void>): RedisTestCluster {
  const byId = (id: string | undefined) => nodes.find((node) => node.id === id);
  const firstRunning = () => {
    const node = nodes.find((candidate) => candidate.running);
    if (!node) throw new Error('no node of the cluster is running');
    return node;
  };
  const own = (node: RedisClusterNode) => {
    const found = nodes.find((candidate) => candidate.port === node.port);
    if (!found) throw new Error(`${node.address} is not a node of this cluster`);
    return found;
  };
  return {
    seeds: nodes.map((node) => node.address),
    nodes,
    async primaryFor(key) {
      const owner = ownerOf(await clusterView(firstRunning()), keySlot(key));
      const node = byId(owner?.id);
      if (!node) throw new Error(`no primary serves the slot of ${key}`);
      return node;
    },
    async replicasOf(primary) {
      const view = await clusterView(firstRunning());
      return view
        .filter((entry) => entry.primaryId === own(primary).id)
        .flatMap((entry) => byId(entry.id) ?? []);
    },
    async roleOf(node) {
      const [role] = (await ask(own(node).port, 'ROLE')) as [string];
      return role === 'master' ? 'primary' : 'replica';
    },
    holdFailovers: () => setNoFailover(nodes, 'yes'),
    releaseFailovers: () => setNoFailover(nodes, 'no'),
    kill: (node) => own(node).process.kill(),
    restart: (node) => own(node).process.start(),
    waitForFailover: (key, timeoutMs = 60_000) => waitForSlotServed(nodes, keySlot(key), timeoutMs),
    waitUntilHealthy: (timeoutMs = 60_000) => waitUntilHealthy(nodes, timeoutMs),
    close,
  };
}

/** On every running node, so that it holds for whichever node is a replica when its primary dies. */
async function setNoFailover(nodes: readonly ClusterNode[], value: 'yes' | 'no'): Promise<void> {
  const running = nodes.filter((node) => node.running);
  await Promise.all(
    running.map((node) => ask(node.port, 'CONFIG', 'SET', 'cluster-replica-no-failover', value)),
  );
}

async function waitForSlotServed(nodes: readonly ClusterNode[], slot: number, timeoutMs: number) {
  return await waitFor(`a running primary for slot ${slot}`, timeoutMs, async (notYet) => {
    const owners = new Set<string>();
    for (const node of nodes.filter((candidate) => candidate.running)) {
      if (!(await clusterStateOk(node))) return notYet(`${node.address} does not say cluster_state:ok`);
      owners.add(ownerOf(await clusterView(node), slot)?.id ?? 'nobody');
    }
    const [owner, ...others] = owners;
    if (others.length > 0) return notYet(`the nodes disagree on who serves slot ${slot}`);
    const primary = nodes.find((node) => node.id === owner);
    if (!primary?.running) return notYet(`slot ${slot} is still assigned to a node that is down`);
    return primary as RedisClusterNode;
  });
}

async function waitUntilHealthy(nodes: readonly ClusterNode[], timeoutMs: number): Promise<void> {
  await waitFor('a healthy cluster', timeoutMs, async (notYet) => {
    const running = nodes.filter((node) => node.running);
    const runningIds = new Set(running.map((node) => node.id));
    const layouts = new Set<string>();
    let view: NodeEntry[] = [];
    for (const node of running) {
      if (!(await clusterStateOk(node))) return notYet(`${node.address} does not say cluster_state:ok`);
      view = await clusterView(node);
      if (view.length !== nodes.length) return notYet(`${node.address} knows ${view.length} nodes`);
      const seen = view.filter((entry) => runningIds.has(entry.id));
      const troubled = seen.find((entry) => entry.flags.some((flag) => troubleFlags.includes(flag)));
      if (troubled) return notYet(`${node.address} flags ${troubled.port} ${troubled.flags.join(',')}`);
      layouts.add(layoutOf(seen));
    }
    if (layouts.size !== 1) return notYet('the nodes disagree on primaries, replicas or slots');
    const orphan = view.find((entry) => entry.slots.length > 0 && !runningIds.has(entry.id));
    if (orphan) return notYet(`slots ${orphan.slots[0]?.join('-')}… are assigned to a node that is down`);
    for (const entry of view.filter((candidate) => candidate.primaryId && runningIds.has(candidate.id))) {
      const replication = await info(entry.port, 'replication');
      const synced =
        replication.get('master_link_status') === 'up' && replication.get('master_sync_in_progress') === '0';
      if (!synced) return notYet(`replica ${entry.port} is not in sync with its primary`);
    }
    return true;
  });
}

/** What every node must agree on: who is primary of which slots, who replicates whom. */
function layoutOf(entries: readonly NodeEntry[]): string {
  return entries
    .map((entry) => `${entry.id} ${entry.primaryId ?? 'primary'} ${entry.slots.map((r) => r.join('-'))}`)
    .sort()
    .join('\n');
}

async function clusterStateOk(node: RedisClusterNode): Promise<boolean> {
  return String(await ask(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok');
}

async function clusterView(node: RedisClusterNode): Promise<NodeEntry[]> {
  return parseClusterNodes(String(await ask(node.port, 'CLUSTER', 'NODES')));
}

/** Lines of CLUSTER NODES: `<id> <ip:port@bus> <flags> <primary|-> <ping> <pong> <epoch> <link> <slots…>` */
function parseClusterNodes(text: string): NodeEntry[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', address = '', flags = '', primary = '-', , , , , ...slots] = line.trim().split(' ');
      return {
        id,
        port: Number(address.split('@')[0]?.split(':').at(-1)),
        flags: flags.split(','),
        primaryId: primary === '-' ? undefined : primary,
        // Slots being migrated are shown in brackets; a test cluster never migrates any.
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [from, to = from] = slot.split('-').map(Number) as [number, number?];
            return [from, to] as const;
          }),
      };
    });
}

function ownerOf(view: readonly NodeEntry[], slot: number): NodeEntry | undefined {
  return view.find((entry) => entry.slots.some(([from, to]) => slot >= from && slot <= to));
}
