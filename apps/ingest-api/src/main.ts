import { loadConfigOrExit } from '@recording-vault/config';
import { exitOnPortInUse, onStopSignal } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { ingestEnv } from './config.ts';
import { startIngest } from './start.ts';

const env = loadConfigOrExit(ingestEnv, process.env, 'ingest-api');
const logger = createLogger({ name: 'ingest-api', level: env.LOG_LEVEL });
const ingest = await startIngest(env, logger).catch(exitOnPortInUse('ingest-api'));

onStopSignal(async (signal) => {
  logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
  await ingest.close();
  logger.info('stopped');
});
