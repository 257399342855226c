import { type ObjectStore, StorageError } from '@recording-vault/storage';
import type { ArchiveIndex, ListedRecording, ListQuery } from './archive-index.ts';

/**
 * The scrub: every stored copy the index records (or a random sample of them) read back whole and hashed
 * again, its size and SHA-256 compared with the record, and its sidecar looked for. Once Twilio's copy is
 * deleted the vault holds the only one, so this is what keeps proving it, long after the archive's own check.
 */

/** What can be wrong with one archived recording. An entry may have two problems (its object and its sidecar). */
export type ScrubProblem =
  /** No object at the entry's key. */
  | { kind: 'missing'; entry: ListedRecording }
  /** An object of another size or digest than the record: `stored` is what storage holds. */
  | { kind: 'corrupt'; entry: ListedRecording; stored: { bytes: number; sha256: string } }
  /** No sidecar (`<key>.json`) beside the object: a rebuild of the index would lose the recording. */
  | { kind: 'no-sidecar'; entry: ListedRecording }
  /** Storage failed otherwise (denied, unavailable, …): not proven either way. */
  | { kind: 'unreadable'; entry: ListedRecording; reason: string };

export type ScrubProblemKind = ScrubProblem['kind'];

export interface ScrubOptions {
  index: ArchiveIndex;
  store: Pick<ObjectStore, 'hash' | 'exists'>;
  /** The accounts whose entries are walked. */
  accounts: readonly string[];
  /** Inclusive bounds on date_created, epoch milliseconds; every entry when not given. */
  range?: { createdFrom: number; createdTo: number } | undefined;
  /** Check a uniform random sample of this many entries of the walk instead of all of them. */
  sample?: number | undefined;
  /** Objects read at once; 4 by default. */
  concurrency?: number | undefined;
  /** Stops the walk and the reads under way; the report then says it is not complete. */
  signal?: AbortSignal | undefined;
  /** Called once per problem, as it is found (not in walk order when concurrency > 1). */
  onProblem?: ((problem: ScrubProblem) => void | Promise<void>) | undefined;
  /** For tests: [0, 1) as Math.random. */
  random?: (() => number) | undefined;
}

export interface ScrubReport {
  /** Entries the walk passed: the same as `checked` unless sampling. */
  walked: number;
  checked: number;
  /** Bytes read back from storage. */
  bytes: number;
  ok: number;
  missing: number;
  corrupt: number;
  noSidecar: number;
  unreadable: number;
  /** False when the signal stopped it before every chosen entry was checked. */
  complete: boolean;
}

export const defaultScrubConcurrency = 4;
const PAGE_SIZE = 500;

/** Every entry of the query, newest first, read from the index a page at a time. */
export async function* listAll(
  index: ArchiveIndex,
  query: Omit<ListQuery, 'pageSize' | 'from' | 'skip'>,
): AsyncGenerator<ListedRecording> {
  let from: ListQuery['from'];
  for (;;) {
    const page = await index.list({ ...query, pageSize: PAGE_SIZE, from });
    yield* page.entries;
    const last = page.entries.at(-1);
    if (!page.more || !last) return;
    from = { direction: 'older', position: last.position };
  }
}

export async function scrubArchive(options: ScrubOptions): Promise<ScrubReport> {
  const { index, store, signal } = options;
  const concurrency = Math.max(1, options.concurrency ?? defaultScrubConcurrency);
  const report: ScrubReport = {
    walked: 0,
    checked: 0,
    bytes: 0,
    ok: 0,
    missing: 0,
    corrupt: 0,
    noSidecar: 0,
    unreadable: 0,
    complete: true,
  };

  async function* walk(): AsyncGenerator<ListedRecording> {
    for (const accountSid of options.accounts) {
      for await (const entry of listAll(index, { accountSid, ...options.range })) {
        if (signal?.aborted) return;
        report.walked++;
        yield entry;
      }
    }
  }

  const check = async (entry: ListedRecording): Promise<void> => {
    const [object, sidecar] = await Promise.all([
      checkObject(store, entry, signal),
      checkSidecar(store, entry),
    ]);
    if (signal?.aborted) return;
    report.checked++;
    report.bytes += object.bytes;
    const problems = [object.problem, sidecar].filter((p): p is ScrubProblem => p !== undefined);
    if (problems.length === 0) report.ok++;
    for (const problem of problems) {
      if (problem.kind === 'no-sidecar') report.noSidecar++;
      else report[problem.kind]++;
      await options.onProblem?.(problem);
    }
  };

  const chosen =
    options.sample === undefined ? walk() : reservoir(walk(), options.sample, options.random ?? Math.random);
  await forEachBounded(await chosen, concurrency, check, signal);
  if (signal?.aborted) report.complete = false;
  return report;
}

async function checkObject(
  store: Pick<ObjectStore, 'hash'>,
  entry: ListedRecording,
  signal: AbortSignal | undefined,
): Promise<{ bytes: number; problem?: ScrubProblem }> {
  try {
    const stored = await store.hash(entry.key, signal ? { signal } : {});
    if (stored.bytes === entry.bytes && stored.sha256 === entry.sha256) return { bytes: stored.bytes };
    return { bytes: stored.bytes, problem: { kind: 'corrupt', entry, stored } };
  } catch (error) {
    if (error instanceof StorageError && error.kind === 'not-found') {
      return { bytes: 0, problem: { kind: 'missing', entry } };
    }
    return { bytes: 0, problem: { kind: 'unreadable', entry, reason: reasonOf(error) } };
  }
}

async function checkSidecar(
  store: Pick<ObjectStore, 'exists'>,
  entry: ListedRecording,
): Promise<ScrubProblem | undefined> {
  try {
    return (await store.exists(entry.sidecarKey)) ? undefined : { kind: 'no-sidecar', entry };
  } catch (error) {
    return { kind: 'unreadable', entry, reason: `sidecar ${entry.sidecarKey}: ${reasonOf(error)}` };
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Algorithm R: `size` entries, each of the walk equally likely, holding no more than `size` in memory. */
async function reservoir<T>(source: AsyncIterable<T>, size: number, random: () => number): Promise<T[]> {
  const kept: T[] = [];
  let seen = 0;
  for await (const item of source) {
    seen++;
    if (kept.length < size) kept.push(item);
    else {
      const slot = Math.floor(random() * seen);
      if (slot < size) kept[slot] = item;
    }
  }
  return kept;
}

/** Runs `work` on each item, at most `limit` at once; stops taking items when the signal fires. */
async function forEachBounded<T>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of source) {
    if (signal?.aborted || failure) break;
    const task: Promise<void> = work(item)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => running.delete(task));
    running.add(task);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
}
