import type { Cluster, Redis } from 'ioredis';
import { type ArchiveEntry, type IndexedRecording, withSidecarKey } from './archive-entry.ts';
import { assertEntry, decodeEntry, encodeEntry } from './entry-fields.ts';
import {
  fromDateBound,
  type IndexKeys,
  indexKeys,
  orderMember,
  parseOrderMember,
  toDateBound,
} from './index-keys.ts';
import { PUT_SCRIPT, REMOVE_SCRIPT } from './index-scripts.ts';
import {
  type ReindexOptions,
  type ReindexReport,
  reindexFromStorage,
  type SidecarSource,
} from './reindex.ts';

export interface ArchiveIndexDeps {
  /**
   * The queues' Redis, one server or a cluster. The worker passes its waiting connection, the API its
   * fail-fast one.
   */
  redis: Redis | Cluster;
  /** QUEUE_PREFIX: the index lives under `<prefix>:index:`, in the queues' hash tag when they have one. */
  prefix: string;
}

export interface ListQuery {
  accountSid: string;
  callSid?: string | undefined;
  conferenceSid?: string | undefined;
  /** Inclusive bounds on date_created, epoch milliseconds. */
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  /** 1 to 1000. */
  pageSize: number;
  /**
   * Where to continue: the entries `older` than a position (the next page) or `newer` (the previous page).
   * A position is an entry's `position` from an earlier page.
   */
  from?: { direction: 'older' | 'newer'; position: string } | undefined;
  /** Matching entries to pass over first (Twilio's `Page` without a token); 0 unless set. */
  skip?: number | undefined;
}

export interface ListedRecording extends IndexedRecording {
  /** Its place in the order, for continuing a listing after (or before) it. Opaque. */
  readonly position: string;
}

export interface ListResult {
  /** Newest first. */
  entries: ListedRecording[];
  /** Whether more entries match beyond these, in the direction asked (older, or newer for `newer`). */
  more: boolean;
}

export interface ArchiveIndex {
  /**
   * Records (or updates) a recording's entry: atomic, and idempotent (the same entry twice leaves the same
   * state). The worker calls this after the sidecar is written and before the delete at Twilio.
   */
  recordArchived(entry: ArchiveEntry): Promise<void>;
  /** Removes a recording's entry; false when there was none. */
  remove(recordingSid: string): Promise<boolean>;
  lookup(recordingSid: string): Promise<IndexedRecording | undefined>;
  /** One page of an account's recordings, newest first, by ordered range reads only. */
  list(query: ListQuery): Promise<ListResult>;
  /** Rebuilds the entries from the sidecars in storage, the source of truth (see `reindexFromStorage`). */
  reindex(source: SidecarSource, options?: ReindexOptions): Promise<ReindexReport>;
  readonly keys: IndexKeys;
}

type ScriptCall = (numberOfKeys: number, ...keysAndArgs: string[]) => Promise<number>;

const RECORDING_SID = /^RE[0-9a-f]{32}$/;
const MAX_PAGE_SIZE = 1000;
// Optimistic writes retry when another writer changed the same entry in between; a few tries are plenty.
const MAX_TRIES = 10;

