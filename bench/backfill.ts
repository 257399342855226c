import {
  archiveJobEntry,
  type BackfillDayJob,
  daysBetween,
  defaultRetryPolicy,
  QueueName,
} from '@recording-vault/contract';
import { producerConnection } from '@recording-vault/redis';
import { vaultStats } from '@recording-vault/stats';
import { startRedisServer, startTwilioEmulator, testQueuePrefix } from '@recording-vault/testkit';
import { createTwilioRestClient } from '@recording-vault/twilio';
import { Queue } from 'bullmq';
import twilio from 'twilio';
import { createRecordingListing } from '../apps/worker/src/recording-listing.ts';
import { machineLine, median, writeSection } from './report.ts';

/**
 * The backfill's own work: listing a range of days at Twilio and adding an archive job per completed
 * recording. Measured against a plain script (the SDK's list(), then queue.add one by one) and against
 * listing alone (the ceiling: the Twilio API is the limit), with the same emulator and Redis.
 */
const recordings = Number(process.env.BENCH_RECORDINGS ?? 20_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const from = '2025-02-01';
const to = '2025-02-10';
const days = daysBetween(from, to);

const redis = await startRedisServer({ appendOnly: true, appendFsync: 'everysec' });
const emulator = await startTwilioEmulator();
const connection = producerConnection(redis.url, { enableOfflineQueue: true });

type Runner = (accountSid: string, authToken: string, prefix: string) => Promise<number>;

const vault: Runner = async (accountSid, authToken, prefix) => {
  const archiveQueue = new Queue(QueueName.archive, { connection, prefix });
  const rest = createTwilioRestClient({ accountSid, authToken }, { baseUrl: emulator.baseUrl });
  const listing = createRecordingListing({
    accounts: new Map([[accountSid, { credentials: { accountSid, authToken }, rest }]]),
    archiveQueue,
    retryPolicy: defaultRetryPolicy,
    stats: vaultStats(connection, prefix),
  });
  let enqueued = 0;
  // One listing job per day, as the workers run them (here in one process, one after the other).
  for (const day of days) {
    const job: BackfillDayJob = { accountSid, day, listed: 0, enqueued: 0 };
    enqueued += (await listing.listDay(job, async () => {})).enqueued;
  }
  await archiveQueue.close();
  return enqueued;
};

const plainScript: Runner = async (accountSid, authToken, prefix) => {
  const archiveQueue = new Queue(QueueName.archive, { connection, prefix });
  const client = twilio(accountSid, authToken, { env: {} });
  client.api.baseUrl = emulator.baseUrl;
  const listed = await client.api.v2010.accounts(accountSid).recordings.list({
    dateCreatedAfter: new Date(`${from}T00:00:00Z`),
    dateCreatedBefore: new Date(`${to}T23:59:59Z`),
    pageSize: 1000,
  });
  let enqueued = 0;
  for (const recording of listed) {
    if (recording.status !== 'completed') continue;
    const entry = archiveJobEntry({
      accountSid,
      recordingSid: recording.sid,
      callSid: recording.callSid,
      origin: 'backfill',
    });
    await archiveQueue.add(entry.name, entry.data, entry.opts);
    enqueued++;
  }
  await archiveQueue.close();
  return enqueued;
};

const listingOnly: Runner = async (accountSid, authToken) => {
  const rest = createTwilioRestClient({ accountSid, authToken }, { baseUrl: emulator.baseUrl });
  let listed = 0;
  for (const day of days) {
    for await (const page of rest.listRecordingPages({
      createdAfter: new Date(`${day}T00:00:00Z`),
      createdBefore: new Date(`${day}T23:59:59Z`),
      pageSize: 1000,
    })) {
      listed += page.recordings.length;
    }
  }
  return listed;
};

async function measure(runner: Runner): Promise<number> {
  const account = emulator.addAccount();
  emulator.seedRecordings({
    accountSid: account.accountSid,
    count: recordings,
    from: `${from}T00:00:00Z`,
    to: `${to}T23:59:59Z`,
    minDuration: 1,
    maxDuration: 60,
  });
  const { prefix, cleanup } = testQueuePrefix(redis.url);
  const started = performance.now();
  const count = await runner(account.accountSid, account.authToken, prefix);
  const seconds = (performance.now() - started) / 1000;
  if (count !== recordings) throw new Error(`expected ${recordings} recordings, handled ${count}`);
  await cleanup();
  return count / seconds;
}

const results = { vault: [] as number[], plain: [] as number[], listing: [] as number[] };
for (let round = 0; round < rounds; round++) {
  results.vault.push(await measure(vault));
  results.plain.push(await measure(plainScript));
  results.listing.push(await measure(listingOnly));
}
connection.disconnect();
await emulator.close();
await redis.close();

const v = median(results.vault);
const p = median(results.plain);
const l = median(results.listing);
const markdown = `
## Backfill: listing and enqueueing

Command: \`pnpm bench:backfill\` (${recordings} recordings over ${days.length} days, ${rounds} rounds, median shown)
Machine: ${machineLine()}

| run | recordings/s |
| --- | ---: |
| Recording Vault backfill listing (a job per day, pages of 1,000, \`addBulk\` of archive jobs, page checkpoints) | ${v.toFixed(0)} |
| plain script: the SDK's \`list()\`, then \`queue.add\` one by one (peer) | ${p.toFixed(0)} |
| listing alone, no enqueueing (ceiling) | ${l.toFixed(0)} |

Ratio to the peer: **${(v / p).toFixed(2)}**; ratio to the ceiling: **${(v / l).toFixed(2)}**.
`;
await writeSection('backfill', markdown);
process.stdout.write(markdown);
