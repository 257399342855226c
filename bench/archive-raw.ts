import http from 'node:http';
import { text } from 'node:stream/consumers';

import { requiredEnv, s3ClientFromEnv } from './archive-script-env.ts';

/**
 * The ceiling in `bench/archive.ts`: a raw copy. Each recording's media is piped straight from the
 * emulator into `putObject` with the size from Content-Length, ten at a time, over kept-alive sockets. No
 * lookup, no sidecar, no verification and no delete at Twilio. The recording SIDs arrive on stdin as a
 * JSON array; prints one JSON line.
 */
const accountSid = requiredEnv('TWILIO_ACCOUNT_SID');
const baseUrl = requiredEnv('TWILIO_API_BASE_URL');
const bucket = requiredEnv('S3_BUCKET');
const s3 = s3ClientFromEnv();
const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
const auth = `${accountSid}:${requiredEnv('TWILIO_AUTH_TOKEN')}`;
const sids = JSON.parse(await text(process.stdin)) as string[];

function media(sid: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http
      .get(`${baseUrl}/2010-04-01/Accounts/${accountSid}/Recordings/${sid}.wav`, { agent, auth }, (res) => {
        if (res.statusCode === 200) resolve(res);
        else {
          res.resume();
          reject(new Error(`GET ${sid}.wav answered ${res.statusCode}`));
        }
      })
      .once('error', reject);
  });
}

const started = performance.now();
const cpuAtStart = process.cpuUsage();
let bytes = 0;
let next = 0;
const lane = async (): Promise<void> => {
  while (next < sids.length) {
    const sid = sids[next++] as string;
    const body = await media(sid);
    const size = Number(body.headers['content-length']);
    await s3.putObject(bucket, `${accountSid}/${sid}.wav`, body, size, { 'Content-Type': 'audio/x-wav' });
    bytes += size;
  }
};
await Promise.all(Array.from({ length: 10 }, lane));
agent.destroy();

const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuAtStart);
const total = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ recordings: sids.length, bytes, ms, cpuMs: (cpu.user + cpu.system) / 1000, cpuTotalMs: (total.user + total.system) / 1000 })}\n`,
);
