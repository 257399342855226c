import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'minio';
import { freePort } from './free-port.ts';

/**
 * A real S3 server for tests: Ceph's RADOS Gateway on a private single-node Ceph cluster (one monitor, one
 * OSD keeping its data in memory, no authentication between them), on loopback ports, with everything in a
 * temporary folder. Unlike the s3rver double it checks signatures and `Content-MD5`, and computes ETags
 * the way S3 does.
 */
export interface RgwTestServer {
  /** `http://127.0.0.1:PORT`; path-style requests. */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: 'us-east-1';
  /** The cluster's folder: configuration, monitor and OSD data, logs. */
  readonly dir: string;
  /** Kills radosgw, the OSD and the monitor, and removes the folder. */
  close(): Promise<void>;
}

export interface RgwServerOptions {
  /** Buckets created before the server is handed over. */
  buckets?: string[];
  /** The S3 port. Default: a free one. */
  port?: number;
  /** What the in-memory OSD may hold. Default 1 GiB: tests upload a few tens of MiB. */
  memoryBytes?: number;
  /**
   * How long start-up may take before it fails, with the daemons' logs. Default 2 minutes: it takes a few
   * seconds, more on a machine busy with other tests.
   */
  startTimeoutMs?: number;
}

/** How to get the Ceph commands on Debian or Ubuntu. */
export const RGW_INSTALL_HINT =
  'apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common';

const CEPH_COMMANDS = [
  'ceph-authtool',
  'monmaptool',
  'ceph-mon',
  'ceph',
  'ceph-osd',
  'radosgw',
  'radosgw-admin',
];
const GiB = 1024 ** 3;
const RGW_NAME = 'client.rgw.a';

/** The Ceph commands startRgwServer needs that are not on PATH. */
export function missingCephCommands(): string[] {
  const folders = (process.env.PATH ?? '').split(delimiter).filter((folder) => folder !== '');
  return CEPH_COMMANDS.filter((command) => !folders.some((folder) => isExecutable(join(folder, command))));
}

/**
 * Why tests on RGW cannot run on this machine (printed, for the test file to skip them), or undefined when
 * they can. Under CI, which installs Ceph, a missing command throws instead: a skip there would hide it.
 */
export function rgwSkipReason(): string | undefined {
  const missing = missingCephCommands();
  if (missing.length === 0) return undefined;
  const what = `${missing.join(', ')} not on PATH; install with: ${RGW_INSTALL_HINT}`;
  if (process.env.CI) throw new Error(`Ceph RGW is required under CI: ${what}`);
  const reason = `Ceph RGW tests skipped: ${what}`;
  console.warn(reason);
  return reason;
}

