import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The kinds of environment variable the apps take, each with its failure in plain words: the variable's name
 * is put in front by `parseEnv`, so a message reads "INGEST_PORT: must be a port number from 0 to 65535
 * (got 70000)". Values are shown back only for variables that are not secrets, and URLs without passwords.
 */

/** What a variable is besides its schema: read by `envSchema`, acted on by `parseEnv`. */
export interface VariableTags {
  /** Never shown in a message; may come from `<NAME>_FILE`. */
  secret?: boolean;
  /** May come from `<NAME>_FILE` (Docker secrets). */
  readableFromFile?: boolean;
  /** A well-formed value that is nevertheless a placeholder: returns why, or undefined. */
  placeholder?: PlaceholderRule;
}

export type PlaceholderRule = (value: unknown) => string | undefined;

const tags = new WeakMap<z.core.$ZodType, VariableTags>();

function tag<T extends z.core.$ZodType>(schema: T, more: VariableTags): T {
  tags.set(schema, { ...tags.get(schema), ...more });
  return schema;
}

export function variableTags(schema: z.core.$ZodType): VariableTags {
  return tags.get(schema) ?? {};
}

/** A secret: never echoed, and readable from `<NAME>_FILE`. Tag the variable's final schema (after `.optional()`). */
export const secret = <T extends z.ZodType>(schema: T, placeholder?: PlaceholderRule): T =>
  tag(schema, { secret: true, readableFromFile: true, ...(placeholder ? { placeholder } : {}) });

/** Not a secret as a whole, but it may carry one (a password in a URL): readable from `<NAME>_FILE`. */
export const readableFromFile = <T extends z.ZodType>(schema: T): T =>
  tag(schema, { readableFromFile: true });

/** Refuses a well-formed placeholder, unless the caller of `parseEnv` explicitly allows placeholders. */
export const refusePlaceholder = <T extends z.ZodType>(schema: T, placeholder: PlaceholderRule): T =>
  tag(schema, { placeholder });

