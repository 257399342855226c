import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type TwilioResponseModule from 'twilio/lib/http/response.js';
import { type RequestGate, throughGate } from './concurrency/gate.ts';
import { errorFromResponse, errorFromTransport } from './errors.ts';
import {
  RecordingResource,
  type RecordingSummary,
  TranscriptionPage,
  type TranscriptionResource,
} from './recording.ts';

type TwilioResponse<T> = TwilioResponseModule.default<T>;

export interface TwilioAccountCredentials {
  accountSid: string;
  /** Used for requests when no API key is given. */
  authToken: string;
  apiKey?: { sid: string; secret: string } | undefined;
  /** The account's API origin (its region's host); media is fetched there too. */
  apiOrigin?: string | undefined;
}

export interface TwilioRestOptions {
  /** `https://api.twilio.com`, or the emulator's address in tests and demos. */
  baseUrl: string;
  /** Per request, in milliseconds. */
  timeoutMs?: number;
  /** Told the HTTP status of every response, or `error` when none came: for metrics. */
  onResponse?: ResponseObserver;
  /** The account's window of requests in flight, shared with its media downloads; none: no limit here. */
  gate?: RequestGate | undefined;
}

/** What a caller may add to one REST call. */
export interface RestCallOptions {
  /** Stops the wait for a slot in the account's window (a request already sent runs to its timeout). */
  signal?: AbortSignal | undefined;
  /**
   * Runs once a slot is held, right before each time the request is sent (a 429 sends it again): the
   * place for the last checks before something irreversible, so that no wait comes between them and it.
   */
  beforeSend?: (() => Promise<void>) | undefined;
}

/** The options of the call being made, seen by the transport below the SDK. */
const callOptions = new AsyncLocalStorage<RestCallOptions>();

export type ResponseObserver = (status: number | 'error', kind: 'rest' | 'media') => void;

export interface ListRecordingsFilter {
  /** Created on or after. */
  createdAfter?: Date;
  /** Created on or before. */
  createdBefore?: Date;
  callSid?: string;
  /** Up to 1000. */
  pageSize?: number;
  /** Resume at this page (a `nextPage` from an earlier listing) instead of the first. */
  startAt?: string | undefined;
  /** Stops a wait for a slot in the account's window. */
  signal?: AbortSignal | undefined;
}

export interface RecordingListPage {
  recordings: RecordingSummary[];
  /** Path and query of the next page (no host, no credentials); undefined on the last page. */
  nextPage: string | undefined;
}

interface RecordingPageLike {
  instances: Array<{
    sid: string;
    accountSid: string;
    callSid: string;
    status: string;
    dateCreated: Date;
    startTime: Date;
    duration: string;
    channels: number;
    source: string;
  }>;
  nextPageUrl?: string | undefined;
  nextPage(): Promise<RecordingPageLike> | undefined;
}

/**
 * The SDK's transport, made to throw a typed error for every failed request. Doing it here, where the
 * response headers are still at hand, keeps `Retry-After`, which the SDK's own RestException drops.
 */
class TypedErrorsRequestClient extends twilio.RequestClient {
  observe: ResponseObserver | undefined;
  gate: RequestGate | undefined;

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<TwilioResponse<TData>> {
    const call = callOptions.getStore();
    return throughGate(
      this.gate,
      async (permit) => {
        await call?.beforeSend?.();
        const response = await this.#once(opts);
        permit?.release({ status: response.statusCode });
        return response;
      },
      call?.signal,
    );
  }

  async #once<TData>(opts: RequestClient.RequestOptions<TData>): Promise<TwilioResponse<TData>> {
    const what = `Twilio ${opts.method.toUpperCase()} ${new URL(opts.uri).pathname}`;
    let response: TwilioResponse<TData>;
    try {
      response = await super.request<TData>(opts);
    } catch (error) {
      this.observe?.('error', 'rest');
      throw errorFromTransport(what, error);
    }
    this.observe?.(response.statusCode, 'rest');
    if (response.statusCode >= 400) {
      throw errorFromResponse(what, response.statusCode, response.body, response.headers ?? {});
    }
    return response;
  }
}

export type TwilioRestClient = ReturnType<typeof createTwilioRestClient>;

