import type { Writable } from 'node:stream';
import {
  type ArchiveIndex,
  createArchiveIndex,
  type IndexedRecording,
  type ReindexProblem,
} from '@recording-vault/archive-index';
import {
  ConfigError,
  type DeepReadonly,
  redisSettings,
  storageSettings,
  twilioSettings,
} from '@recording-vault/config';
import { signLink } from '@recording-vault/recordings-api/links';
import type { RedisConnection } from '@recording-vault/redis';
import { createStore, type ObjectStore, StorageError } from '@recording-vault/storage';
import { archivedRecordings, clock, jsonLine, tabLine, tableFormat } from './archive-listing.ts';
import {
  dayBounds,
  type FindOptions,
  type GetOptions,
  type LinkOptions,
  type ReindexOptions,
} from './archive-options.ts';
import { CliError } from './cli-error.ts';
import type { CliEnv } from './config.ts';
import { connectRedis } from './reachability.ts';
import { writeVerifiedFile } from './verified-file.ts';

/** `vault link`, `get`, `find` and `reindex`: the archive read back through its index. */

type Settings = DeepReadonly<CliEnv>;

export interface Output {
  out: Writable & { isTTY?: boolean };
  err: Writable;
}

/** The archive index in the queues' Redis, over a connection that answered PING. */
export async function openIndex(
  env: Settings,
): Promise<{ index: ArchiveIndex; redis: RedisConnection; close(): void }> {
  const settings = redisSettings(env);
  const { prefix } = settings;
  const redis = await connectRedis(settings);
  return { index: createArchiveIndex({ redis, prefix }), redis, close: () => redis.disconnect() };
}

async function archived(index: ArchiveIndex, recordingSid: string): Promise<IndexedRecording> {
  const entry = await index.lookup(recordingSid);
  if (!entry) {
    throw new CliError(
      `${recordingSid} is not in the archive index: not archived (yet), or the index needs rebuilding (vault reindex)`,
    );
  }
  return entry;
}

/** What `vault link` needs beyond the common settings, every missing one named at once. */
function linkSettings(env: Settings): { publicUrl: string; secret: string } {
  const { RECORDINGS_API_PUBLIC_URL: publicUrl, RECORDINGS_LINK_SECRET: secret } = env;
  const problems = [
    ...(publicUrl
      ? []
      : [
          'RECORDINGS_API_PUBLIC_URL: is required by vault link: where the recordings API is reached, as the API has it',
        ]),
    ...(secret
      ? []
      : [
          'RECORDINGS_LINK_SECRET: is required by vault link: the link secret of the recordings API, which signs links',
        ]),
  ];
  if (!publicUrl || !secret) throw new CliError(new ConfigError(problems).message);
  return { publicUrl, secret };
}

export async function link(
  env: Settings,
  options: LinkOptions,
  io: Output,
  now = Date.now(),
): Promise<number> {
  const { publicUrl, secret } = linkSettings(env);
  const { index, close } = await openIndex(env);
  try {
    const entry = await archived(index, options.recordingSid);
    if (options.format !== undefined && options.format !== entry.format) {
      throw new CliError(
        `${entry.recordingSid} is archived as ${entry.format}, not ${options.format}: the archive plays the bytes it stored (leave out --format, or ask for ${entry.format})`,
      );
    }
    const signed = signLink(
      {
        recordingSid: entry.recordingSid,
        accountSid: entry.accountSid,
        format: entry.format,
        expiresAt: now + options.ttlMs,
      },
      secret,
      publicUrl,
    );
    const channels = entry.channels === 2 ? '2 channels' : '1 channel';
    io.out.write(
      `${entry.recordingSid} of ${entry.accountSid}: ${entry.format}, ${channels}, ${clock(entry.durationSeconds)}; plays until ${signed.expiresAt.toISOString()}\n`,
    );
    io.out.write(`${signed.url}\n`);
    return 0;
  } finally {
    close();
  }
}

export async function get(
  env: Settings,
  options: GetOptions,
  io: Output,
  signal?: AbortSignal,
): Promise<number> {
  const { index, close } = await openIndex(env);
  try {
    const entry = await archived(index, options.recordingSid);
    const store = createStore(storageSettings(env));
    const path = options.out ?? `${entry.recordingSid}.${entry.format}`;
    let outcome: Awaited<ReturnType<typeof writeVerifiedFile>>;
    try {
      outcome = await writeVerifiedFile(await store.get(entry.key), path, entry, signal);
    } catch (error) {
      if (signal?.aborted) throw new CliError(`interrupted: nothing written to ${path}`);
      // The file system's own errors name the temporary file: the operator asked for `path`.
      const code = (error as NodeJS.ErrnoException).syscall
        ? (error as NodeJS.ErrnoException).code
        : undefined;
      if (code) throw new CliError(`cannot write ${path} (${code}): nothing written`);
      throw storageProblem(error, store, entry) ?? error;
    }
    if (!outcome.matched) {
      throw new CliError(
        `the stored copy of ${entry.recordingSid} is not what the archive recorded: storage holds ${outcome.bytes} bytes, SHA-256 ${outcome.sha256} at ${entry.key}; the archive index records ${entry.bytes} bytes, SHA-256 ${entry.sha256}. Nothing was written to ${path}`,
      );
    }
    io.out.write(
      `${path}: ${entry.recordingSid} (${entry.format}${entry.encrypted ? ', encrypted' : ''}), ${entry.bytes} bytes, SHA-256 ${entry.sha256}, as the archive recorded\n`,
    );
    return 0;
  } finally {
    close();
  }
}

