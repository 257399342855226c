import type { Readable } from 'node:stream';
import type {
  ArchiveFormat,
  ArchiveIndex,
  IndexedRecording,
  ListedRecording,
} from '@recording-vault/archive-index';
import type { Logger } from '@recording-vault/logger';
import {
  isStorageNotFound,
  type ObjectStore,
  StorageError,
  type StoredObject,
  transcriptionsKey,
} from '@recording-vault/storage';
import { planRange } from './byte-range.ts';
import { encodePageToken, FILTER_PARAMS, type RecordingListQuery } from './list-query.ts';
import type { Transcoder } from './transcoder.ts';
import { ApiRefusal, refusals } from './twilio-errors.ts';
import { verifiedBody } from './verified-body.ts';

/**
 * The API's reads, without HTTP: plain functions of the request's parts that answer what to send, or an
 * ApiRefusal. Express sits around them in app.ts.
 */
export interface ReadDeps {
  index: ArchiveIndex;
  /** The stored objects; `getRange` serves HTTP Range requests. */
  store: ObjectStore;
  /** The origin (and path prefix) clients reach the API at: `media_url` points there. */
  publicUrl: string;
  /** Turns the stored format into the other one; none: the other format is answered 406. */
  transcoder?: Transcoder | undefined;
  logger: Logger;
}

