import { z } from 'zod';
import {
  apiKeySecret,
  authTokenList,
  type ListedAccount,
  placeholderAccounts,
  readAccountsFile,
  type TwilioAccountSettings,
} from './accounts-file.ts';
import { allZeroSid, allZeroToken, envExamplePlaceholder } from './placeholders.ts';
import { edgePattern, regionalApiOrigin, type TwilioRegion, twilioRegions } from './twilio-regions.ts';
import {
  choice,
  matching,
  type PlaceholderRule,
  positiveInt,
  readableFromFile,
  refusePlaceholder,
  secret,
  secretText,
  sid,
  url,
  variableTags,
} from './variables.ts';

/**
 * Variables shared by several apps, as zod shapes to spread into each app's own schema, and the functions
 * that turn parsed variables into the typed settings the packages take. Names are a contract with operators.
 */

/** Protects the `/metrics` endpoints of the ingest API and the worker. */
export const metricsEnv = {
  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`; unset leaves it open. */
  METRICS_TOKEN: secret(secretText(16, 'must be at least 16 characters when set').optional()),
};

export const logEnv = {
  LOG_LEVEL: choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
};

export const redisEnv = {
  // A password may be part of the URL, hence REDIS_URL_FILE.
  REDIS_URL: readableFromFile(url(['redis', 'rediss']).default('redis://127.0.0.1:6379')),
  // Braces are allowed so that a Redis Cluster deployment can use a hash tag such as {rv}.
  QUEUE_PREFIX: matching(/^[A-Za-z0-9_{}-]{1,64}$/, 'must be 1 to 64 letters, digits, _, -, { or }').default(
    'rv',
  ),
};

export interface RedisSettings {
  url: string;
  prefix: string;
}

export function redisSettings(env: { REDIS_URL: string; QUEUE_PREFIX: string }): RedisSettings {
  return { url: env.REDIS_URL, prefix: env.QUEUE_PREFIX };
}

export const twilioEnv = {
  TWILIO_ACCOUNT_SID: refusePlaceholder(
    sid('AC').optional(),
    allZeroSid('your account SID from the Twilio Console'),
  ),
  // Several comma-separated tokens are accepted during an auth-token rotation; the first is used for API calls.
  TWILIO_AUTH_TOKEN: secret(authTokenList.optional(), allZeroToken),
  TWILIO_API_KEY_SID: refusePlaceholder(
    sid('SK').optional(),
    allZeroSid("your API key's SID, or leave it empty"),
  ),
  TWILIO_API_KEY_SECRET: secret(apiKeySecret.optional()),
  /** More accounts (subaccounts or unrelated ones), from a JSON or YAML file. */
  TWILIO_ACCOUNTS_FILE: refusePlaceholder(
    z
      .string()
      .transform((path, ctx) => {
        const result = readAccountsFile(path);
        for (const problem of result.problems) ctx.addIssue({ code: 'custom', message: problem });
        return result.accounts;
      })
      .optional(),
    placeholderAccounts,
  ),
  /** Where the single account's data lives (not TWILIO_REGION, which twilio-node reads by itself). */
  TWILIO_ACCOUNT_REGION: z
    .enum(twilioRegions, { error: `must be a Twilio region: ${twilioRegions.join(', ')}` })
    .default('us1'),
  TWILIO_ACCOUNT_EDGE: z
    .string()
    .regex(edgePattern, 'must be a Twilio edge name such as dublin or sydney')
    .optional(),
  /** Overrides every account's API origin (an emulator in tests and demos); unset, each uses its region's. */
  TWILIO_API_BASE_URL: url(['https', 'http']).optional(),
};

type TwilioVars = {
  TWILIO_ACCOUNT_SID?: string | undefined;
  TWILIO_AUTH_TOKEN?: readonly string[] | undefined;
  TWILIO_API_KEY_SID?: string | undefined;
  TWILIO_API_KEY_SECRET?: string | undefined;
  TWILIO_ACCOUNTS_FILE?: readonly ListedAccount[] | undefined;
  TWILIO_ACCOUNT_REGION: TwilioRegion;
  TWILIO_ACCOUNT_EDGE?: string | undefined;
  TWILIO_API_BASE_URL?: string | undefined;
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
    const listed = env.TWILIO_ACCOUNTS_FILE as readonly ListedAccount[];
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

export interface TwilioSettings {
  /** Each with its resolved API origin: every Twilio request of an account goes there. */
  accounts: readonly TwilioAccountSettings[];
}

export function twilioSettings(env: TwilioVars): TwilioSettings {
  const override = env.TWILIO_API_BASE_URL?.replace(/\/+$/, '');
  const listed: ListedAccount[] = [];
  if (env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN) {
    listed.push({
      accountSid: env.TWILIO_ACCOUNT_SID,
      authTokens: env.TWILIO_AUTH_TOKEN,
      region: env.TWILIO_ACCOUNT_REGION,
      ...(env.TWILIO_ACCOUNT_EDGE ? { edge: env.TWILIO_ACCOUNT_EDGE } : {}),
      ...(env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET
        ? { apiKey: { sid: env.TWILIO_API_KEY_SID, secret: env.TWILIO_API_KEY_SECRET } }
        : {}),
    });
  }
  listed.push(...(env.TWILIO_ACCOUNTS_FILE ?? []));
  return {
    accounts: listed.map(({ apiBaseUrl, ...account }) => ({
      ...account,
      apiOrigin: apiBaseUrl ?? override ?? regionalApiOrigin(account.region, account.edge),
    })),
  };
}

/** How archive jobs are retried; set where jobs are added (ingest, backfill) and read by the worker. */
export const retryEnv = {
  JOB_ATTEMPTS: positiveInt(10),
  /** Base of the exponential backoff (with jitter) between attempts, in milliseconds. */
  JOB_BACKOFF_MS: positiveInt(5_000, 'milliseconds'),
  /** The longest wait between two attempts, in milliseconds: the backoff doubles up to it. */
  JOB_BACKOFF_MAX_MS: positiveInt(300_000, 'milliseconds'),
  /** How long a completed job is kept, during which a duplicate callback for its recording is ignored. */
  KEEP_COMPLETED_SECONDS: positiveInt(7 * 24 * 3600, 'seconds'),
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
  S3_ENDPOINT: url(['https', 'http']).optional(),
  S3_ACCESS_KEY: secret(z.string().optional()),
  S3_SECRET_KEY: secret(
    z.string().optional(),
    envExamplePlaceholder('S3_SECRET_KEY', 'choose a secret of your own'),
  ),
  S3_BUCKET: matching(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
  ).default('recordings'),
  S3_REGION: z.string().default('us-east-1'),
  STORAGE_DIR: z.string().default('./data/recordings'),
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

/** What `parseEnv` needs to know of a schema made by `envSchema`, besides the schema itself. */
export interface EnvSpec {
  /** Every variable of the schema. */
  variables: readonly string[];
  /** Variables that may come from `<NAME>_FILE`. */
  readableFromFile: readonly string[];
  /** Variables whose values are never shown. */
  secrets: readonly string[];
  /** The same schema without the placeholder checks: for the demo and the tests, on explicit request. */
  allowingPlaceholders: z.ZodType;
}

const specs = new WeakMap<z.ZodType, EnvSpec>();

export function envSpecOf(schema: z.ZodType): EnvSpec | undefined {
  return specs.get(schema);
}

/**
 * An app's environment schema: its variables plus the checks that relate several of them, and a refusal of
 * the placeholders its variables declare. The checks run even when some variable already failed, so that
 * one start-up lists every problem there is.
 */
export function envSchema<Shape extends z.ZodRawShape>(shape: Shape, ...checks: EnvCheck[]) {
  const entries = Object.entries(shape).map(([name, schema]) => [name, variableTags(schema)] as const);
  const placeholders = entries.flatMap(([name, tags]) =>
    tags.placeholder ? [[name, tags.placeholder] as [string, PlaceholderRule]] : [],
  );
  const refusePlaceholders: EnvCheck = (env, ctx) => {
    for (const [name, isPlaceholder] of placeholders) {
      const problem = env[name] === undefined ? undefined : isPlaceholder(env[name]);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  };
  const build = (all: EnvCheck[]) =>
    z.object(shape).superRefine(
      (env, ctx) => {
        for (const check of all) check(env as Record<string, unknown>, ctx);
      },
      { when: () => true },
    );
  const schema = build([...checks, refusePlaceholders]);
  specs.set(schema, {
    variables: entries.map(([name]) => name),
    readableFromFile: entries.filter(([, tags]) => tags.readableFromFile).map(([name]) => name),
    secrets: entries.filter(([, tags]) => tags.secret).map(([name]) => name),
    allowingPlaceholders: build(checks),
  });
  return schema;
}
