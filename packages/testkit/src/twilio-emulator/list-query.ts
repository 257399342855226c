import { decodePageToken, type PageToken } from './page-token.ts';

export interface ListQuery {
  /** Inclusive bounds on date_created, epoch milliseconds. */
  createdFrom: number | null;
  createdTo: number | null;
  callSid: string | null;
  conferenceSid: string | null;
  includeSoftDeleted: boolean;
  pageSize: number;
  page: number;
  pageToken: PageToken | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
const DAY_MS = 86_400_000;

/** The filters, in the order they are echoed back into page URIs. */
export const FILTER_PARAMS = [
  'DateCreated',
  'DateCreated<',
  'DateCreated>',
  'CallSid',
  'ConferenceSid',
  'IncludeSoftDeleted',
] as const;

/**
 * Parses the list query. Dates come as YYYY-MM-DD (Twilio's docs, GMT) or as ISO date-times (what the
 * twilio SDK sends). A bare date means the whole GMT day: `DateCreated<` includes that day, `DateCreated>`
 * starts at its midnight. A date-time is an inclusive instant bound. `DateCreated=` with a date-time
 * matches that instant's GMT day, since the SDK turns every Date into a date-time.
 */
export function parseListQuery(query: URLSearchParams): ListQuery | { error: string } {
  let createdFrom: number | null = null;
  let createdTo: number | null = null;
  const narrow = (from: number, to: number): void => {
    createdFrom = createdFrom === null ? from : Math.max(createdFrom, from);
    createdTo = createdTo === null ? to : Math.min(createdTo, to);
  };
  for (const [name, value] of query) {
    if (name !== 'DateCreated' && name !== 'DateCreated<' && name !== 'DateCreated>') continue;
    const date = parseDateFilter(value);
    if (!date) return { error: `Invalid value for ${name}: ${value}` };
    const dayStart = Math.floor(date.millis / DAY_MS) * DAY_MS;
    if (name === 'DateCreated') narrow(dayStart, dayStart + DAY_MS - 1);
    else if (name === 'DateCreated<') narrow(-Infinity, date.dayOnly ? dayStart + DAY_MS - 1 : date.millis);
    else narrow(date.dayOnly ? dayStart : date.millis, Infinity);
  }

  const pageSizeText = query.get('PageSize');
  const pageSize = pageSizeText === null ? DEFAULT_PAGE_SIZE : Number(pageSizeText);
  if (!Number.isInteger(pageSize) || pageSize < 1) return { error: `Invalid PageSize: ${pageSizeText}` };
  const pageText = query.get('Page');
  const page = pageText === null ? 0 : Number(pageText);
  if (!Number.isInteger(page) || page < 0) return { error: `Invalid Page: ${pageText}` };
  const tokenText = query.get('PageToken');
  const pageToken = tokenText === null || tokenText === '' ? null : (decodePageToken(tokenText) ?? null);
  if (tokenText && !pageToken) return { error: `Invalid PageToken: ${tokenText}` };

  return {
    createdFrom: createdFrom === -Infinity ? null : createdFrom,
    createdTo: createdTo === Infinity ? null : createdTo,
    callSid: query.get('CallSid'),
    conferenceSid: query.get('ConferenceSid'),
    includeSoftDeleted: query.get('IncludeSoftDeleted')?.toLowerCase() === 'true',
    pageSize: Math.min(pageSize, MAX_PAGE_SIZE),
    page,
    pageToken,
  };
}

function parseDateFilter(value: string): { millis: number; dayOnly: boolean } | undefined {
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  // Twilio's dates are GMT: a date-time without a zone must not be read in the machine's zone.
  const zoneless = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value);
  const millis = Date.parse(dayOnly ? `${value}T00:00:00Z` : zoneless ? `${value}Z` : value);
  return Number.isFinite(millis) ? { millis, dayOnly } : undefined;
}
