import twilio from 'twilio';

import { requiredEnv, s3ClientFromEnv } from './archive-script-env.ts';

/**
 * The peer in `bench/archive.ts`: an archiving script as users write one today. List the recordings with
 * the twilio SDK, then ten at a time: download the media whole into memory, upload it with the minio
 * client, delete it at Twilio. No checksum, no read-back, no sidecar, no retries. Prints one JSON line.
 */
const accountSid = requiredEnv('TWILIO_ACCOUNT_SID');
const authToken = requiredEnv('TWILIO_AUTH_TOKEN');
const baseUrl = requiredEnv('TWILIO_API_BASE_URL');
const bucket = requiredEnv('S3_BUCKET');

const client = twilio(accountSid, authToken);
client.api.baseUrl = baseUrl;
const s3 = s3ClientFromEnv();
const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

interface Listed {
  instances: { sid: string; mediaUrl: string }[];
  // The SDK answers undefined, not a promise, after the last page.
  nextPage(): Promise<Listed> | undefined;
}

const started = performance.now();
const cpuAtStart = process.cpuUsage();
const recordings: Listed['instances'] = [];
for (let page: Listed | undefined = await client.recordings.page({ pageSize: 1000 }); page; ) {
  recordings.push(...page.instances);
  page = await page.nextPage();
}
const listedMs = performance.now() - started;

let bytes = 0;
async function archive(recording: { sid: string; mediaUrl: string }): Promise<void> {
  const response = await fetch(`${recording.mediaUrl}.wav`, { headers: { authorization } });
  if (!response.ok) throw new Error(`GET ${recording.sid}.wav answered ${response.status}`);
  const media = Buffer.from(await response.arrayBuffer());
  await s3.putObject(bucket, `${accountSid}/${recording.sid}.wav`, media, media.length, {
    'Content-Type': 'audio/x-wav',
  });
  await client.recordings(recording.sid).remove();
  bytes += media.length;
}

// Ten at a time as p-limit(10) would run them: a new one starts as soon as one finishes.
let next = 0;
const lane = async (): Promise<void> => {
  while (next < recordings.length) await archive(recordings[next++] as (typeof recordings)[number]);
};
await Promise.all(Array.from({ length: 10 }, lane));

const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuAtStart);
const total = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ recordings: recordings.length, bytes, ms, cpuMs: (cpu.user + cpu.system) / 1000, cpuTotalMs: (total.user + total.system) / 1000, listedMs })}\n`,
);