export const recordingPath = (accountSid: string, recordingSid: string) =>
  `/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;

/** The account's archived recording, or a 404 that says the same whether it is unknown or another account's. */
export async function findRecording(
  deps: ReadDeps,
  accountSid: string,
  recordingSid: string,
  path: string,
): Promise<IndexedRecording | ApiRefusal> {
  const entry = await deps.index.lookup(recordingSid);
  if (!entry || entry.accountSid !== accountSid) return refusals.notFound(path);
  return entry;
}

/**
 * The recording resource as Twilio returned it, from the sidecar, with `uri` and `media_url` on the vault.
 * A sidecar that is missing or describes another recording is logged and answered 404 / 500, never shown.
 */
export async function archivedResource(
  deps: ReadDeps,
  entry: IndexedRecording,
  path: string,
): Promise<Record<string, unknown> | ApiRefusal> {
  let sidecar: { recording?: Record<string, unknown> } | null;
  try {
    sidecar = JSON.parse(await readText(await deps.store.get(entry.sidecarKey)));
  } catch (error) {
    if (isStorageNotFound(error)) {
      deps.logger.error(
        { recordingSid: entry.recordingSid, key: entry.sidecarKey },
        'archived recording has no sidecar in storage: answering 404 (reindex to drop the entry)',
      );
      return refusals.notFound(path);
    }
    if (error instanceof SyntaxError) return integrityFailure(deps, entry, 'its sidecar is not JSON');
    throw error;
  }
  const recording = sidecar?.recording;
  if (recording?.sid !== entry.recordingSid || recording.account_sid !== entry.accountSid) {
    return integrityFailure(deps, entry, 'its sidecar describes another recording');
  }
  const vaultPath = recordingPath(entry.accountSid, entry.recordingSid);
  return { ...recording, uri: `${vaultPath}.json`, media_url: `${deps.publicUrl}${vaultPath}` };
}

/**
 * The transcriptions archived beside the recording (`<key>.transcriptions.json`, with their text), as
 * Twilio returned them; none when the recording had none. A file that is not the worker's, or is another
 * recording's, is logged and answered 500, never shown.
 */
export async function archivedTranscriptions(
  deps: ReadDeps,
  entry: IndexedRecording,
): Promise<Array<Record<string, unknown>> | ApiRefusal> {
  let file: { recordingSid?: unknown; transcriptions?: unknown };
  try {
    file = JSON.parse(await readText(await deps.store.get(transcriptionsKey(entry.key))));
  } catch (error) {
    if (isStorageNotFound(error)) return [];
    if (error instanceof SyntaxError)
      return integrityFailure(deps, entry, 'its transcriptions file is not JSON');
    throw error;
  }
  if (file.recordingSid !== entry.recordingSid || !Array.isArray(file.transcriptions)) {
    return integrityFailure(deps, entry, 'its transcriptions file is not this recording’s');
  }
  return file.transcriptions as Array<Record<string, unknown>>;
}

/** One page of Twilio's list response, newest first, each recording as `archivedResource` gives it. */
export async function recordingsPage(
  deps: ReadDeps,
  accountSid: string,
  query: RecordingListQuery,
  rawQuery: URLSearchParams,
): Promise<Record<string, unknown>> {
  const listPath = `/2010-04-01/Accounts/${accountSid}/Recordings.json`;
  const result = await deps.index.list({
    accountSid,
    callSid: query.callSid,
    conferenceSid: query.conferenceSid,
    createdFrom: query.createdFrom,
    createdTo: query.createdTo,
    pageSize: query.pageSize,
    from: query.token,
    // Without a token, `Page` alone is an offset (how clients paged before tokens).
    skip: query.token ? 0 : query.page * query.pageSize,
  });
  const resources = await mapBounded(result.entries, 16, (entry) =>
    archivedResource(deps, entry, recordingPath(accountSid, entry.recordingSid)),
  );
  // A recording whose sidecar cannot be shown is left out of the page; its reason is in the log.
  const recordings = resources.filter((resource) => !(resource instanceof ApiRefusal));

  const uriWith = (extra: Record<string, string>) => {
    const params = new URLSearchParams();
    for (const name of FILTER_PARAMS) for (const value of rawQuery.getAll(name)) params.append(name, value);
    params.set('PageSize', String(query.pageSize));
    for (const [name, value] of Object.entries(extra)) params.set(name, value);
    return `${listPath}?${params}`;
  };
  const first = result.entries[0] as ListedRecording | undefined;
  const last = result.entries.at(-1);
  const goingNewer = query.token?.direction === 'newer';
  const hasOlder = goingNewer ? last !== undefined : result.more;
  const hasNewer = goingNewer ? result.more : query.token !== undefined || query.page > 0;
  const start = query.page * query.pageSize;
  return {
    first_page_uri: uriWith({ Page: '0' }),
    end: recordings.length === 0 ? start : start + recordings.length - 1,
    previous_page_uri:
      hasNewer && first
        ? uriWith({
            Page: String(Math.max(query.page - 1, 0)),
            PageToken: encodePageToken({ direction: 'newer', position: first.position }),
          })
        : null,
    recordings,
    uri: `${listPath}${rawQuery.size > 0 ? `?${rawQuery}` : ''}`,
    page_size: query.pageSize,
    start,
    next_page_uri:
      hasOlder && last
        ? uriWith({
            Page: String(query.page + 1),
            PageToken: encodePageToken({ direction: 'older', position: last.position }),
          })
        : null,
    page: query.page,
  };
}

export interface MediaRequest {
  entry: IndexedRecording;
  format: ArchiveFormat;
  head: boolean;
  range: string | undefined;
  ifRange: string | undefined;
  ifNoneMatch: string | undefined;
  cacheControl: string;
}

export interface MediaAnswer {
  status: 200 | 206 | 304;
  headers: Record<string, string>;
  /** Absent for HEAD and 304. */
  body?: Readable;
  /** The bytes sent, as the access log reports them (`0-99`), or null for the whole object. */
  range: string | null;
}

const contentTypes: Record<ArchiveFormat, string> = { wav: 'audio/x-wav', mp3: 'audio/mpeg' };

/**
 * The stored bytes of a recording, whole or one range. Before a byte is sent, the store's record of the
 * object must equal the index's (size and SHA-256); while bytes flow, their count (and for a whole object
 * their hash) is checked again (see `verifiedBody`). The other format than the stored one is transcoded as
 * it streams when a transcoder is at hand (whole, chunked, no ranges), else answered 406; an encrypted
 * recording is ciphertext and is never transcoded.
 */
export async function openMedia(deps: ReadDeps, request: MediaRequest): Promise<MediaAnswer | ApiRefusal> {
  const { entry } = request;
  if (request.format !== entry.format) {
    if (!deps.transcoder || entry.encrypted) {
      return refusals.formatNotStored(entry.format, request.format, entry.encrypted);
    }
    const answer = {
      status: 200,
      // Its length is known only once made: sent chunked, and not by ranges.
      headers: {
        'Content-Type': contentTypes[request.format],
        'Accept-Ranges': 'none',
        'Cache-Control': request.cacheControl,
      },
      range: null,
    } as const;
    if (request.head) {
      const recorded = await recordedObject(deps, entry);
      return recorded instanceof ApiRefusal ? recorded : answer;
    }
    const source = await readRecorded(deps, entry);
    if (source instanceof ApiRefusal) return source;
    const stored = verifiedBody(source, { bytes: entry.bytes, sha256: entry.sha256 });
    return { ...answer, body: deps.transcoder.transcode(stored, entry.format, request.format) };
  }
  const etag = `"${entry.sha256}"`;
  const headers: Record<string, string> = {
    'Content-Type': contentTypes[entry.format],
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Cache-Control': request.cacheControl,
  };
  const notModified = request.ifNoneMatch
    ?.split(',')
    .some((tag) => tag.trim() === etag || tag.trim() === '*');
  const plan = planRange(entry.bytes, request.range, request.ifRange, etag);
  // Answers without bytes still check that storage holds the recorded object (a HEAD, by its record).
  if (notModified || plan.kind === 'unsatisfiable' || request.head) {
    const recorded = await recordedObject(deps, entry);
    if (recorded instanceof ApiRefusal) return recorded;
    if (notModified) return { status: 304, headers, range: null };
  }
  if (plan.kind === 'unsatisfiable') return refusals.rangeNotSatisfiable(entry.bytes);
  const partial = plan.kind === 'partial' ? plan : undefined;
  const length = partial ? partial.end - partial.start + 1 : entry.bytes;
  headers['Content-Length'] = String(length);
  if (partial) headers['Content-Range'] = `bytes ${partial.start}-${partial.end}/${entry.bytes}`;
  const answer = {
    status: partial ? 206 : 200,
    headers,
    range: partial ? `${partial.start}-${partial.end}` : null,
  } as const;
  if (request.head) return answer;

  const source = await readRecorded(deps, entry, partial);
  if (source instanceof ApiRefusal) return source;
  const body = verifiedBody(source, partial ? { bytes: length } : { bytes: length, sha256: entry.sha256 });
  return { ...answer, body };
}

/**
 * The stored bytes (all, or a range) of the recorded object, read with the store's record of it in one
 * request where the store can: the record must be the index's before a byte is given out.
 */
async function readRecorded(
  deps: ReadDeps,
  entry: IndexedRecording,
  range?: { start: number; end: number },
): Promise<Readable | ApiRefusal> {
  let read: Awaited<ReturnType<ObjectStore['read']>>;
  try {
    read = await deps.store.read(entry.key, range);
  } catch (error) {
    if (isStorageNotFound(error)) return missingObject(deps, entry);
    if (error instanceof StorageError && error.kind === 'unrecorded') return unrecordedObject(deps, entry);
    throw error;
  }
  const matches = recordMatches(deps, entry, read.record);
  if (matches instanceof ApiRefusal) {
    read.body.destroy();
    return matches;
  }
  return read.body;
}

/** The store's record of the object, which must be the index's: for answers that send no bytes. */
async function recordedObject(deps: ReadDeps, entry: IndexedRecording): Promise<true | ApiRefusal> {
  let stat: Awaited<ReturnType<ObjectStore['stat']>>;
  try {
    stat = await deps.store.stat(entry.key);
  } catch (error) {
    if (error instanceof StorageError && error.kind === 'unrecorded') return unrecordedObject(deps, entry);
    throw error;
  }
  if (!stat) return missingObject(deps, entry);
  return recordMatches(deps, entry, stat);
}

function unrecordedObject(deps: ReadDeps, entry: IndexedRecording): ApiRefusal {
  return integrityFailure(deps, entry, 'its stored object has no recorded size and SHA-256');
}

function recordMatches(
  deps: ReadDeps,
  entry: IndexedRecording,
  stat: Pick<StoredObject, 'bytes' | 'sha256'>,
): true | ApiRefusal {
  if (stat.bytes !== entry.bytes || stat.sha256 !== entry.sha256) {
    return integrityFailure(
      deps,
      entry,
      `its stored object records ${stat.bytes} bytes, sha256 ${stat.sha256}; the archive index ${entry.bytes} bytes, sha256 ${entry.sha256}`,
    );
  }
  return true;
}

function missingObject(deps: ReadDeps, entry: IndexedRecording): ApiRefusal {
  deps.logger.error(
    { recordingSid: entry.recordingSid, key: entry.key },
    'archived recording has no object in storage: answering 404 (reindex to drop the entry)',
  );
  return refusals.notFound(recordingPath(entry.accountSid, entry.recordingSid));
}

function integrityFailure(deps: ReadDeps, entry: IndexedRecording, why: string): ApiRefusal {
  deps.logger.error(
    { recordingSid: entry.recordingSid, key: entry.key },
    `archived recording not served: ${why}`,
  );
  return refusals.integrity();
}

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `work` over `items` with at most `limit` at once, results in order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}
