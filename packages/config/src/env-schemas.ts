import { readFileSync } from 'node:fs';
import { AccountSid, ApiKeySid } from '@recording-vault/contract';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Variables shared by several apps, as zod shapes to spread into each app's own schema, and the functions
 * that turn parsed variables into the typed settings the packages take. Names are a contract with operators.
 */

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `15m`, `48h`, `90s` or `0`, in milliseconds. */
export const duration = (fallback: string) =>
  z
    .string()
    .regex(/^(0|\d+(ms|s|m|h|d))$/, 'must be a duration such as 90s, 15m, 48h or 0')
    .default(fallback)
    .transform((text) => {
      const [, amount, unit] = /^(\d+)([a-z]*)$/.exec(text) as RegExpExecArray;
      return Number(amount) * (durationUnits[unit as string] ?? 0);
    });

/** Protects the `/metrics` endpoints of the ingest API and the worker. */
export const metricsEnv = {
  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`; unset leaves it open. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters when set').optional(),
};

export const logEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const redisEnv = {
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  // Braces are allowed so that a Redis Cluster deployment can use a hash tag such as {rv}.
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]{1,64}$/, 'letters, digits, _, -, { and } only')
    .default('rv'),
};

export interface RedisSettings {
  url: string;
  prefix: string;
}

export function redisSettings(env: { REDIS_URL: string; QUEUE_PREFIX: string }): RedisSettings {
  return { url: env.REDIS_URL, prefix: env.QUEUE_PREFIX };
}

const authTokens = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((token) => token.trim()))
  .pipe(z.array(z.string().regex(/^[0-9a-f]{32}$/, 'each token must be 32 lowercase hex digits')).min(1));

export const twilioEnv = {
  TWILIO_ACCOUNT_SID: AccountSid.optional(),
  // Several comma-separated tokens are accepted during an auth-token rotation; the first is used for API calls.
  TWILIO_AUTH_TOKEN: authTokens.optional(),
  TWILIO_API_KEY_SID: ApiKeySid.optional(),
  TWILIO_API_KEY_SECRET: z.string().min(16, 'is too short for an API key secret').optional(),
  /** More accounts (subaccounts or unrelated ones), from a JSON or YAML file. */
  TWILIO_ACCOUNTS_FILE: z
    .string()
    .transform((path, ctx) => {
      const result = readAccountsFile(path);
      for (const problem of result.problems) ctx.addIssue({ code: 'custom', message: problem });
      return result.accounts;
    })
    .optional(),
  TWILIO_API_BASE_URL: httpUrl.default('https://api.twilio.com'),
};

type TwilioVars = {
  TWILIO_ACCOUNT_SID?: string | undefined;
  TWILIO_AUTH_TOKEN?: readonly string[] | undefined;
  TWILIO_API_KEY_SID?: string | undefined;
  TWILIO_API_KEY_SECRET?: string | undefined;
  TWILIO_ACCOUNTS_FILE?: readonly TwilioAccountSettings[] | undefined;
  TWILIO_API_BASE_URL: string;
};

/**
 * One account from the variables, more from TWILIO_ACCOUNTS_FILE, at least one in all. An API key goes
 * with its secret: one without the other is a mistake worth stopping for.
 */
export const checkTwilioEnv: EnvCheck = (env, ctx) => {
  const need = (name: string, message: string) => ctx.addIssue({ code: 'custom', path: [name], message });
  if (!env.TWILIO_ACCOUNTS_FILE) {
    if (!env.TWILIO_ACCOUNT_SID)
      need('TWILIO_ACCOUNT_SID', 'is required (or list accounts in TWILIO_ACCOUNTS_FILE)');
    if (!env.TWILIO_AUTH_TOKEN)
      need('TWILIO_AUTH_TOKEN', 'is required (or list accounts in TWILIO_ACCOUNTS_FILE)');
  } else {
    if (env.TWILIO_ACCOUNT_SID && !env.TWILIO_AUTH_TOKEN)
      need('TWILIO_AUTH_TOKEN', 'is required with TWILIO_ACCOUNT_SID');
    if (env.TWILIO_AUTH_TOKEN && !env.TWILIO_ACCOUNT_SID)
      need('TWILIO_ACCOUNT_SID', 'is required with TWILIO_AUTH_TOKEN');
    const listed = env.TWILIO_ACCOUNTS_FILE as readonly TwilioAccountSettings[];
    if (Array.isArray(listed) && listed.some((account) => account.accountSid === env.TWILIO_ACCOUNT_SID)) {
      need(
        'TWILIO_ACCOUNTS_FILE',
        `lists ${String(env.TWILIO_ACCOUNT_SID)} again, which TWILIO_ACCOUNT_SID already configures`,
      );
    }
  }
  if (env.TWILIO_API_KEY_SID && !env.TWILIO_API_KEY_SECRET)
    need('TWILIO_API_KEY_SECRET', 'is required with TWILIO_API_KEY_SID');
  if (env.TWILIO_API_KEY_SECRET && !env.TWILIO_API_KEY_SID)
    need('TWILIO_API_KEY_SID', 'is required with TWILIO_API_KEY_SECRET');
};

export interface TwilioAccountSettings {
  accountSid: string;
  /** Every accepted token; the first signs API requests. */
  authTokens: readonly string[];
  apiKey?: { sid: string; secret: string };
}

export interface TwilioSettings {
  baseUrl: string;
  accounts: readonly TwilioAccountSettings[];
}

export function twilioSettings(env: TwilioVars): TwilioSettings {
  const accounts: TwilioAccountSettings[] = [];
  if (env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN) {
    const account: TwilioAccountSettings = {
      accountSid: env.TWILIO_ACCOUNT_SID,
      authTokens: env.TWILIO_AUTH_TOKEN,
    };
    if (env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET) {
      account.apiKey = { sid: env.TWILIO_API_KEY_SID, secret: env.TWILIO_API_KEY_SECRET };
    }
    accounts.push(account);
  }
  accounts.push(...(env.TWILIO_ACCOUNTS_FILE ?? []));
  return { baseUrl: env.TWILIO_API_BASE_URL.replace(/\/+$/, ''), accounts };
}

/** The accounts file: a list of `{ accountSid, authToken, apiKeySid?, apiKeySecret? }`, JSON or YAML. */
const AccountsFile = z
  .array(
    z
      .object({
        accountSid: AccountSid,
        authToken: authTokens,
        apiKeySid: ApiKeySid.optional(),
        apiKeySecret: z.string().min(16, 'is too short for an API key secret').optional(),
      })
      .strict()
      .refine((entry) => Boolean(entry.apiKeySid) === Boolean(entry.apiKeySecret), {
        message: 'apiKeySid and apiKeySecret go together',
      }),
  )
  .min(1, 'lists no account')
  .refine((entries) => new Set(entries.map((e) => e.accountSid)).size === entries.length, {
    message: 'lists an account twice',
  });

export function readAccountsFile(path: string): { accounts: TwilioAccountSettings[]; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return {
      accounts: [],
      problems: [`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`],
    };
  }
  let data: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both. Every value here is a string, and the failsafe
    // schema keeps it one: an all-digit token would otherwise come back as a number.
    data = parseYaml(text, { schema: 'failsafe' });
  } catch (error) {
    return {
      accounts: [],
      problems: [`${path} is neither JSON nor YAML: ${(error as Error).message.split('\n')[0]}`],
    };
  }
  const parsed = AccountsFile.safeParse(data);
  if (!parsed.success) {
    // Paths only, never values: the file holds secrets.
    return {
      accounts: [],
      problems: parsed.error.issues.map(
        (issue) =>
          `${path}${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`,
      ),
    };
  }
  return {
    accounts: parsed.data.map((entry) => ({
      accountSid: entry.accountSid,
      authTokens: entry.authToken,
      ...(entry.apiKeySid && entry.apiKeySecret
        ? { apiKey: { sid: entry.apiKeySid, secret: entry.apiKeySecret } }
        : {}),
    })),
    problems: [],
  };
}

/** How archive jobs are retried; set where jobs are added (ingest, backfill) and read by the worker. */
export const retryEnv = {
  JOB_ATTEMPTS: positiveInt(10),
  /** Base of the exponential backoff (with jitter) between attempts, in milliseconds. */
  JOB_BACKOFF_MS: positiveInt(5_000),
  /** The longest wait between two attempts, in milliseconds: the backoff doubles up to it. */
  JOB_BACKOFF_MAX_MS: positiveInt(300_000),
  /** How long a completed job is kept, during which a duplicate callback for its recording is ignored. */
  KEEP_COMPLETED_SECONDS: positiveInt(7 * 24 * 3600),
};

export function retryPolicy(env: {
  JOB_ATTEMPTS: number;
  JOB_BACKOFF_MS: number;
  JOB_BACKOFF_MAX_MS: number;
  KEEP_COMPLETED_SECONDS: number;
}) {
  return {
    attempts: env.JOB_ATTEMPTS,
    backoffMs: env.JOB_BACKOFF_MS,
    backoffMaxMs: env.JOB_BACKOFF_MAX_MS,
    keepCompletedSeconds: env.KEEP_COMPLETED_SECONDS,
  };
}

export const storageEnv = {
  S3_ENDPOINT: httpUrl.optional(),
  S3_ACCESS_KEY: z.string().optional(),
  S3_SECRET_KEY: z.string().optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .default('recordings'),
  S3_REGION: z.string().min(1).default('us-east-1'),
  STORAGE_DIR: z.string().min(1).default('./data/recordings'),
};

type StorageVars = {
  S3_ENDPOINT?: string | undefined;
  S3_ACCESS_KEY?: string | undefined;
  S3_SECRET_KEY?: string | undefined;
  S3_BUCKET: string;
  S3_REGION: string;
  STORAGE_DIR: string;
};

export const checkStorageEnv: EnvCheck = (env, ctx) => {
  if (!env.S3_ENDPOINT) return;
  for (const name of ['S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const) {
    if (!env[name])
      ctx.addIssue({ code: 'custom', path: [name], message: 'is required when S3_ENDPOINT is set' });
  }
};

export type StorageSettings =
  | { driver: 's3'; endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string }
  | { driver: 'folder'; dir: string };

export function storageSettings(env: StorageVars): StorageSettings {
  if (env.S3_ENDPOINT && env.S3_ACCESS_KEY && env.S3_SECRET_KEY) {
    return {
      driver: 's3',
      endpoint: env.S3_ENDPOINT,
      accessKey: env.S3_ACCESS_KEY,
      secretKey: env.S3_SECRET_KEY,
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
    };
  }
  return { driver: 'folder', dir: env.STORAGE_DIR };
}

export type EnvCheck = (env: Record<string, unknown>, ctx: z.RefinementCtx) => void;

/**
 * An app's environment schema: its variables plus the checks that relate several of them. The checks run
 * even when some variable already failed, so that one start-up lists every problem there is.
 */
export function envSchema<Shape extends z.ZodRawShape>(shape: Shape, ...checks: EnvCheck[]) {
  return z.object(shape).superRefine(
    (env, ctx) => {
      for (const check of checks) check(env as Record<string, unknown>, ctx);
    },
    { when: () => true },
  );
}
