import { ConfigError, type Env, type ParseEnvOptions, parseEnv } from '@recording-vault/config';
import { dashboardEnv } from '@recording-vault/dashboard/config';
import { ingestEnv } from '@recording-vault/ingest-api/config';
import { workerEnv } from '@recording-vault/worker/config';

/**
 * The three apps' own schemas over one environment, so that the variables mean here exactly what they
 * mean in production. Every problem of every schema is listed at once, each only once (the Twilio and
 * Redis variables belong to several). Placeholders are refused unless `options` allows them (the tests).
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
  if (!ingest || !worker || !dashboard) throw new ConfigError([...problems]);
  return { ingest, worker, dashboard };
}

export type StackConfig = ReturnType<typeof parseStackEnv>;
