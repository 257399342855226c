import type { ArchiveEntry } from './archive-entry.ts';

const ACCOUNT = /^AC[0-9a-f]{32}$/;
const RECORDING = /^RE[0-9a-f]{32}$/;
const CALL = /^CA[0-9a-f]{32}$/;
const CONFERENCE = /^CF[0-9a-f]{32}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const DAY = /^\d{4}\/\d{2}\/\d{2}$/;
const KEY = /^(AC[0-9a-f]{32})\/(\d{4}\/\d{2}\/\d{2})\/((?:CA|CF)[0-9a-f]{32})\/(RE[0-9a-f]{32})\.(wav|mp3)$/;

/**
 * Refuses an entry the index must not hold: malformed SIDs or hash, or a key that is not this recording's
 * own (`<account>/<day>/<call or conference>/<recording>.<format>`, the worker's layout), so the API can
 * never be pointed at another recording's bytes.
 */
export function assertEntry(entry: ArchiveEntry): void {
  const problem = entryProblem(entry);
  if (problem) throw new Error(`archive index entry for ${String(entry.recordingSid)}: ${problem}`);
}

function entryProblem(entry: ArchiveEntry): string | undefined {
  if (!RECORDING.test(entry.recordingSid)) return 'recordingSid is not RE + 32 hex digits';
  if (!ACCOUNT.test(entry.accountSid)) return 'accountSid is not AC + 32 hex digits';
  if (entry.callSid !== null && !CALL.test(entry.callSid)) return 'callSid is not CA + 32 hex digits';
  if (entry.conferenceSid !== null && !CONFERENCE.test(entry.conferenceSid)) {
    return 'conferenceSid is not CF + 32 hex digits';
  }
  if (entry.callSid === null && entry.conferenceSid === null) return 'neither a call nor a conference';
  if (entry.format !== 'wav' && entry.format !== 'mp3') return 'format is not wav or mp3';
  const key = KEY.exec(entry.key);
  if (!key || key[1] !== entry.accountSid || key[4] !== entry.recordingSid || key[5] !== entry.format) {
    return `key ${JSON.stringify(entry.key)} is not this recording's ${entry.format}`;
  }
  if (!Number.isSafeInteger(entry.bytes) || entry.bytes < 0) return 'bytes is not a size';
  if (!SHA256.test(entry.sha256)) return 'sha256 is not 64 lowercase hex digits';
  if (!Number.isSafeInteger(entry.dateCreated) || entry.dateCreated < 0) return 'dateCreated is not a time';
  if (!Number.isSafeInteger(entry.durationSeconds) || entry.durationSeconds < 0) {
    return 'durationSeconds is not whole seconds';
  }
  if (entry.channels !== 1 && entry.channels !== 2) return 'channels is not 1 or 2';
  if (typeof entry.encrypted !== 'boolean') return 'encrypted is not true or false';
  return undefined;
}

/**
 * The entry as hash fields, with one-letter names: the index grows by one hash per recording, forever, in a
 * Redis that evicts nothing. The key is kept as its day alone when it has the worker's layout (the rest is
 * in the other fields), which saves about a hundred bytes per recording.
 */
export function encodeEntry(entry: ArchiveEntry): string[] {
  const key = KEY.exec(entry.key);
  const compact =
    key?.[2] !== undefined &&
    key[3] === (entry.callSid ?? entry.conferenceSid) &&
    entry.key === keyFrom(entry, key[2]);
  return [
    'a',
    entry.accountSid,
    'k',
    compact && key?.[2] ? key[2] : entry.key,
    'f',
    entry.format,
    'b',
    String(entry.bytes),
    'h',
    entry.sha256,
    'c',
    entry.callSid ?? '',
    'n',
    entry.conferenceSid ?? '',
    'd',
    String(entry.dateCreated),
    'u',
    String(entry.durationSeconds),
    'l',
    String(entry.channels),
    'e',
    entry.encrypted ? '1' : '0',
  ];
}

/** The entry of a hash read back; undefined when the hash is missing or not an entry this code wrote. */
export function decodeEntry(recordingSid: string, fields: Record<string, string>): ArchiveEntry | undefined {
  const { a, k, f, b, h, c, n, d, u, l, e } = fields;
  if (a === undefined || k === undefined || (f !== 'wav' && f !== 'mp3')) return undefined;
  const entryWithoutKey = {
    recordingSid,
    accountSid: a,
    format: f,
    bytes: Number(b),
    sha256: h ?? '',
    callSid: c ? c : null,
    conferenceSid: n ? n : null,
    dateCreated: Number(d),
    durationSeconds: Number(u),
    channels: l === '2' ? 2 : 1,
    encrypted: e === '1',
  } as const;
  const entry: ArchiveEntry = { ...entryWithoutKey, key: DAY.test(k) ? keyFrom(entryWithoutKey, k) : k };
  return entryProblem(entry) === undefined ? entry : undefined;
}

function keyFrom(
  entry: Pick<ArchiveEntry, 'accountSid' | 'callSid' | 'conferenceSid' | 'recordingSid' | 'format'>,
  day: string,
): string {
  return `${entry.accountSid}/${day}/${entry.callSid ?? entry.conferenceSid}/${entry.recordingSid}.${entry.format}`;
}
