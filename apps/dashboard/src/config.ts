import {
  checkRedisEnv,
  checkStorageEnv,
  choice,
  envExamplePlaceholder,
  envSchema,
  logEnv,
  port,
  redisEnv,
  redisTopologyEnv,
  secret,
  secretText,
  storageEnv,
  trustProxy,
  url,
} from '@recording-vault/config';
import { z } from 'zod';

export const dashboardEnv = envSchema(
  {
    ...logEnv,
    ...redisEnv,
    ...redisTopologyEnv,
    // Where the archive page reads a recording's sidecar (its source, when it was archived): the workers'
    // storage settings, read the same way.
    ...storageEnv,
    DASHBOARD_PORT: port(3001),
    DASHBOARD_HOST: z.string().default('0.0.0.0'),
    DASHBOARD_USER: z.string().optional(),
    DASHBOARD_PASSWORD: secret(
      secretText(12).optional(),
      envExamplePlaceholder('DASHBOARD_PASSWORD', 'choose a password of your own'),
    ),
    /** `off` runs the board without authentication, for a trusted network only; it says so in its log. */
    DASHBOARD_AUTH: choice(['on', 'off'], 'on'),
    /**
     * Express `trust proxy` for a proxy in front of the board: its addresses and subnets (`loopback`,
     * `10.0.0.0/8`, …), or a hop count when every request comes through it; `false`, the default, trusts
     * none. Failed logins are counted per client address, so `true` (believe any sender's X-Forwarded-For)
     * is refused. Parsed into the value Express takes.
     */
    DASHBOARD_TRUST_PROXY: trustProxy(),
    /**
     * The archive page's player and its signed-link button issue links on the recordings API: its public
     * origin and the secret it checks links with, as the API itself is given them (same rules, same
     * messages). Both optional: without them the page shows a recording's metadata and says playback needs
     * them.
     */
    RECORDINGS_API_PUBLIC_URL: url(['https', 'http'])
      .transform((text) => text.replace(/\/+$/, ''))
      .optional(),
    RECORDINGS_LINK_SECRET: secret(
      secretText(32, 'must be at least 32 characters: a random secret that signs playback links').optional(),
      envExamplePlaceholder(
        'RECORDINGS_LINK_SECRET',
        'choose a random secret of your own (openssl rand -base64 32)',
      ),
    ),
  },
  checkRedisEnv,
  checkStorageEnv,
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

/** Playback on the archive page: the recordings API's public URL and link secret, or which of them is missing. */
export type DashboardPlayback =
  | { enabled: true; publicUrl: string; linkSecret: string }
  | { enabled: false; missing: Array<'RECORDINGS_API_PUBLIC_URL' | 'RECORDINGS_LINK_SECRET'> };

export function dashboardPlayback(env: {
  RECORDINGS_API_PUBLIC_URL?: string | undefined;
  RECORDINGS_LINK_SECRET?: string | undefined;
}): DashboardPlayback {
  const publicUrl = env.RECORDINGS_API_PUBLIC_URL;
  const linkSecret = env.RECORDINGS_LINK_SECRET;
  if (publicUrl && linkSecret) return { enabled: true, publicUrl, linkSecret };
  return {
    enabled: false,
    missing: [
      ...(publicUrl ? [] : ['RECORDINGS_API_PUBLIC_URL' as const]),
      ...(linkSecret ? [] : ['RECORDINGS_LINK_SECRET' as const]),
    ],
  };
}
