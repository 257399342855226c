import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { archiveJobId, QueueName } from '@recording-vault/contract';
import { onStopSignal } from '@recording-vault/lifecycle';
import { producerConnection } from '@recording-vault/redis';
import {
  callbackParamsFor,
  demoRecordingInputs,
  freePort,
  type RecordingResource,
  sendRecordingStatusCallback,
  startRedisServer,
  startTwilioEmulator,
} from '@recording-vault/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseStackEnv } from './config.ts';
import { redisAnswers, redisMissingHelp } from './redis-probe.ts';
import { startStack } from './stack.ts';

/**
 * `pnpm demo`: the whole vault against the project's Twilio API emulator, so that a newcomer sees
 * recordings flow (callback → archive job → folder → delete at Twilio → played back from the vault)
 * without a Twilio account.
 */

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
// Its own queue prefix: demo jobs never mix with the real ones of a shared local Redis.
const prefix = 'rv-demo';

const emulator = await startTwilioEmulator();
const account = emulator.addAccount();
const startedAt = Date.now();
const recordings = demoRecordingInputs(account.accountSid, startedAt).map((input) =>
  emulator.addRecording(input),
);
// Recordings no callback announced (made before the vault was installed, or during an outage): what
// `pnpm vault backfill` is for. The demo sends no callback for them; the backfill example it prints finds them.
const unannounced = [
  { minutesAgo: 100, duration: 30, channels: 1 as const },
  { minutesAgo: 90, duration: 20, channels: 2 as const },
].map(({ minutesAgo, duration, channels }) =>
  emulator.addRecording({
    accountSid: account.accountSid,
    dateCreated: startedAt - minutesAgo * 60_000,
    duration,
    channels,
    source: 'DialVerb',
  }),
);

const redis = await demoRedis();
const storageDir = await mkdtemp(join(tmpdir(), 'recording-vault-demo-'));
const ingestPort = await portFor('INGEST_PORT', 3000);
const credentials = { user: 'demo', password: randomBytes(12).toString('base64url') };
// The recordings API signs playback links with it; made up for the run unless one is set.
const ownLinkSecret = process.env.RECORDINGS_LINK_SECRET || undefined;
const linkSecret = ownLinkSecret ?? randomBytes(32).toString('base64url');
const config = parseStackEnv({
  REDIS_URL: redis.url,
  QUEUE_PREFIX: prefix,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  TWILIO_ACCOUNT_SID: account.accountSid,
  TWILIO_AUTH_TOKEN: account.authToken,
  TWILIO_API_BASE_URL: emulator.baseUrl,
  PUBLIC_BASE_URL: `http://127.0.0.1:${ingestPort}`,
  INGEST_HOST: '127.0.0.1',
  INGEST_PORT: String(ingestPort),
  DASHBOARD_HOST: '127.0.0.1',
  DASHBOARD_PORT: String(await portFor('DASHBOARD_PORT', 3001)),
  DASHBOARD_USER: credentials.user,
  DASHBOARD_PASSWORD: credentials.password,
  WORKER_METRICS_HOST: '127.0.0.1',
  WORKER_METRICS_PORT: String(await portFor('WORKER_METRICS_PORT', 9464)),
  RECORDINGS_API_HOST: '127.0.0.1',
  RECORDINGS_API_PORT: String(await portFor('RECORDINGS_API_PORT', 3002)),
  RECORDINGS_LINK_SECRET: linkSecret,
  STORAGE_DIR: storageDir,
  JOB_BACKOFF_MS: '1000',
  // The story shown is callback → job; the reconciliation would race the callbacks to the same jobs.
  RECONCILE_EVERY: '0',
});
const stack = await startStack(config);

let stopping = false;
onStopSignal(async (signal) => {
  stopping = true;
  console.error(`demo: ${signal}, stopping`);
  await stack.close();
  await forgetDemoJobs().catch(() => {});
  await emulator.close();
  await redis.close();
});