export function createArchiveIndex(deps: ArchiveIndexDeps): ArchiveIndex {
  const { redis } = deps;
  const keys = indexKeys(deps.prefix);
  redis.defineCommand('rvArchiveIndexPut', { lua: PUT_SCRIPT });
  redis.defineCommand('rvArchiveIndexRemove', { lua: REMOVE_SCRIPT });
  const scripts = redis as unknown as Record<'rvArchiveIndexPut' | 'rvArchiveIndexRemove', ScriptCall>;

  /** The sorted sets an entry is listed in. */
  const setsOf = (entry: { accountSid: string; callSid: string | null; conferenceSid: string | null }) => [
    keys.account(entry.accountSid),
    ...(entry.callSid ? [keys.call(entry.callSid)] : []),
    ...(entry.conferenceSid ? [keys.conference(entry.conferenceSid)] : []),
  ];

  /** The entry as stored now: its fingerprint for the scripts, and where it is listed. */
  const current = async (recordingSid: string) => {
    const [a, d, c, n] = await redis.hmget(keys.recording(recordingSid), 'a', 'd', 'c', 'n');
    const fingerprint = [a, d, c, n].map((value) => value ?? '').join('|');
    if (!a || !d) return { fingerprint, stored: undefined };
    const stored = { accountSid: a, callSid: c || null, conferenceSid: n || null };
    return {
      fingerprint,
      stored: { sets: setsOf(stored), member: orderMember(Number(d), recordingSid), ...stored },
    };
  };

  const remove = async (recordingSid: string, indexedBefore?: number): Promise<boolean> => {
    if (!RECORDING_SID.test(recordingSid)) return false;
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const { fingerprint, stored } = await current(recordingSid);
      if (!stored) return false;
      const result = await scripts.rvArchiveIndexRemove(
        2 + stored.sets.length,
        keys.recording(recordingSid),
        keys.accounts,
        ...stored.sets,
        fingerprint,
        stored.member,
        stored.accountSid,
        indexedBefore === undefined ? '' : String(indexedBefore),
      );
      if (result !== -1) return result === 1;
    }
    throw new Error(`archive index: ${recordingSid} kept changing while it was being removed`);
  };

  const lookup = async (recordingSid: string): Promise<IndexedRecording | undefined> => {
    if (!RECORDING_SID.test(recordingSid)) return undefined;
    const entry = decodeEntry(recordingSid, await redis.hgetall(keys.recording(recordingSid)));
    return entry && withSidecarKey(entry);
  };

  const index: ArchiveIndex = {
    keys,

    async recordArchived(entry) {
      assertEntry(entry);
      const fields = encodeEntry(entry);
      const member = orderMember(entry.dateCreated, entry.recordingSid);
      for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
        const { fingerprint, stored } = await current(entry.recordingSid);
        const removeFrom = stored?.sets ?? [];
        const result = await scripts.rvArchiveIndexPut(
          2 + removeFrom.length + setsOf(entry).length,
          keys.recording(entry.recordingSid),
          keys.accounts,
          ...removeFrom,
          ...setsOf(entry),
          fingerprint,
          String(removeFrom.length),
          stored?.member ?? '',
          member,
          entry.accountSid,
          ...fields,
        );
        if (result === 1) return;
      }
      throw new Error(`archive index: ${entry.recordingSid} kept changing while it was being recorded`);
    },

    remove: (recordingSid) => remove(recordingSid),

    lookup,

    async list(query) {
      const pageSize = Math.min(Math.max(Math.floor(query.pageSize), 1), MAX_PAGE_SIZE);
      const set = query.callSid
        ? keys.call(query.callSid)
        : query.conferenceSid
          ? keys.conference(query.conferenceSid)
          : keys.account(query.accountSid);
      // The call and conference sets hold entries of one account in practice; checking costs nothing.
      const matches = (entry: ArchiveEntry) =>
        entry.accountSid === query.accountSid &&
        (!query.callSid || entry.callSid === query.callSid) &&
        (!query.conferenceSid || entry.conferenceSid === query.conferenceSid);

      const newestFirst = query.from?.direction !== 'newer';
      let high = query.createdTo === undefined ? '+' : toDateBound(query.createdTo);
      let low = query.createdFrom === undefined ? '-' : fromDateBound(query.createdFrom);
      if (query.from) {
        if (!parseOrderMember(query.from.position)) return { entries: [], more: false };
        if (newestFirst) high = lower(high, `(${query.from.position}`);
        else low = higher(low, `(${query.from.position}`);
      }

      const wanted = pageSize + 1; // one more than a page says whether there is more
      let skip = Math.max(Math.floor(query.skip ?? 0), 0);
      const found: ListedRecording[] = [];
      while (found.length < wanted) {
        const batch = Math.min(wanted - found.length + skip, MAX_PAGE_SIZE + 1);
        const members = newestFirst
          ? await redis.zrange(set, high, low, 'BYLEX', 'REV', 'LIMIT', 0, batch)
          : await redis.zrange(set, low, high, 'BYLEX', 'LIMIT', 0, batch);
        if (members.length === 0) break;
        const pipeline = redis.pipeline();
        const sids = members.map((member) => parseOrderMember(member)?.recordingSid ?? '');
        for (const sid of sids) pipeline.hgetall(keys.recording(sid));
        const hashes = (await pipeline.exec()) ?? [];
        members.forEach((member, i) => {
          const [error, fields] = hashes[i] ?? [];
          if (error) throw error;
          const entry = sids[i] ? decodeEntry(sids[i], (fields ?? {}) as Record<string, string>) : undefined;
          if (!entry || !matches(entry) || found.length >= wanted) return;
          if (skip > 0) skip--;
          else found.push({ ...withSidecarKey(entry), position: member });
        });
        const last = members.at(-1) as string;
        if (newestFirst) high = `(${last}`;
        else low = `(${last}`;
        if (members.length < batch) break;
      }
      const page = found.slice(0, pageSize);
      return { entries: newestFirst ? page : page.reverse(), more: found.length > pageSize };
    },

    reindex: (source, options) =>
      reindexFromStorage(source, options ?? {}, {
        redis,
        keys,
        recordArchived: (entry) => index.recordArchived(entry),
        removeIndexedBefore: (recordingSid, time) => remove(recordingSid, time),
      }),
  };
  return index;
}

/** The tighter of two upper BYLEX bounds (`+`, or `[`/`(` and a member); members are ASCII. */
function lower(a: string, b: string): string {
  if (a === '+') return b;
  if (b === '+') return a;
  if (a.slice(1) === b.slice(1)) return a.startsWith('(') ? a : b;
  return a.slice(1) < b.slice(1) ? a : b;
}

/** The tighter of two lower BYLEX bounds (`-`, or `[`/`(` and a member). */
function higher(a: string, b: string): string {
  if (a === '-') return b;
  if (b === '-') return a;
  if (a.slice(1) === b.slice(1)) return a.startsWith('(') ? a : b;
  return a.slice(1) > b.slice(1) ? a : b;
}
