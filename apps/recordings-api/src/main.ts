import { loadConfigOrExit } from '@recording-vault/config';
import { exitOnPortInUse, onStopSignal } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { recordingsApiEnv } from './config.ts';
import { startRecordingsApi } from './start.ts';

const env = loadConfigOrExit(recordingsApiEnv, process.env, 'recordings-api');
const logger = createLogger({ name: 'recordings-api', level: env.LOG_LEVEL });
const api = await startRecordingsApi(env, logger).catch(exitOnPortInUse('recordings-api'));

onStopSignal(async (signal) => {
  logger.info({ signal }, 'shutting down: no new connections, finishing reads in flight');
  await api.close();
  logger.info('stopped');
});