say();
say('Recording Vault demo: the vault against a Twilio API emulator, no Twilio account needed.');
say(`  dashboard  ${stack.urls.dashboard}`);
say(`             user ${credentials.user}, password ${credentials.password} (made up for this run)`);
say(`  storage    ${storageDir}`);
say(`  callbacks  ${stack.urls.callbacks}`);
say(`  recordings ${stack.urls.recordingsApi} (Twilio's read API over the archive)`);
say(`  metrics    ${stack.urls.metrics}`);
say(`  Twilio     ${emulator.baseUrl} (emulator, account ${account.accountSid})`);
say(
  `  Redis      ${redis.url}${redis.private ? ' (a private redis-server for this run)' : `, queue prefix ${prefix}`}`,
);
say();

// What Twilio does when a recording is ready: a signed recording status callback.
for (const recording of recordings) {
  const status = recording.status === 'completed' ? 'completed' : 'absent';
  const response = await sendRecordingStatusCallback({
    url: stack.urls.callbacks,
    signedUrl: stack.urls.publicCallbacks,
    authToken: account.authToken,
    params: callbackParamsFor(recording, status),
  });
  const note = status === 'absent' ? ' (acknowledged; nothing to archive)' : '';
  say(`callback  ${recording.sid}  ${describe(recording)}, ${status}: HTTP ${response.status}${note}`);
}
say();

const archived = recordings.filter((recording) => recording.status === 'completed');
await watch(archived);
say();
say(`${archived.length} recordings archived into ${storageDir} and deleted at the emulated Twilio.`);
say(`Look at the archive queue in the dashboard: ${stack.urls.dashboard}queue/${QueueName.archive}`);
say();
await showPlayback(archived);
say(
  `${unannounced.length} more recordings wait at the emulated Twilio that no callback announced: the backfill finds them.`,
);
say('In another shell, these lines point `pnpm vault` at this demo:');
say();
for (const line of vaultEnvironment()) say(`  ${line}`);
say();
const range = backfillRange();
say('  pnpm vault status');
say(`  pnpm vault backfill --from ${range.from} --to ${range.to} --dry-run`);
say(`  pnpm vault backfill --from ${range.from} --to ${range.to}`);
say();
say(
  'With the same lines, `pnpm start:worker` adds a worker to the demo, `pnpm start:dashboard` a board (give it',
);
say('a DASHBOARD_PORT, DASHBOARD_USER and DASHBOARD_PASSWORD of its own) and `pnpm start:recordings-api` a');
say('recordings API (give it a RECORDINGS_API_PORT of its own).');
say('The storage folder stays after the demo. Ctrl-C stops it.');

/**
 * The settings that reach this demo's Redis, queues and emulated Twilio, as shell lines. The auth token is
 * the emulator's, made up for this run; a password in REDIS_URL is not printed.
 */
function vaultEnvironment(): string[] {
  const redisUrl = new URL(redis.url);
  const hidesPassword = redisUrl.password !== '';
  if (hidesPassword) redisUrl.password = 'PASSWORD';
  return [
    ...(hidesPassword ? ['# put your Redis password in place of PASSWORD'] : []),
    `export REDIS_URL='${redisUrl}'`,
    `export QUEUE_PREFIX='${prefix}'`,
    `export TWILIO_ACCOUNT_SID='${account.accountSid}'`,
    `export TWILIO_AUTH_TOKEN='${account.authToken}'`,
    `export TWILIO_API_BASE_URL='${emulator.baseUrl}'`,
    `export STORAGE_DIR='${storageDir}'`,
    `export RECORDINGS_API_PUBLIC_URL='${stack.urls.recordingsApiPublic}'`,
    ...(ownLinkSecret
      ? ['# and RECORDINGS_LINK_SECRET, the one you set']
      : [`export RECORDINGS_LINK_SECRET='${linkSecret}'`]),
  ];
}

/**
 * How an app plays an archived recording once Twilio has deleted it: the same request to the vault with the
 * same credentials (the emulator's here), or a signed link that needs none, issued by the API itself.
 */
