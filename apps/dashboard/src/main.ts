import { loadConfigOrExit } from '@recording-vault/config';
import { createLogger } from '@recording-vault/logger';
import { dashboardEnv } from './config.ts';

const env = loadConfigOrExit(dashboardEnv, process.env, 'dashboard');
const logger = createLogger({ name: 'dashboard', level: env.LOG_LEVEL });
logger.info({ port: env.DASHBOARD_PORT, auth: env.DASHBOARD_AUTH }, 'dashboard configured');