/** REST calls for one account through the twilio SDK: fetch, list and delete recordings and their transcriptions. */
export function createTwilioRestClient(account: TwilioAccountCredentials, options: TwilioRestOptions) {
  const timeout = options.timeoutMs ?? 30_000;
  const [username, password] = account.apiKey
    ? [account.apiKey.sid, account.apiKey.secret]
    : [account.accountSid, account.authToken];
  const httpClient = new TypedErrorsRequestClient({ timeout, keepAlive: true });
  httpClient.observe = options.onResponse;
  httpClient.gate = options.gate;
  const client = twilio(username, password, {
    accountSid: account.accountSid,
    httpClient,
    autoRetry: false,
    timeout,
    // The SDK falls back to process.env for edge, region and credentials; this package takes config only.
    env: {},
  });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  client.api.baseUrl = baseUrl;
  const recordings = client.api.v2010.accounts(account.accountSid).recordings;

  return {
    accountSid: account.accountSid,

    /** The recording resource exactly as Twilio returned it (unknown fields included). */
    async fetchRecording(recordingSid: string, call: RestCallOptions = {}): Promise<RecordingResource> {
      const payload = await callOptions.run(call, () =>
        client.api.v2010.fetch({
          method: 'get',
          uri: `Accounts/${account.accountSid}/Recordings/${recordingSid}.json`,
        }),
      );
      return RecordingResource.parse(payload);
    },

    /** Deletes the recording at Twilio. A recording that is already gone (404 / 20404) counts as deleted. */
    async deleteRecording(
      recordingSid: string,
      call: RestCallOptions = {},
    ): Promise<'deleted' | 'already-gone'> {
      try {
        await callOptions.run(call, () => recordings(recordingSid).remove());
        return 'deleted';
      } catch (error) {
        if ((error as { kind?: unknown }).kind === 'not-found') return 'already-gone';
        throw error;
      }
    },

    /**
     * Every transcription of the recording (`<Record transcribe="true">`), as Twilio returned them, following
     * `next_page_uri` (a recording has a handful at most). None for a recording made without transcription.
     */
    async listTranscriptions(
      recordingSid: string,
      call: RestCallOptions = {},
    ): Promise<TranscriptionResource[]> {
      const all: TranscriptionResource[] = [];
      let uri: string | undefined =
        `Accounts/${account.accountSid}/Recordings/${recordingSid}/Transcriptions.json`;
      let params: Record<string, string> = { PageSize: '1000' };
      while (uri) {
        const request = { method: 'get' as const, uri, params };
        const page = TranscriptionPage.parse(
          await callOptions.run(call, () => client.api.v2010.fetch(request)),
        );
        all.push(...page.transcriptions);
        const next = page.next_page_uri ? new URL(page.next_page_uri, baseUrl) : undefined;
        // Twilio's next_page_uri is absolute from the host; the SDK wants it from the API version.
        uri = next?.pathname.replace(/^\/2010-04-01\//, '');
        params = next ? Object.fromEntries(next.searchParams) : {};
      }
      return all;
    },

    /** Deletes a transcription at Twilio. One that is already gone (404 / 20404) counts as deleted. */
    async deleteTranscription(
      transcriptionSid: string,
      call: RestCallOptions = {},
    ): Promise<'deleted' | 'already-gone'> {
      try {
        await callOptions.run(call, () =>
          client.api.v2010.accounts(account.accountSid).transcriptions(transcriptionSid).remove(),
        );
        return 'deleted';
      } catch (error) {
        if ((error as { kind?: unknown }).kind === 'not-found') return 'already-gone';
        throw error;
      }
    },

    /**
     * Pages of recordings, newest first, following `next_page_uri`: Twilio's page token marks a position
     * rather than an offset, so deleting recordings between pages skips none. A listing can be resumed
     * from any page it yielded.
     */
    async *listRecordingPages(filter: ListRecordingsFilter = {}): AsyncGenerator<RecordingListPage> {
      const call = { signal: filter.signal };
      let page: RecordingPageLike = await callOptions.run(call, () =>
        filter.startAt
          ? recordings.getPage(baseUrl + filter.startAt)
          : recordings.page({
              pageSize: filter.pageSize ?? 1000,
              ...(filter.createdAfter ? { dateCreatedAfter: filter.createdAfter } : {}),
              ...(filter.createdBefore ? { dateCreatedBefore: filter.createdBefore } : {}),
              ...(filter.callSid ? { callSid: filter.callSid } : {}),
            }),
      );
      while (true) {
        const nextUrl = page.nextPageUrl ? new URL(page.nextPageUrl) : undefined;
        yield {
          recordings: page.instances.map(
            (r): RecordingSummary => ({
              sid: r.sid,
              accountSid: r.accountSid,
              callSid: r.callSid ?? null,
              status: r.status,
              dateCreated: r.dateCreated,
              startTime: r.startTime,
              durationSeconds: Number(r.duration ?? 0),
              channels: r.channels,
              source: r.source,
            }),
          ),
          nextPage: nextUrl ? nextUrl.pathname + nextUrl.search : undefined,
        };
        const next = callOptions.run(call, () => page.nextPage());
        if (!next) return;
        page = await next;
      }
    },
  };
}