async function showPlayback(list: RecordingResource[]): Promise<void> {
  const example = list.find((recording) => recording.channels === 2) ?? list[0];
  if (!example || stopping) return;
  const api = stack.urls.recordingsApiPublic;
  const user = `${account.accountSid}:${account.authToken}`;
  const path = `/2010-04-01/Accounts/${account.accountSid}/Recordings/${example.sid}`;
  say(`They play back from the vault, as they played from Twilio (${describe(example)}):`);
  say();
  say(`  curl -u '${user}' ${api}${path}.json`);
  say(`  curl -u '${user}' -o ${example.sid}.wav ${api}${path}.wav`);
  say();
  say(`  twilio SDK: client.api.baseUrl = '${api}'; await client.recordings('${example.sid}').fetch()`);
  say();
  const link = await fetch(`${stack.urls.recordingsApi}/v1/links`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(user).toString('base64')}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ RecordingSid: example.sid, Ttl: '1h' }),
  }).then(
    async (response) =>
      response.status === 201
        ? ((await response.json()) as { url: string }).url
        : `(not issued: HTTP ${response.status} ${await response.text()})`,
    (error: unknown) => `(not issued: ${error instanceof Error ? error.message : String(error)})`,
  );
  say('A signed link plays it without credentials for an hour (POST /v1/links):');
  say();
  say(`  ${link}`);
  say();
}

/** The UTC days the emulated Twilio holds recordings for: a backfill over them finds every one. */
function backfillRange(): { from: string; to: string } {
  const days = [...recordings, ...unannounced].map((r) =>
    new Date(r.date_created).toISOString().slice(0, 10),
  );
  days.sort();
  return { from: days[0] as string, to: days[days.length - 1] as string };
}

function describe(recording: RecordingResource): string {
  return `${recording.duration} s, ${recording.channels === 2 ? 'dual-channel' : 'mono'}`;
}

/** Prints each archive job as it settles, from the queue itself, as the dashboard shows it. */
async function watch(list: RecordingResource[]): Promise<void> {
  const connection = producerConnection(redis.url);
  connection.on('error', () => {});
  const queue = new Queue(QueueName.archive, { connection, prefix });
  const pending = new Set(list.map((recording) => recording.sid));
  try {
    while (pending.size > 0 && !stopping) {
      for (const sid of [...pending]) {
        const state = await queue.getJobState(archiveJobId(sid));
        if (state !== 'completed' && state !== 'failed') continue;
        const job = await queue.getJob(archiveJobId(sid));
        pending.delete(sid);
        if (state === 'failed') say(`failed    ${sid}  ${job?.failedReason ?? ''}`);
        else {
          const result = job?.returnvalue as { key?: string; bytes?: number; twilio?: string } | undefined;
          say(
            `archived  ${sid}  ${result?.bytes ?? '?'} bytes → ${result?.key ?? '?'} (Twilio: ${result?.twilio ?? '?'})`,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/**
 * Leaves a shared Redis as it was: every key under the demo's own prefix goes (its jobs name an emulated
 * account that exists no more).
 */
async function forgetDemoJobs(): Promise<void> {
  if (redis.private) return;
  const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  connection.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await connection.del(...keys);
    } while (cursor !== '0');
  } finally {
    connection.disconnect();
  }
}

/** REDIS_URL (default the local one) if it answers; else a private redis-server if there is one to run. */
async function demoRedis(): Promise<{ url: string; private: boolean; close(): Promise<void> }> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return { url, private: false, close: async () => {} };
  if (!process.env.REDIS_URL && (await onPath('redis-server'))) {
    const server = await startRedisServer({ appendOnly: true, appendFsync: 'everysec' });
    return { url: server.url, private: true, close: () => server.close() };
  }
  console.error(`demo: ${redisMissingHelp(url)}`);
  await emulator.close();
  process.exit(1);
}

async function onPath(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const found = await access(join(dir, command), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return true;
  }
  return false;
}

/** The variable's port if set, else the usual one when it is free, else any free one. */
async function portFor(variable: string, usual: number): Promise<number> {
  const set = process.env[variable];
  if (set) return Number(set);
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(usual, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  return free ? usual : await freePort();
}