export async function startRgwServer(options: RgwServerOptions = {}): Promise<RgwTestServer> {
  const missing = missingCephCommands();
  if (missing.length > 0) {
    throw new Error(
      `cannot start Ceph RGW: ${missing.join(', ')} not on PATH; install with: ${RGW_INSTALL_HINT}`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'rv-rgw-'));
  const cluster = new Cluster(dir, Date.now() + (options.startTimeoutMs ?? 120_000));
  try {
    const [monPort, port] = await twoPorts(options.port);
    await cluster.configure({ monPort, rgwPort: port, memoryBytes: options.memoryBytes ?? GiB });
    await cluster.startMonitor(monPort);
    await cluster.startOsd();
    await cluster.startGateway(port);
    const accessKey = `RV${randomBytes(9).toString('hex').toUpperCase()}`;
    const secretKey = randomBytes(20).toString('hex');
    await cluster.createUser(accessKey, secretKey);
    const client = s3Client(port, accessKey, secretKey);
    await cluster.waitFor('radosgw to accept the user', async () => await answersSigned(client));
    for (const bucket of options.buckets ?? []) await client.makeBucket(bucket, 'us-east-1');
    return {
      endpoint: `http://127.0.0.1:${port}`,
      port,
      accessKey,
      secretKey,
      region: 'us-east-1',
      dir,
      close: () => cluster.close(),
    };
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

/** The daemons of one private cluster, started in order and killed in reverse. */
class Cluster {
  private readonly daemons: { name: string; child: ChildProcess }[] = [];
  private readonly dir: string;
  private readonly deadline: number;
  private readonly conf: string;
  private readonly fsid = randomUUID();
  private closed: Promise<void> | undefined;

  constructor(dir: string, deadline: number) {
    this.dir = dir;
    this.deadline = deadline;
    this.conf = join(dir, 'ceph.conf');
  }

  async configure(ports: { monPort: number; rgwPort: number; memoryBytes: number }): Promise<void> {
    for (const folder of ['mon-a', 'osd', 'run', 'log', 'rgw']) await mkdir(join(this.dir, folder));
    await writeFile(this.conf, cephConf(this.dir, { fsid: this.fsid, ...ports }));
  }

  async startMonitor(monPort: number): Promise<void> {
    const keyring = join(this.dir, 'keyring');
    const monmap = join(this.dir, 'monmap');
    await this.run('ceph-authtool', [
      '--create-keyring',
      keyring,
      '--gen-key',
      '-n',
      'mon.',
      '--cap',
      'mon',
      'allow *',
    ]);
    await this.run('monmaptool', [
      '--create',
      '--add',
      'a',
      `v1:127.0.0.1:${monPort}`,
      '--fsid',
      this.fsid,
      monmap,
    ]);
    await this.run('ceph-mon', [
      '-c',
      this.conf,
      '--mkfs',
      '-i',
      'a',
      '--monmap',
      monmap,
      '--keyring',
      keyring,
    ]);
    this.spawnDaemon('mon.a', 'ceph-mon', ['-c', this.conf, '-f', '-i', 'a']);
  }

  async startOsd(): Promise<void> {
    const uuid = randomUUID();
    const id = (await this.ceph(['osd', 'new', uuid])).trim();
    if (!/^\d+$/.test(id)) {
      throw await this.failure(`ceph osd new answered ${JSON.stringify(id)}, not an OSD id`);
    }
    // Placed here rather than by the OSD itself at start-up (`osd crush update on start`): its first
    // command can race the monitor map and then crashes the OSD.
    await this.ceph(['osd', 'crush', 'add', `osd.${id}`, '1', 'root=default']);
    await this.run('ceph-osd', ['-c', this.conf, '-i', id, '--mkfs', '--osd-uuid', uuid]);
    this.spawnDaemon(`osd.${id}`, 'ceph-osd', ['-c', this.conf, '-f', '-i', id]);
  }

  /**
   * A `ceph` command to the monitor. Without cephx a client may send its first command before it has the
   * monitor map, and the monitor refuses it (EPERM, wrong fsid): the command is sent again. Both commands
   * used here give the same answer when repeated.
   */
  private async ceph(args: string[]): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.run('ceph', ['-c', this.conf, '--connect-timeout', '60', ...args]);
      } catch (error) {
        if (attempt === 5 || Date.now() > this.deadline || !this.allAlive()) throw error;
        await sleep(250 * attempt);
      }
    }
  }

  /** Starts radosgw and waits until it answers HTTP: it listens only once its pools exist on the OSD. */
  async startGateway(port: number): Promise<void> {
    this.spawnDaemon(RGW_NAME, 'radosgw', ['-c', this.conf, '-f', '-n', RGW_NAME]);
    await this.waitFor(`radosgw to answer on port ${port}`, async () => await answersHttp(port));
  }

  /** After the gateway is up, so that the two do not both set up the default zone at once. */
  async createUser(accessKey: string, secretKey: string): Promise<void> {
    await this.run('radosgw-admin', [
      ...['-c', this.conf, 'user', 'create', '--uid=recording-vault-test'],
      ...['--display-name=Recording Vault tests', `--access-key=${accessKey}`, `--secret-key=${secretKey}`],
    ]);
  }

  /** Polls `ready` until it is true, as long as every daemon lives and the deadline allows. */
  async waitFor(what: string, ready: () => Promise<boolean>): Promise<void> {
    for (;;) {
      const dead = this.daemons.find(({ child }) => hasExited(child));
      if (dead) {
        const how = dead.child.signalCode ?? `code ${dead.child.exitCode}`;
        throw await this.failure(`${dead.name} exited (${how}) while waiting for ${what}`);
      }
      if (await ready()) return;
      if (Date.now() > this.deadline) throw await this.failure(`gave up waiting for ${what}`);
      await sleep(250);
    }
  }

  private allAlive(): boolean {
    return this.daemons.every(({ child }) => !hasExited(child));
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      // Nothing in this cluster is worth a clean shutdown: its data lives in memory and is thrown away.
      for (const daemon of [...this.daemons].reverse()) await kill(daemon.child);
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.closed;
  }

  private spawnDaemon(name: string, command: string, args: string[]): void {
    // Daemons log to their own files (ceph.conf); what they print before that goes here.
    const output = openSync(join(this.dir, 'log', `${name}.out`), 'a');
    try {
      const child = spawn(command, args, { stdio: ['ignore', output, output] });
      child.on('error', () => undefined);
      trackDaemon(child);
      this.daemons.push({ name, child });
    } finally {
      closeSync(output);
    }
  }

  /** Runs a short command to its end, within what is left of the deadline; resolves to its stdout. */
  private async run(command: string, args: string[]): Promise<string> {
    const timeout = this.deadline - Date.now();
    if (timeout <= 0) throw await this.failure(`no time left to run ${command}`);
    return await new Promise((resolve, reject) => {
      execFile(command, args, { timeout, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const detail = `${command} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${stderr}`;
        this.failure(detail).then(reject, reject);
      });
    });
  }

  /** An error saying what went wrong, with the end of every daemon's log. */
  async failure(message: string): Promise<Error> {
    const folder = join(this.dir, 'log');
    const files = (await readdir(folder).catch(() => [] as string[])).sort();
    const tails = await Promise.all(
      files.map(async (file) => {
        const text = await readFile(join(folder, file), 'utf8').catch(() => '');
        const lines = text.trimEnd().split('\n').slice(-15).join('\n');
        return lines === '' ? '' : `\n--- ${file} (last lines) ---\n${lines}`;
      }),
    );
    return new Error(`Ceph RGW in ${this.dir}: ${message}${tails.join('')}`);
  }
}

