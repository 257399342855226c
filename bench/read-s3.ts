import { startS3Server } from '@recording-vault/testkit';

/**
 * The S3 test double in a process of its own, so that bench/read.ts's load generator does not share an
 * event loop with the storage it measures. Prints `{endpoint, accessKey, secretKey, region}` as one JSON
 * line once it answers; SIGTERM (or SIGINT) stops it and removes its data.
 */
const s3 = await startS3Server({ buckets: ['recordings'] });
// The double keeps every request it sees for tests to inspect; a benchmark sends tens of thousands.
setInterval(() => s3.clearOperations(), 1_000).unref();

const { endpoint, accessKey, secretKey, region } = s3;
process.stdout.write(`${JSON.stringify({ endpoint, accessKey, secretKey, region })}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void s3.close().finally(() => process.exit(0)));
}
