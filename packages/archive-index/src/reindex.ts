import type { Readable } from 'node:stream';
import { isStorageNotFound, type ObjectStore } from '@recording-vault/storage';
import type { Cluster, Redis } from 'ioredis';
import { type ArchiveEntry, entryFromSidecar, InvalidSidecarError } from './archive-entry.ts';
import type { IndexKeys } from './index-keys.ts';
import { parseOrderMember } from './index-keys.ts';

/** What a rebuild reads: the keys in storage and the bytes of a few. Any `ObjectStore` is one. */
export type SidecarSource = Pick<ObjectStore, 'list' | 'get'>;

export interface ReindexOptions {
  /** Only this account: its objects are listed and only its entries can be pruned. */
  accountSid?: string;
  /** Sidecars read at once (default 8). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface ReindexProblem {
  key: string;
  reason: string;
}

export interface ReindexReport {
  /** Sidecars found in storage (`<recording key>.json`). */
  sidecars: number;
  /** Entries written from them. */
  indexed: number;
  /** Sidecars that are not archive records of the recording they sit beside: not indexed. */
  invalid: number;
  /** Sidecars storage failed to give: their entries, if any, were kept as they were. */
  unreadable: number;
  /** Accounts the index has entries of but storage no sidecar: their entries were kept, not removed. */
  unlisted: number;
  /** The first problems, for the operator. */
  problems: ReindexProblem[];
  /** Entries whose recording has no valid sidecar in storage any more, removed. */
  removed: number;
  /** False when a sidecar could not be read: entries are then never removed, since one might be its. */
  pruned: boolean;
}

export interface ReindexDeps {
  redis: Redis | Cluster;
  keys: IndexKeys;
  recordArchived(entry: ArchiveEntry): Promise<void>;
  removeIndexedBefore(recordingSid: string, time: number): Promise<boolean>;
}

/** `<recording key>.json` in the worker's layout; transcriptions (`….transcriptions.json`) are not sidecars. */
const SIDECAR_KEY =
  /^AC[0-9a-f]{32}\/\d{4}\/\d{2}\/\d{2}\/(?:CA|CF)[0-9a-f]{32}\/RE[0-9a-f]{32}\.(?:wav|mp3)\.json$/;
const MAX_SIDECAR_BYTES = 1024 * 1024;
const MAX_PROBLEMS = 100;
const PRUNE_BATCH = 500;

/**
 * Rebuilds the index from the sidecars in storage. Every sidecar is read and its entry written again (the
 * same function the worker indexes with, so the entries come out identical); then every entry indexed
 * before the rebuild started that no sidecar rewrote is removed, since storage no longer vouches for it.
 * Entries the worker writes meanwhile carry a later time and stay. Walks storage once and the index by
 * ordered ranges: no SCAN.
 */
export async function reindexFromStorage(
  source: SidecarSource,
  options: ReindexOptions,
  deps: ReindexDeps,
): Promise<ReindexReport> {
  const startedAt = await indexClock(deps);
  const report: ReindexReport = {
    sidecars: 0,
    indexed: 0,
    invalid: 0,
    unreadable: 0,
    unlisted: 0,
    problems: [],
    removed: 0,
    pruned: false,
  };
  const problem = (key: string, reason: string) => {
    if (report.problems.length < MAX_PROBLEMS) report.problems.push({ key, reason });
  };

  /** Accounts storage gave at least one sidecar of. */
  const listed = new Set<string>();
  const keys = source.list(options.accountSid ? `${options.accountSid}/` : undefined)[Symbol.asyncIterator]();
  const work = async () => {
    for (let next = await keys.next(); !next.done; next = await keys.next()) {
      options.signal?.throwIfAborted();
      const key = next.value;
      if (!SIDECAR_KEY.test(key)) continue;
      report.sidecars++;
      let entry: ArchiveEntry;
      try {
        entry = entryFromSidecar(JSON.parse(await readSmall(await source.get(key))));
        if (`${entry.key}.json` !== key) {
          throw new InvalidSidecarError(`it describes ${entry.key}, not the object beside it`);
        }
      } catch (error) {
        // Removed since it was listed: nothing to index, and nothing for the pruning to wait for.
        if (isStorageNotFound(error)) continue;
        const invalid = error instanceof InvalidSidecarError || error instanceof SyntaxError;
        if (invalid) report.invalid++;
        else report.unreadable++;
        problem(key, error instanceof Error ? error.message : String(error));
        continue;
      }
      await deps.recordArchived(entry);
      listed.add(entry.accountSid);
      report.indexed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, work));

  if (report.unreadable > 0) return report;
  const accounts = options.accountSid ? [options.accountSid] : await deps.redis.smembers(deps.keys.accounts);
  for (const accountSid of accounts) {
    // Storage with not one sidecar of an account the index knows is more likely the wrong folder or bucket
    // than an archive emptied by hand: its entries stay, and the operator is told.
    if (!listed.has(accountSid)) {
      const entries = await deps.redis.zcard(deps.keys.account(accountSid));
      if (entries > 0) {
        report.unlisted++;
        problem(
          accountSid,
          `storage holds no sidecar of this account while the index has ${entries} entries: none removed (is this the storage the workers write to?)`,
        );
      }
      continue;
    }
    let low = '-';
    for (;;) {
      options.signal?.throwIfAborted();
      const members = await deps.redis.zrange(
        deps.keys.account(accountSid),
        low,
        '+',
        'BYLEX',
        'LIMIT',
        0,
        PRUNE_BATCH,
      );
      if (members.length === 0) break;
      const sids = members.map((member) => parseOrderMember(member)?.recordingSid);
      const pipeline = deps.redis.pipeline();
      for (const sid of sids) pipeline.hget(deps.keys.recording(sid ?? ''), 't');
      const times = (await pipeline.exec()) ?? [];
      for (const [i, sid] of sids.entries()) {
        const indexedAt = Number(times[i]?.[1] ?? 0);
        if (sid && indexedAt < startedAt && (await deps.removeIndexedBefore(sid, startedAt)))
          report.removed++;
      }
      low = `(${members.at(-1)}`;
      if (members.length < PRUNE_BATCH) break;
    }
  }
  report.pruned = true;
  return report;
}

async function readSmall(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_SIDECAR_BYTES) {
      body.destroy();
      throw new InvalidSidecarError(`larger than ${MAX_SIDECAR_BYTES} bytes: not a sidecar`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The time on the server holding the index, in milliseconds: the entries' times come from its clock (in the
 * write script). A script with an index key runs there; a bare TIME would go to any node of a cluster.
 */
async function indexClock(deps: ReindexDeps): Promise<number> {
  const [seconds, micros] = (await deps.redis.eval("return redis.call('TIME')", 1, deps.keys.accounts)) as [
    string,
    string,
  ];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
