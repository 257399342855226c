import { loadConfigOrExit, redisSettings, storageSettings } from '@recording-vault/config';
import { createLogger } from '@recording-vault/logger';
import { workerEnv } from './config.ts';

const env = loadConfigOrExit(workerEnv, process.env, 'worker');
const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
const redis = redisSettings(env);
logger.info(
  { queuePrefix: redis.prefix, storage: storageSettings(env).driver, concurrency: env.WORKER_CONCURRENCY },
  'worker configured',
);
