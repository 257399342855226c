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
  booleanFlag,
  choice,
  matching,
  type PlaceholderRule,
  positiveInt,
  readableFromFile,
  refusePlaceholder,
  secret,
  secretText,
  shown,
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

/**
 * Where the queues live, in one of three modes:
 * - single (the default): one server at REDIS_URL, which carries its own credentials and TLS
 *   (`redis://user:password@host:6379`, `rediss://` for TLS);
 * - cluster: REDIS_CLUSTER_NODES, some nodes of a Redis Cluster (the client discovers the others);
 * - sentinel: REDIS_SENTINELS and REDIS_SENTINEL_NAME, the sentinels and the name they monitor the primary
 *   under (the client asks them for the current primary, again after a failover).
 * A URL names one server, so REDIS_URL is not used in the cluster and sentinel modes: there, REDIS_USERNAME,
 * REDIS_PASSWORD (or REDIS_PASSWORD_FILE) and REDIS_TLS apply to every server alike, as a cluster's nodes
 * and a primary's replicas share them; sentinels with a password of their own (Sentinel's `requirepass`)
 * take REDIS_SENTINEL_PASSWORD. These are refused next to REDIS_URL alone rather than silently ignored.
 */
export const redisEnv = {
  // A password may be part of the URL, hence REDIS_URL_FILE.
  REDIS_URL: readableFromFile(url(['redis', 'rediss']).default('redis://127.0.0.1:6379')),
  // Braces are allowed so that a Redis Cluster deployment can use a hash tag such as {rv}.
  QUEUE_PREFIX: matching(/^[A-Za-z0-9_{}-]{1,64}$/, 'must be 1 to 64 letters, digits, _, -, { or }').default(
    'rv',
  ),
};

/** The cluster and sentinel modes' variables, for the schemas of apps that connect in every mode (with checkRedisEnv). */
export const redisTopologyEnv = {
  REDIS_CLUSTER_NODES: redisAddresses().optional(),
  REDIS_SENTINELS: redisAddresses().optional(),
  REDIS_SENTINEL_NAME: matching(
    /^\S{1,128}$/,
    'must be the name the sentinels monitor, without spaces',
  ).optional(),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: secret(z.string().optional()),
  REDIS_SENTINEL_PASSWORD: secret(z.string().optional()),
  REDIS_TLS: booleanFlag(false),
};

export interface RedisAddress {
  host: string;
  port: number;
}

