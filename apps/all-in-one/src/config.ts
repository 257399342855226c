import { ConfigError, type Env, type ParseEnvOptions, parseEnv } from '@recording-vault/config';
import { dashboardEnv } from '@recording-vault/dashboard/config';
import { ingestEnv } from '@recording-vault/ingest-api/config';
import { recordingsApiEnv } from '@recording-vault/recordings-api/config';
import { workerEnv } from '@recording-vault/worker/config';

/**
 * The four apps' own schemas over one environment, so that the variables mean here exactly what they
 * mean in production. Every problem of every schema is listed at once, each only once (the Twilio, Redis
 * and storage variables belong to several). Placeholders are refused unless `options` allows them (the tests).
 */
export function parseStackEnv(env: Env, options: ParseEnvOptions = {}) {
  const problems = new Set<string>();
  function parse<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.add(problem);
      return undefined;
    }
  }
  const ingest = parse(() => parseEnv(ingestEnv, env, options));
  const worker = parse(() => parseEnv(workerEnv, env, options));
  const dashboard = parse(() => parseEnv(dashboardEnv, env, options));
  const recordingsApi = parse(() => parseEnv(recordingsApiEnv, env, options));
  if (!ingest || !worker || !dashboard || !recordingsApi) throw new ConfigError([...problems]);
  return { ingest, worker, dashboard, recordingsApi };
}

export type StackConfig = ReturnType<typeof parseStackEnv>;
