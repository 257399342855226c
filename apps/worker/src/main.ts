import { loadConfigOrExit } from '@recording-vault/config';
import { onStopSignal } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { workerEnv } from './config.ts';
import { startWorker } from './start.ts';

const env = loadConfigOrExit(workerEnv, process.env, 'worker');
const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
const worker = await startWorker(env, logger);

onStopSignal(async (signal) => {
  logger.info({ signal }, 'stop signal');
  await worker.close();
  logger.info('stopped');
});