/** A value as a message shows it: short, and quoted when spaces or control characters would hide its edges. */
export function shown(value: string): string {
  const short = value.length > 60 ? `${value.slice(0, 57)}…` : value;
  return short === '' || /[\s\p{C}"]/u.test(short) ? JSON.stringify(short) : short;
}

const got = (value: string) => ` (got ${shown(value)})`;

/** Words for a list: "a", "a or b", "a, b or c". */
export function oneOf(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

const ordinals = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth'];
export const ordinal = (index: number): string => ordinals[index] ?? `${index + 1}th`;

function refuse(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

function digits(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export const port = (fallback: number) =>
  z
    .string()
    .transform((text, ctx) => {
      const value = digits(text.trim());
      return value !== undefined && value <= 65535
        ? value
        : refuse(ctx, `must be a port number from 0 to 65535${got(text)}`);
    })
    .default(fallback);

/** A whole number of at least `min`; `unit` names what it counts, for the message. */
const wholeNumber = (min: 0 | 1, fallback: number, unit?: string) =>
  z
    .string()
    .transform((text, ctx) => {
      const value = digits(text.trim());
      const what = unit ? `a whole number of ${unit}` : 'a whole number';
      return value !== undefined && value >= min
        ? value
        : refuse(ctx, `must be ${what}, ${min} or more${got(text)}`);
    })
    .default(fallback);

export const positiveInt = (fallback: number, unit?: string) => wholeNumber(1, fallback, unit);
export const nonNegativeInt = (fallback: number, unit?: string) => wholeNumber(0, fallback, unit);

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `15m`, `48h`, `90s` or `0`, in milliseconds. */
export const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((raw, ctx) => {
      const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
      const [, amount, unit] = match ?? [];
      if (!match || (unit === undefined && amount !== '0') || digits(amount ?? '') === undefined) {
        return refuse(ctx, `must be a duration such as 90s, 15m, 48h or 0${got(raw)}`);
      }
      return Number(amount) * (durationUnits[unit ?? 'ms'] ?? 0);
    });

const truthy = ['true', '1', 'yes', 'on'];
const falsy = ['false', '0', 'no', 'off'];

export const booleanFlag = (fallback: boolean) =>
  z
    .string()
    .transform((raw, ctx) => {
      const text = raw.trim().toLowerCase();
      if (truthy.includes(text)) return true;
      if (falsy.includes(text)) return false;
      return refuse(ctx, `must be true or false${got(raw)}`);
    })
    .default(fallback);

/** One of a few words, e.g. a log level. */
export const choice = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  z
    .string()
    .default(fallback)
    .transform((raw, ctx): T[number] => {
      const text = raw.trim();
      return (values as readonly string[]).includes(text)
        ? (text as T[number])
        : refuse(ctx, `must be ${oneOf(values)}${got(raw)}`);
    });

/** Text that must match `pattern`; `rule` says in words what it must be ("must be …"). */
export const matching = (pattern: RegExp, rule: string) =>
  z.string().transform((raw, ctx) => (pattern.test(raw) ? raw : refuse(ctx, `${rule}${got(raw)}`)));

/** A Twilio SID: two letters and 32 lowercase hex digits. */
export const sid = (prefix: 'AC' | 'SK') =>
  matching(new RegExp(`^${prefix}[0-9a-f]{32}$`), `must be ${prefix} followed by 32 lowercase hex digits`);

/** A secret's text: only its length is checked, and the message never shows it. */
export const secretText = (minLength: number, rule = `must be at least ${minLength} characters`) =>
  z.string().transform((text, ctx) => (text.length >= minLength ? text : refuse(ctx, rule)));

/** A URL password, shown as ***: a URL may carry one (Redis, S3). */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

/**
 * A URL whose scheme is one of `schemes` (the first is the one suggested). A value without a scheme, such
 * as `vault.example.com`, is told which one to add: the most common slip.
 */
export const url = (schemes: readonly [string, ...string[]], missing = 'is required') =>
  z.string({ error: (issue) => (issue.input === undefined ? missing : undefined) }).transform((raw, ctx) => {
    const text = raw.trim();
    const shownText = got(redactUrl(text));
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
    if (scheme === undefined) {
      const looksLikeAHost = /^[a-z0-9.-]+(:\d+)?(\/\S*)?$/i.test(text);
      return refuse(
        ctx,
        looksLikeAHost
          ? `needs a scheme: ${schemes[0]}://${redactUrl(text)}${shownText}`
          : `must be a URL starting with ${oneOf(schemes.map((s) => `${s}://`))}${shownText}`,
      );
    }
    if (!schemes.includes(scheme)) {
      return refuse(ctx, `must start with ${oneOf(schemes.map((s) => `${s}://`))}${shownText}`);
    }
    let hostname = '';
    try {
      hostname = new URL(text).hostname;
    } catch {
      // reported below
    }
    return hostname ? text : refuse(ctx, `is not a valid URL${shownText}`);
  });

const proxyNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Express `trust proxy` for a proxy in front of an app: its addresses and subnets (`loopback`,
 * `10.0.0.0/8`, …), or a hop count when every request comes through it; `false`, the default, trusts none.
 * Clients are throttled per address, so `true` (believe any sender's X-Forwarded-For) is refused. Parsed into
 * the value Express takes.
 */
export const trustProxy = () =>
  z
    .string()
    .trim()
    .default('false')
    .transform((value, ctx) => {
      const setting = trustProxySetting(value);
      if (setting === undefined) {
        ctx.addIssue({
          code: 'custom',
          message:
            value === 'true'
              ? 'true would let every client choose its own address: name the proxy (addresses or a hop count)'
              : `must be false, a hop count, or comma-separated addresses, subnets, loopback, linklocal, uniquelocal (got ${shown(value)})`,
        });
        return z.NEVER;
      }
      return setting;
    });

function trustProxySetting(value: string): false | number | string | undefined {
  if (value === 'false') return false;
  if (value === 'true') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  const valid = entries.every((entry) => {
    if (proxyNames.has(entry)) return true;
    const [address = '', prefix, ...rest] = entry.split('/');
    if (rest.length > 0 || isIP(address) === 0) return false;
    // A prefix length, or an IPv4 netmask (`172.16.0.0/255.240.0.0`), as Express reads them.
    return prefix === undefined || /^\d{1,3}$/.test(prefix) || isIP(prefix) === 4;
  });
  return valid ? entries.join(',') : undefined;
}
