import { loadConfigOrExit } from '@recording-vault/config';
import { exitOnPortInUse, onStopSignal } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { dashboardEnv } from './config.ts';
import { startDashboard } from './start.ts';

const env = loadConfigOrExit(dashboardEnv, process.env, 'dashboard');
const logger = createLogger({ name: 'dashboard', level: env.LOG_LEVEL });
const dashboard = await startDashboard(env, logger).catch(exitOnPortInUse('dashboard'));

onStopSignal(async (signal) => {
  logger.info({ signal }, 'shutting down');
  await dashboard.close();
  logger.info('stopped');
});
