import { envSchema, logEnv, port, redisEnv } from '@recording-vault/config';
import { z } from 'zod';

export const dashboardEnv = envSchema(
  {
    ...logEnv,
    ...redisEnv,
    DASHBOARD_PORT: port(3001),
    DASHBOARD_HOST: z.string().min(1).default('0.0.0.0'),
    DASHBOARD_USER: z.string().min(1).optional(),
    DASHBOARD_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    /** `off` runs the board without authentication, for a trusted network only; it says so in its log. */
    DASHBOARD_AUTH: z.enum(['on', 'off']).default('on'),
  },
  (env, ctx) => {
    if (env.DASHBOARD_AUTH === 'off') return;
    for (const name of ['DASHBOARD_USER', 'DASHBOARD_PASSWORD'] as const) {
      if (!env[name]) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is required (or set DASHBOARD_AUTH=off explicitly)',
        });
      }
    }
  },
);

export type DashboardEnv = z.output<typeof dashboardEnv>;

/** The board's credentials, or `off`; the schema already refused a board with auth on and no credentials. */
export function dashboardAuth(env: {
  DASHBOARD_AUTH: 'on' | 'off';
  DASHBOARD_USER?: string | undefined;
  DASHBOARD_PASSWORD?: string | undefined;
}): { user: string; password: string } | 'off' {
  if (env.DASHBOARD_AUTH === 'off') return 'off';
  if (!env.DASHBOARD_USER || !env.DASHBOARD_PASSWORD) {
    throw new Error('DASHBOARD_USER and DASHBOARD_PASSWORD are required unless DASHBOARD_AUTH=off');
  }
  return { user: env.DASHBOARD_USER, password: env.DASHBOARD_PASSWORD };
}