/** A storage failure in words that name the store and the object, or undefined for any other error. */
function storageProblem(error: unknown, store: ObjectStore, entry: IndexedRecording): CliError | undefined {
  if (!(error instanceof StorageError)) return undefined;
  if (error.kind === 'not-found') {
    return new CliError(
      `${entry.recordingSid} is in the archive index, but ${store.location} holds no object at ${entry.key} (vault reindex drops entries storage no longer holds)`,
    );
  }
  return new CliError(`cannot read ${entry.key} from ${store.location}: ${error.message}`);
}

export async function find(env: Settings, options: FindOptions, io: Output): Promise<number> {
  const accounts =
    options.accounts.length > 0 ? options.accounts : twilioSettings(env).accounts.map((a) => a.accountSid);
  const terminal = io.out.isTTY === true && !options.json;
  const table = tableFormat(accounts.length > 1);
  const { index, close } = await openIndex(env);
  let found = 0;
  try {
    for (const accountSid of accounts) {
      const query =
        options.by === 'call'
          ? { accountSid, callSid: options.callSid }
          : { accountSid, ...dayBounds(options.from, options.to) };
      for await (const recording of archivedRecordings(index, query)) {
        if (terminal && found === 0) await writeLine(io.out, table.header);
        found++;
        await writeLine(
          io.out,
          options.json ? jsonLine(recording) : terminal ? table.row(recording) : tabLine(recording),
        );
      }
    }
  } finally {
    close();
  }
  if (terminal) {
    const what =
      options.by === 'call' ? `of call ${options.callSid}` : `from ${options.from} to ${options.to}`;
    await writeLine(
      io.out,
      found === 0 ? `no archived recording ${what}` : `${found} archived recording(s) ${what}`,
    );
  }
  return 0;
}

export async function reindex(env: Settings, options: ReindexOptions, io: Output): Promise<number> {
  const store = createStore(storageSettings(env));
  const { index, close } = await openIndex(env);
  const total = { sidecars: 0, indexed: 0, invalid: 0, unreadable: 0, unlisted: 0, removed: 0, pruned: true };
  const problems: ReindexProblem[] = [];
  try {
    // One rebuild per account named, or one of everything storage holds.
    for (const accountSid of options.accounts.length > 0 ? options.accounts : [undefined]) {
      io.out.write(
        `rebuilding the archive index of ${accountSid ?? 'every account'} from ${store.location}\n`,
      );
      let report: Awaited<ReturnType<ArchiveIndex['reindex']>>;
      try {
        report = await index.reindex(store, accountSid ? { accountSid } : {});
      } catch (error) {
        if (error instanceof StorageError) {
          throw new CliError(`cannot read the archive at ${store.location}: ${error.message}`);
        }
        throw error;
      }
      for (const name of ['sidecars', 'indexed', 'invalid', 'unreadable', 'unlisted', 'removed'] as const) {
        total[name] += report[name];
      }
      total.pruned &&= report.pruned;
      problems.push(...report.problems);
    }
  } finally {
    close();
  }
  const failed = total.invalid + total.unreadable + total.unlisted;
  io.out.write(
    `reindex: ${total.sidecars} sidecars read, ${total.indexed} entries written, ${total.removed} removed, ${failed} problems (${total.invalid} not an archive record, ${total.unreadable} unreadable, ${total.unlisted} accounts with no sidecar in storage)\n`,
  );
  for (const problem of problems) io.err.write(`vault: ${problem.key}: ${problem.reason}\n`);
  if (failed > problems.length) io.err.write(`vault: and ${failed - problems.length} more problems\n`);
  if (!total.pruned) {
    io.err.write(
      'vault: no entry was removed, since some sidecars could not be read: run vault reindex again once storage answers\n',
    );
  }
  return failed > 0 ? 1 : 0;
}

/** One line, waiting when the reader is slower than the index (a pipe into `less`, say). */
export async function writeLine(out: Writable, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await new Promise((resolve) => out.once('drain', resolve));
}