/**
 * One monitor and one OSD keeping its data in memory (memstore), without cephx; a pool of one copy is
 * healthy. Messenger v1 only, so the monitor needs one port. The monitor commits map changes every 50 ms
 * rather than every second: radosgw creates its pools one map change after another at its first start,
 * which took 10 s instead of 1. Garbage collection runs within a minute, so that what tests delete frees
 * memory during a long run.
 */
function cephConf(
  dir: string,
  settings: { fsid: string; monPort: number; rgwPort: number; memoryBytes: number },
) {
  return `[global]
fsid = ${settings.fsid}
mon host = v1:127.0.0.1:${settings.monPort}
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr2 = false
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
paxos propose interval = 0.05
osd objectstore = memstore
memstore device bytes = ${settings.memoryBytes}
osd crush update on start = false
osd class update on start = false
run dir = ${dir}/run
pid file = ${dir}/run/$name.pid
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
keyring = ${dir}/keyring

[mon.a]
mon data = ${dir}/mon-a

[osd]
osd data = ${dir}/osd

[${RGW_NAME}]
rgw frontends = beast endpoint=127.0.0.1:${settings.rgwPort}
rgw data = ${dir}/rgw
rgw dns name = localhost
rgw thread pool size = 64
rgw gc obj min wait = 30
rgw gc processor period = 30
`;
}

/** The monitor's port and the S3 port: two distinct free ports (a port just freed may be handed out again). */
async function twoPorts(rgwPort: number | undefined): Promise<[number, number]> {
  const monPort = await freePort();
  let port = rgwPort ?? (await freePort());
  while (port === monPort) port = await freePort();
  return [monPort, port];
}

function s3Client(port: number, accessKey: string, secretKey: string): Client {
  return new Client({
    endPoint: '127.0.0.1',
    port,
    useSSL: false,
    accessKey,
    secretKey,
    region: 'us-east-1',
    pathStyle: true,
    retryOptions: { disableRetry: true },
  });
}

/** Whether anything answers HTTP on the port (an anonymous ListBuckets: any status will do). */
async function answersHttp(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** Whether a signed request succeeds: the user exists and the gateway knows it. */
async function answersSigned(client: Client): Promise<boolean> {
  try {
    await client.listBuckets();
    return true;
  } catch {
    return false;
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function kill(child: ChildProcess): Promise<void> {
  if (hasExited(child) || child.pid === undefined) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(10_000)]);
}

// Daemons still alive when this process exits (a test run that ends without closing its server) die with
// it. Only a process killed outright leaves them behind.
const liveDaemons = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackDaemon(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const daemon of liveDaemons) daemon.kill('SIGKILL');
    });
  }
  liveDaemons.add(child);
  child.once('exit', () => liveDaemons.delete(child));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
