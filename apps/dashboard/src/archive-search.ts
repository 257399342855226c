import { type ArchiveIndex, type ListedRecording, parseOrderMember } from '@recording-vault/archive-index';

/** A search of the archive page, as its form sends it, checked. Every part is optional. */
export interface ArchiveQuery {
  /** A recording SID goes straight to that recording. */
  recordingSid?: string;
  callSid?: string;
  /** One account; all accounts with archived recordings when unset. */
  accountSid?: string;
  /** UTC days, `YYYY-MM-DD`, both included. */
  fromDay?: string;
  toDay?: string;
  /** Continue after this entry (an index position from the previous page): the next, older page. */
  before?: string;
}

/** The form's fields as they were sent, to show them again (escaped) beside any problem. */
export interface SearchForm {
  q: string;
  account: string;
  from: string;
  to: string;
}

export type ParsedQuery =
  | { ok: true; query: ArchiveQuery; form: SearchForm }
  | { ok: false; problems: string[]; form: SearchForm };

const SID = /^(RE|CA|AC)([0-9a-f]{32})$/i;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * Reads the archive page's query string: `q` (a recording, call or account SID), `account`, `from`, `to`
 * (UTC days) and `before` (where the previous page ended). Every problem is listed at once, in words;
 * unknown parameters are ignored. SIDs are taken in either case of their hex digits.
 */
export function parseArchiveQuery(params: Readonly<Record<string, unknown>>): ParsedQuery {
  const problems: string[] = [];
  const text = (name: string): string => {
    const value = params[name];
    if (value === undefined) return '';
    if (typeof value !== 'string') {
      problems.push(`${name} was given more than once`);
      return '';
    }
    return value.trim();
  };
  const form: SearchForm = { q: text('q'), account: text('account'), from: text('from'), to: text('to') };
  const before = text('before');
  const query: ArchiveQuery = {};

  if (form.q) {
    const sid = SID.exec(form.q);
    if (!sid?.[1] || !sid[2]) {
      problems.push(
        'search for a recording SID (RE and 32 hex digits), a call SID (CA…) or an account SID (AC…)',
      );
    } else {
      const normal = sid[1].toUpperCase() + sid[2].toLowerCase();
      if (normal.startsWith('RE')) query.recordingSid = normal;
      else if (normal.startsWith('CA')) query.callSid = normal;
      else query.accountSid = normal;
    }
  }
  if (form.account) {
    const sid = SID.exec(form.account);
    if (!sid?.[1] || !sid[2] || sid[1].toUpperCase() !== 'AC') {
      problems.push('account must be an account SID (AC and 32 hex digits)');
    } else {
      const account = `AC${sid[2].toLowerCase()}`;
      if (query.accountSid && query.accountSid !== account) {
        problems.push('the search names one account and the account list another');
      }
      query.accountSid = account;
    }
  }
  for (const [name, key] of [
    ['from', 'fromDay'],
    ['to', 'toDay'],
  ] as const) {
    const day = form[name];
    if (!day) continue;
    if (dayStart(day) === undefined) problems.push(`${name} must be a day, YYYY-MM-DD (got ${day})`);
    else query[key] = day;
  }
  if (query.fromDay && query.toDay && query.fromDay > query.toDay) {
    problems.push(`from (${query.fromDay}) is after to (${query.toDay})`);
  }
  if (before) {
    if (parseOrderMember(before)) query.before = before;
    else problems.push('before is not a place in the archive listing (follow the page links)');
  }
  return problems.length > 0 ? { ok: false, problems, form } : { ok: true, query, form };
}

/** Midnight UTC of a `YYYY-MM-DD` day, in milliseconds; undefined for anything else (31 February too). */
export function dayStart(day: string): number | undefined {
  const match = DAY.exec(day);
  if (!match) return undefined;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, date);
  return new Date(time).toISOString().startsWith(day) ? time : undefined;
}

export interface SearchPage {
  /** Newest first, over every account searched. */
  entries: ListedRecording[];
  /** Where the next (older) page starts, when there is one. */
  next: string | undefined;
}

/**
 * One page of archived recordings matching the query (its recording SID aside, which is a lookup), newest
 * first across the accounts searched. Each account's listing is one ordered read of the index; the pages
 * are merged by their positions, which order every entry of every account the same way (date, then SID),
 * so one position continues all of them.
 */
export async function searchArchive(
  index: ArchiveIndex,
  accounts: readonly string[],
  query: ArchiveQuery,
  pageSize: number,
): Promise<SearchPage> {
  const fromStart = query.fromDay === undefined ? undefined : dayStart(query.fromDay);
  const toStart = query.toDay === undefined ? undefined : dayStart(query.toDay);
  const pages = await Promise.all(
    accounts.map((accountSid) =>
      index.list({
        accountSid,
        callSid: query.callSid,
        createdFrom: fromStart,
        createdTo: toStart === undefined ? undefined : toStart + DAY_MS - 1,
        pageSize,
        from: query.before ? { direction: 'older', position: query.before } : undefined,
      }),
    ),
  );
  const merged = pages
    .flatMap((page) => page.entries)
    .sort((a, b) => (a.position < b.position ? 1 : a.position > b.position ? -1 : 0));
  const entries = merged.slice(0, pageSize);
  const more = merged.length > pageSize || pages.some((page) => page.more);
  return { entries, next: more ? entries.at(-1)?.position : undefined };
}
