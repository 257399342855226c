import { parseOrderMember } from '@recording-vault/archive-index';

/** A listing as Twilio's `GET /Recordings.json` asks for it. */
export interface RecordingListQuery {
  callSid?: string;
  conferenceSid?: string;
  /** Inclusive bounds on date_created, epoch milliseconds. */
  createdFrom?: number;
  createdTo?: number;
  pageSize: number;
  page: number;
  token?: PageToken;
}

export interface PageToken {
  /** `older`: the next page, after the position; `newer`: the previous page, before it. */
  direction: 'older' | 'newer';
  position: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
const DAY_MS = 86_400_000;

/** The filters, in the order they are echoed into page URIs. */
export const FILTER_PARAMS = [
  'DateCreated',
  'DateCreated<',
  'DateCreated>',
  'CallSid',
  'ConferenceSid',
] as const;
/** Parameters the listing reads. `IncludeSoftDeleted` is accepted and has nothing to show: the archive deletes nothing. */
export const LIST_PARAMS: ReadonlySet<string> = new Set([
  ...FILTER_PARAMS,
  'PageSize',
  'Page',
  'PageToken',
  'IncludeSoftDeleted',
]);

// Twilio's own tokens start with PA (next) and PB (previous).
const TOKEN_PREFIX = { older: 'PA', newer: 'PB' } as const;

export function encodePageToken(token: PageToken): string {
  return TOKEN_PREFIX[token.direction] + Buffer.from(token.position).toString('base64url');
}

function decodePageToken(value: string): PageToken | undefined {
  const direction = value.startsWith('PA') ? 'older' : value.startsWith('PB') ? 'newer' : undefined;
  if (!direction || !/^[A-Za-z0-9_-]+$/.test(value.slice(2))) return undefined;
  const position = Buffer.from(value.slice(2), 'base64url').toString('utf8');
  return parseOrderMember(position) ? { direction, position } : undefined;
}

/**
 * Reads the list query. Dates come as YYYY-MM-DD (Twilio's docs, GMT) or as ISO date-times (what the twilio
 * SDK sends). A bare date means the whole GMT day: `DateCreated<` includes that day, `DateCreated>` starts
 * at its midnight; a date-time is an inclusive instant. `DateCreated=` with a date-time matches that
 * instant's GMT day, since the SDK sends every date as a date-time. Answers the first problem in words.
 */
export function parseListQuery(params: URLSearchParams): RecordingListQuery | { error: string } {
  let createdFrom: number | undefined;
  let createdTo: number | undefined;
  const narrow = (from: number | undefined, to: number | undefined) => {
    if (from !== undefined) createdFrom = createdFrom === undefined ? from : Math.max(createdFrom, from);
    if (to !== undefined) createdTo = createdTo === undefined ? to : Math.min(createdTo, to);
  };
  for (const [name, value] of params) {
    if (name !== 'DateCreated' && name !== 'DateCreated<' && name !== 'DateCreated>') continue;
    const date = parseDate(value);
    if (!date)
      return { error: `Invalid value for ${name}: must be a date (YYYY-MM-DD) or an ISO 8601 date-time` };
    const dayStart = Math.floor(date.millis / DAY_MS) * DAY_MS;
    if (name === 'DateCreated') narrow(dayStart, dayStart + DAY_MS - 1);
    else if (name === 'DateCreated<') narrow(undefined, date.dayOnly ? dayStart + DAY_MS - 1 : date.millis);
    else narrow(date.dayOnly ? dayStart : date.millis, undefined);
  }

  const query: RecordingListQuery = { pageSize: DEFAULT_PAGE_SIZE, page: 0 };
  if (createdFrom !== undefined) query.createdFrom = createdFrom;
  if (createdTo !== undefined) query.createdTo = createdTo;
  const callSid = params.get('CallSid');
  if (callSid !== null) {
    if (!/^CA[0-9a-f]{32}$/.test(callSid))
      return { error: 'Invalid CallSid: must be CA followed by 32 hex digits' };
    query.callSid = callSid;
  }
  const conferenceSid = params.get('ConferenceSid');
  if (conferenceSid !== null) {
    if (!/^CF[0-9a-f]{32}$/.test(conferenceSid)) {
      return { error: 'Invalid ConferenceSid: must be CF followed by 32 hex digits' };
    }
    query.conferenceSid = conferenceSid;
  }
  const pageSize = params.get('PageSize');
  if (pageSize !== null) {
    if (!/^\d{1,9}$/.test(pageSize) || Number(pageSize) < 1)
      return { error: `Invalid PageSize: ${pageSize}` };
    query.pageSize = Math.min(Number(pageSize), MAX_PAGE_SIZE);
  }
  const page = params.get('Page');
  if (page !== null) {
    if (!/^\d{1,9}$/.test(page)) return { error: `Invalid Page: ${page}` };
    query.page = Number(page);
  }
  const token = params.get('PageToken');
  if (token !== null && token !== '') {
    const decoded = decodePageToken(token);
    if (!decoded) return { error: 'Invalid PageToken' };
    query.token = decoded;
  }
  return query;
}

function parseDate(value: string): { millis: number; dayOnly: boolean } | undefined {
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  if (!dayOnly && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) {
    return undefined;
  }
  // Twilio's dates are GMT: a date-time without a zone must not be read in the machine's zone.
  const zoneless = /T[\d:.]+$/.test(value);
  const millis = Date.parse(dayOnly ? `${value}T00:00:00Z` : zoneless ? `${value}Z` : value);
  return Number.isFinite(millis) && millis >= 0 ? { millis, dayOnly } : undefined;
}
