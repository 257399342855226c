/**
 * Where the index lives in Redis, all under the queues' prefix: `{rv}` as a prefix puts every key in one
 * Redis Cluster slot, which the index's scripts need (they touch several keys atomically).
 *
 * - `<prefix>:index:rec:<RecordingSid>`: a hash, the entry itself (short field names: the index only grows,
 *   under `noeviction`).
 * - `<prefix>:index:acct:<AccountSid>`, `…:call:<CallSid>`, `…:conf:<ConferenceSid>`: sorted sets of the
 *   entries' order members (below), one per account, call and conference.
 * - `<prefix>:index:accounts`: the accounts that have entries, so a rebuild can walk them without SCAN.
 */
export interface IndexKeys {
  recording(recordingSid: string): string;
  account(accountSid: string): string;
  call(callSid: string): string;
  conference(conferenceSid: string): string;
  readonly accounts: string;
}

// The same rule as QUEUE_PREFIX: braces allowed, for a Redis Cluster hash tag.
const PREFIX = /^[A-Za-z0-9_{}-]{1,64}$/;

export function indexKeys(prefix: string): IndexKeys {
  if (!PREFIX.test(prefix)) {
    throw new Error(`index prefix ${JSON.stringify(prefix)} must be 1 to 64 letters, digits, _, -, { or }`);
  }
  const base = `${prefix}:index`;
  return {
    recording: (sid) => `${base}:rec:${sid}`,
    account: (sid) => `${base}:acct:${sid}`,
    call: (sid) => `${base}:call:${sid}`,
    conference: (sid) => `${base}:conf:${sid}`,
    accounts: `${base}:accounts`,
  };
}

/**
 * The key Redis Cluster hashes for `key`: the content of the first `{…}` when it is not empty, else the
 * whole key (Redis's own rule). Keys with equal hash tags share a slot.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

// 13 digits hold every millisecond from 1970 to the year 2286, so digits compare as numbers do.
const DATE_DIGITS = 13;
const MAX_DATE = 10 ** DATE_DIGITS - 1;

/**
 * An entry's member in the sorted sets: `<date_created in ms, 13 digits>:<RecordingSid>`. Every member has
 * score 0, so Redis orders them by their bytes: by date, then by SID for recordings created in the same
 * second (Twilio's dates have whole seconds). That makes a position in the list one exact member, and a
 * page after it one ZRANGE BYLEX: no scan over the recordings of a busy second, as a date score with the
 * SID as a separate tie-breaker would need.
 */
export function orderMember(dateCreated: number, recordingSid: string): string {
  if (!Number.isSafeInteger(dateCreated) || dateCreated < 0 || dateCreated > MAX_DATE) {
    throw new RangeError(`date_created ${dateCreated} is not a millisecond time from 1970 to 2286`);
  }
  return `${String(dateCreated).padStart(DATE_DIGITS, '0')}:${recordingSid}`;
}

export function parseOrderMember(member: string): { dateCreated: number; recordingSid: string } | undefined {
  const match = /^(\d{13}):(RE[0-9a-f]{32})$/.exec(member);
  if (!match?.[1] || !match[2]) return undefined;
  return { dateCreated: Number(match[1]), recordingSid: match[2] };
}

/** The lowest member a recording created at `dateCreated` or later can have (ZRANGE BYLEX bound). */
export function fromDateBound(dateCreated: number): string {
  return `[${String(clampDate(dateCreated)).padStart(DATE_DIGITS, '0')}:`;
}

/** A bound below every member of recordings created after `dateCreated` (ZRANGE BYLEX, exclusive). */
export function toDateBound(dateCreated: number): string {
  return `(${String(clampDate(dateCreated) + 1).padStart(DATE_DIGITS, '0')}:`;
}

function clampDate(value: number): number {
  return Math.min(Math.max(Math.floor(value), 0), MAX_DATE - 1);
}