/** Comma-separated `host:port` pairs (an IPv6 address in brackets); the port is required. */
function redisAddresses() {
  return z.string().transform((raw, ctx) => {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    const bad = items.find((item) => redisAddress(item) === undefined);
    if (items.length === 0 || bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be comma-separated host:port pairs such as redis-1:6379,redis-2:6379 (got ${shown(bad ?? raw)})`,
      });
      return z.NEVER;
    }
    return items.map((item) => redisAddress(item) as RedisAddress);
  });
}

function redisAddress(text: string): RedisAddress | undefined {
  const [, host = '', digits = ''] = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(text) ?? [];
  const port = Number(digits);
  return host && port >= 1 && port <= 65535 ? { host: host.replace(/^\[(.*)\]$/, '$1'), port } : undefined;
}

/**
 * Whether every key under `prefix` hashes to one cluster slot: Redis hashes only the text between the
 * first `{` and the next `}` when that text is not empty, and the prefix comes first in every key.
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open !== -1 && prefix.indexOf('}', open + 1) > open + 1;
}

type RedisVars = {
  REDIS_URL: string;
  QUEUE_PREFIX: string;
  REDIS_CLUSTER_NODES?: readonly RedisAddress[] | undefined;
  REDIS_SENTINELS?: readonly RedisAddress[] | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_TLS?: boolean | undefined;
};

const onlyWithSeveralServers = 'is only used with REDIS_CLUSTER_NODES or REDIS_SENTINELS';

/** What is wrong with the Redis variables taken together, by variable. */
function redisProblems(env: Record<string, unknown>): [name: string, message: string][] {
  const problems: [string, string][] = [];
  const cluster = env.REDIS_CLUSTER_NODES !== undefined;
  const sentinel = env.REDIS_SENTINELS !== undefined;
  if (cluster && sentinel) {
    problems.push([
      'REDIS_SENTINELS',
      'must not be set with REDIS_CLUSTER_NODES: Redis is either a cluster or a primary watched by sentinels',
    ]);
  }
  if (sentinel && env.REDIS_SENTINEL_NAME === undefined) {
    problems.push([
      'REDIS_SENTINEL_NAME',
      'is required with REDIS_SENTINELS: the name they monitor the primary under',
    ]);
  }
  for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD']) {
    if (!sentinel && env[name] !== undefined) problems.push([name, 'is only used with REDIS_SENTINELS']);
  }
  if (!cluster && !sentinel) {
    for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD']) {
      if (env[name] !== undefined) {
        problems.push([
          name,
          `${onlyWithSeveralServers}: put it in REDIS_URL (redis://user:password@host:6379)`,
        ]);
      }
    }
    if (env.REDIS_TLS === true)
      problems.push(['REDIS_TLS', `${onlyWithSeveralServers}: use rediss:// in REDIS_URL`]);
  }
  // BullMQ's scripts read and write several keys of a queue at once, which Redis Cluster refuses (CROSSSLOT)
  // unless they live in one slot: only a hash tag in the prefix puts them there.
  if (cluster && typeof env.QUEUE_PREFIX === 'string' && !hasHashTag(env.QUEUE_PREFIX)) {
    problems.push([
      'QUEUE_PREFIX',
      `must contain a hash tag such as {rv} with REDIS_CLUSTER_NODES (got ${shown(env.QUEUE_PREFIX)}): BullMQ's scripts each use several keys of a queue, which Redis Cluster allows only when they are in one slot, and a hash tag (text between { and }) puts every key of the vault in the slot of that text`,
    ]);
  }
  return problems;
}

/** Cluster or sentinel mode, with what comes with it; add it to the checks of every schema with redisEnv. */
export const checkRedisEnv: EnvCheck = (env, ctx) => {
  for (const [name, message] of redisProblems(env)) ctx.addIssue({ code: 'custom', path: [name], message });
};

interface RedisCommonSettings {
  prefix: string;
  /**
   * REDIS_URL. Where the queues are in single mode only; kept in every mode so that code written for one
   * server still compiles, until it builds its connection from the whole settings.
   */
  url: string;
}

/** Credentials and TLS of every server in the cluster and sentinel modes (REDIS_URL carries its own). */
export interface RedisAuth {
  username?: string | undefined;
  password?: string | undefined;
  tls: boolean;
}

export type RedisSettings =
  | (RedisCommonSettings & { mode: 'single' })
  | (RedisCommonSettings & { mode: 'cluster'; nodes: readonly RedisAddress[]; auth: RedisAuth })
  | (RedisCommonSettings & {
      mode: 'sentinel';
      sentinels: readonly RedisAddress[];
      /** The name the sentinels monitor the primary under. */
      name: string;
      auth: RedisAuth;
      sentinelPassword?: string | undefined;
    });

/**
 * The settings of the mode the variables choose. Refuses variables that do not go together, in case a schema
 * left out `checkRedisEnv` (which reports them with every other problem).
 */
export function redisSettings(env: RedisVars): RedisSettings {
  const problems = redisProblems(env);
  if (problems.length > 0) {
    throw new Error(
      `invalid Redis configuration: ${problems.map(([name, message]) => `${name}: ${message}`).join('; ')}`,
    );
  }
  const common = { url: env.REDIS_URL, prefix: env.QUEUE_PREFIX };
  const auth = { username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD, tls: env.REDIS_TLS ?? false };
  if (env.REDIS_CLUSTER_NODES) return { ...common, mode: 'cluster', nodes: env.REDIS_CLUSTER_NODES, auth };
  if (env.REDIS_SENTINELS && env.REDIS_SENTINEL_NAME) {
    return {
      ...common,
      mode: 'sentinel',
      sentinels: env.REDIS_SENTINELS,
      name: env.REDIS_SENTINEL_NAME,
      auth,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
    };
  }
  return { ...common, mode: 'single' };
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
