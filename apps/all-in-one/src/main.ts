import { ConfigError, redisSettings } from '@recording-vault/config';
import { onStopSignal } from '@recording-vault/lifecycle';
import { parseStackEnv, type StackConfig } from './config.ts';
import { redisAnswers, redisMissingHelp } from './redis-probe.ts';
import { type StackUrls, startStack } from './stack.ts';

// `pnpm start`: the whole vault in one process, for a laptop. Production runs the four apps apart.
let config: StackConfig;
try {
  config = parseStackEnv(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`recording-vault: ${error.message}`);
  process.exit(1);
}

const redis = redisSettings(config.worker);
if (!(await redisAnswers(redis))) {
  console.error(`recording-vault: ${redisMissingHelp(redis)}`);
  process.exit(1);
}

const stack = await startStack(config).catch((error: unknown) => {
  console.error(
    `recording-vault: could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
process.stdout.write(banner(stack.urls));

function banner(urls: StackUrls): string {
  const publicRecordings =
    urls.recordingsApiPublic === urls.recordingsApi
      ? ''
      : `, media_url and links on ${urls.recordingsApiPublic}`;
  return [
    '',
    'Recording Vault is running (ingest API, worker, dashboard and recordings API in one process):',
    `  callbacks  ${urls.callbacks}`,
    `             give Twilio ${urls.publicCallbacks}`,
    `  dashboard  ${urls.dashboard}`,
    `  recordings ${urls.recordingsApi}`,
    `             Twilio's read API over the archive${publicRecordings}`,
    `  metrics    ${urls.metrics}`,
    `  storage    ${urls.storage}`,
    'Ctrl-C stops it.',
    '',
    '',
  ].join('\n');
}

onStopSignal(async (signal) => {
  console.error(`recording-vault: ${signal}: finishing requests and active jobs, then stopping`);
  await stack.close();
});
