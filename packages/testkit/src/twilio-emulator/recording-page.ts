import type { ListQuery } from './list-query.ts';
import { FILTER_PARAMS } from './list-query.ts';
import { encodePageToken } from './page-token.ts';
import type { RecordingResource } from './recording-resource.ts';
import { compareNewestFirst, type StoredRecording } from './recording-store.ts';

export interface RecordingPage {
  recordings: RecordingResource[];
  first_page_uri: string;
  next_page_uri: string | null;
  previous_page_uri: string | null;
  page: number;
  page_size: number;
  start: number;
  end: number;
  uri: string;
}

/**
 * Picks one page of `sorted` (newest first, deleted included) and builds Twilio's list response.
 * `next_page_uri` is null when nothing matches after this page, so clients stop without an empty page.
 */
export function buildRecordingPage(input: {
  sorted: readonly StoredRecording[];
  query: ListQuery;
  rawQuery: URLSearchParams;
  listPath: string;
  toResource: (recording: StoredRecording) => RecordingResource;
}): RecordingPage {
  const { sorted, query } = input;
  const matches = (recording: StoredRecording): boolean =>
    (query.includeSoftDeleted || recording.deletedAt === null) &&
    (query.createdFrom === null || recording.dateCreated >= query.createdFrom) &&
    (query.createdTo === null || recording.dateCreated <= query.createdTo) &&
    (query.callSid === null || recording.callSid === query.callSid) &&
    (query.conferenceSid === null || recording.conferenceSid === query.conferenceSid);

  const items: StoredRecording[] = [];
  let hasOlder = false;
  const token = query.pageToken;
  if (token?.direction === 'before') {
    for (let i = firstIndexAfter(sorted, token) - 1; i >= 0; i--) {
      const recording = sorted[i];
      if (!recording || compareNewestFirst(recording, token) >= 0 || !matches(recording)) continue;
      if (items.length === query.pageSize) break;
      items.unshift(recording);
    }
    hasOlder = true;
  } else {
    // Without a token, `Page` alone is an offset in matching items (how pre-token clients paged).
    let skip = token ? 0 : query.page * query.pageSize;
    for (let i = token ? firstIndexAfter(sorted, token) : 0; i < sorted.length; i++) {
      const recording = sorted[i];
      if (!recording || !matches(recording)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      if (items.length === query.pageSize) {
        hasOlder = true;
        break;
      }
      items.push(recording);
    }
  }

  const uriWith = (extra: Record<string, string>): string => {
    const params = new URLSearchParams();
    for (const name of FILTER_PARAMS) {
      for (const value of input.rawQuery.getAll(name)) params.append(name, value);
    }
    params.set('PageSize', String(query.pageSize));
    for (const [name, value] of Object.entries(extra)) params.set(name, value);
    return `${input.listPath}?${params.toString()}`;
  };
  const first = items[0];
  const last = items.at(-1);
  const start = query.page * query.pageSize;
  return {
    recordings: items.map(input.toResource),
    first_page_uri: uriWith({ Page: '0' }),
    next_page_uri:
      hasOlder && last
        ? uriWith({
            Page: String(query.page + 1),
            PageToken: encodePageToken({ direction: 'after', ...key(last) }),
          })
        : null,
    previous_page_uri:
      query.page > 0 && first
        ? uriWith({
            Page: String(query.page - 1),
            PageToken: encodePageToken({ direction: 'before', ...key(first) }),
          })
        : null,
    page: query.page,
    page_size: query.pageSize,
    start,
    end: items.length === 0 ? start : start + items.length - 1,
    uri: `${input.listPath}${input.rawQuery.size > 0 ? `?${input.rawQuery.toString()}` : ''}`,
  };
}

function key(recording: StoredRecording): { dateCreated: number; sid: string } {
  return { dateCreated: recording.dateCreated, sid: recording.sid };
}

/** Index of the first item that sorts strictly after `position` (binary search; the list is sorted). */
function firstIndexAfter(
  sorted: readonly StoredRecording[],
  position: { dateCreated: number; sid: string },
): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const recording = sorted[middle];
    if (recording && compareNewestFirst(recording, position) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
