/**
 * Generators (fast-check arbitraries) of recording-status callbacks and of requests the callback endpoint must
 * refuse: wrongly signed, invalid fields, odd encodings and content types, oversized bodies, and raw bytes
 * fetch refuses to send (header injection, lying framing, malformed request lines, slow or cut clients).
 * Every case is signed for `publicBaseUrl` with the tokens of `tokensByAccount`: the server under test must
 * be configured with both. Cases carry a label (for the tally) and, where one check is aimed at, the status.
 */
import { createHmac } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import twilio from 'twilio';
import { callbackPath } from '../app.ts';

const account = `AC${'1f'.repeat(16)}`;
const token = 'a1'.repeat(16);
const rotatedToken = 'b2'.repeat(16);
const otherAccount = `AC${'2e'.repeat(16)}`;
const otherToken = 'c3'.repeat(16);
/** The accounts and auth tokens the server under test must know. */
export const tokensByAccount: ReadonlyMap<string, string[]> = new Map([
  [account, [token, rotatedToken]],
  [otherAccount, [otherToken]],
]);
/** The public base URL the server under test must be configured with. */
export const publicBaseUrl = 'https://vault.example.com';
const publicUrl = `${publicBaseUrl}${callbackPath}`;
/** URLs the signature check treats as the public URL (the SDK also tries the default port). */
const publicUrlForms = new Set([publicUrl, 'https://vault.example.com:443/twilio/recording-status']);
/** The app's body limit. */
const maxBodyBytes = 64 * 1024;

/** A request a standard client (fetch) can send. */
export interface HttpCase {
  label: string;
  method: string;
  /** Path and query. */
  path: string;
  headers: [string, string][];
  body?: Uint8Array;
  /** Sent as a stream, so with Transfer-Encoding: chunked and no Content-Length. */
  chunked?: boolean;
  /** The exact status, for cases built to reach one known check. */
  expected?: number;
}

/** A request written byte by byte on a socket (testkit's sendRawHttp), for what fetch refuses to send. */
export interface RawCase {
  label: string;
  method: string;
  chunks: Uint8Array[];
  /** Pause before each chunk after the first. */
  pauseMs: number;
  /** After the last chunk: wait for the server, or half-close the socket. */
  afterSending: 'wait' | 'end';
  /**
   * Deliberately broken (bad framing, a malformed request line, stalled or cut): the server may close
   * without answering. Node does so for CONNECT, having no 'connect' listener.
   */
  mayClose: boolean;
  expected?: number;
}

/** fast-check prints counterexamples with this: bodies are cut short. */
function described<T extends HttpCase | RawCase>(request: T): T {
  const text = () => {
    const bytes = 'chunks' in request ? Buffer.concat(request.chunks) : Buffer.from(request.body ?? []);
    const shown = bytes.subarray(0, 400).toString('latin1');
    const more = bytes.length > 400 ? `…(${bytes.length} bytes)` : '';
    const head =
      'chunks' in request
        ? `${request.label} [raw, pause ${request.pauseMs} ms, then ${request.afterSending}]`
        : `${request.label}: ${request.method} ${request.path} ${JSON.stringify(
            request.headers.map(([n, v]) => [n, v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v]),
          )}${request.chunked ? ' chunked' : ''}`;
    return `${head} expected=${request.expected ?? '4xx'} body=${JSON.stringify(shown + more)}`;
  };
  return Object.assign(request, { [fc.toStringMethod]: text });
}

// ---------------------------------------------------------------------------------------------------------
// Forms, signatures and how the server parses a body

type Params = Record<string, string>;
type ParsedParams = Record<string, string | string[]>;

function sign(authToken: string, url: string, params: ParsedParams): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/**
 * The parameters as the server's parser (body-parser → qs, depth 0, duplicates combined) will see `body`, so
 * that a signature over them passes and the request reaches validation. Keys with brackets are left out of
 * the cases that rely on this: qs gives them meaning.
 */
function asServerParses(body: string, charset: 'utf-8' | 'iso-8859-1' = 'utf-8'): ParsedParams {
  const decode = (text: string) => {
    const plain = text.replace(/\+/g, ' ');
    if (charset === 'iso-8859-1') {
      return plain.replace(/%[0-9a-f]{2}/gi, (hex) => String.fromCharCode(Number.parseInt(hex.slice(1), 16)));
    }
    try {
      return decodeURIComponent(plain);
    } catch {
      return plain;
    }
  };
  const params: ParsedParams = {};
  if (body === '') return params;
  for (const part of body.split('&')) {
    const equals = part.indexOf('=');
    const key = decode(equals === -1 ? part : part.slice(0, equals));
    const value = equals === -1 ? '' : decode(part.slice(equals + 1));
    if (key === '' || key === '__proto__') continue;
    const existing = Object.hasOwn(params, key) ? params[key] : undefined;
    params[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return params;
}

const formType = 'application/x-www-form-urlencoded';
const utf8 = (text: string) => new TextEncoder().encode(text);
const formBody = (entries: [string, string][]) => new URLSearchParams(entries).toString();

function signedPost(
  label: string,
  body: string,
  options: {
    authToken?: string | undefined;
    signedUrl?: string;
    signedParams?: ParsedParams;
    path?: string;
    contentType?: string;
    bytes?: Uint8Array;
    headers?: [string, string][];
    chunked?: boolean;
    expected?: number | undefined;
  } = {},
): HttpCase {
  const headers: [string, string][] = [['Content-Type', options.contentType ?? formType]];
  if (options.authToken !== undefined) {
    const params = options.signedParams ?? asServerParses(body);
    headers.push(['X-Twilio-Signature', sign(options.authToken, options.signedUrl ?? publicUrl, params)]);
  }
  headers.push(...(options.headers ?? []));
  return described({
    label,
    method: 'POST',
    path: options.path ?? callbackPath,
    headers,
    body: options.bytes ?? utf8(body),
    ...(options.chunked ? { chunked: true } : {}),
    ...(options.expected === undefined ? {} : { expected: options.expected }),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Values: valid callbacks, and values each field must refuse

const knownFields = new Set([
  'AccountSid',
  'CallSid',
  'ConferenceSid',
  'RecordingSid',
  'RecordingUrl',
  'RecordingStatus',
  'RecordingDuration',
  'RecordingChannels',
  'RecordingStartTime',
  'RecordingSource',
  'RecordingTrack',
  'ErrorCode',
]);
const statuses = ['in-progress', 'completed', 'absent', 'failed'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Words V8's date parser knows by their first three letters: not usable as an invalid month. */
const dateWords = new Set([...months.map((m) => m.toLowerCase()), 'utc', 'gmt', 'est', 'edt', 'cst']);
for (const word of ['cdt', 'mst', 'mdt', 'pst', 'pdt']) dateWords.add(word);

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
type SidPrefix = 'AC' | 'CA' | 'RE' | 'CF';
const sid = (prefix: SidPrefix) => hex(32).map((digits) => prefix + digits);
const pad2 = (n: number) => String(n).padStart(2, '0');

/** Anything at all: random unicode (lone surrogates included), control characters, injection classics. */
const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '\r\n',
    '%00',
    '<script>alert(1)</script>',
    "' OR '1'='1",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, meant literally
    '${jndi:ldap://x}',
    '../../etc/passwd',
    '[object Object]',
    'null',
    '\u202e',
    '\ufeff',
    'x'.repeat(5_000),
  ),
);

function callbackParams(status: fc.Arbitrary<string>): fc.Arbitrary<Params> {
  return fc
    .record(
      {
        CallSid: sid('CA'),
        RecordingSid: sid('RE'),
        RecordingStatus: status,
        RecordingUrl: fc.constant('https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE'),
        RecordingDuration: fc.integer({ min: 0, max: 7 * 24 * 3600 }).map(String),
        RecordingChannels: fc.constantFrom('1', '2'),
        RecordingStartTime: fc
          .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
          .map((date) => date.toUTCString()),
        RecordingSource: fc.constantFrom('DialVerb', 'RecordVerb', 'Conference', 'OutboundAPI', 'Trunking'),
        RecordingTrack: fc.constantFrom('both', 'inbound', 'outbound'),
        ErrorCode: fc.constantFrom('0', '16101', '16102', ''),
        ConferenceSid: fc.oneof(sid('CF'), fc.constant('')),
      },
      { requiredKeys: ['CallSid', 'RecordingSid', 'RecordingStatus'] },
    )
    .map((fields) => {
      const params: Params = { AccountSid: account };
      for (const [key, value] of Object.entries(fields)) if (value !== undefined) params[key] = value;
      return params;
    });
}

const badSid = (prefix: SidPrefix) => {
  const valid = new RegExp(`^${prefix}[0-9a-f]{32}$`);
  const replaceAt = ([digits, at, char]: [string, number, string]) =>
    prefix + digits.slice(0, at) + char + digits.slice(at + 1);
  return fc
    .oneof(
      fc.tuple(fc.stringMatching(/^[A-Za-z]{2}$/), hex(32)).map(([other, digits]) => other + digits),
      fc.tuple(hex(32), fc.nat(31), fc.constantFrom(...'ABCDEF')).map(replaceAt),
      fc.tuple(hex(32), fc.nat(31), fc.constantFrom(...'gGxz-_ .:é٣\u0000\n')).map(replaceAt),
      fc
        .integer({ min: 0, max: 64 })
        .filter((n) => n !== 32)
        .chain(hex)
        .map((digits) => prefix + digits),
      sid(prefix).chain((s) =>
        fc.constantFrom(` ${s}`, `${s} `, `${s}\n`, `${s}\u0000`, s + s, prefix.toLowerCase() + s.slice(2)),
      ),
      junk,
    )
    .filter((value) => value !== '' && !valid.test(value));
};

const badStatus = fc
  .oneof(
    fc.constantFrom(
      'Completed',
      'COMPLETED',
      ' completed',
      'completed ',
      'completed\n',
      'complete',
      'in_progress',
    ),
    fc.constantFrom('inprogress', '', 'success', 'completed,completed', 'completed\u0000', 'deleted'),
    junk,
  )
  .filter((value) => !statuses.includes(value));

const isWholeSeconds = (value: string) => /^\d{1,9}$/.test(value) && Number(value) <= 7 * 24 * 3600;
const badDuration = fc
  .oneof(
    fc.integer({ min: -1_000_000_000, max: -1 }).map(String),
    fc.integer({ min: 7 * 24 * 3600 + 1, max: 999_999_999 }).map(String),
    fc.stringMatching(/^[1-9]\d{9,30}$/),
    fc.double({ noNaN: false }).map(String),
    fc.constantFrom(
      '1e3',
      '0x10',
      '4.2',
      ' 42',
      '42 ',
      '+42',
      '٤٢',
      '４２',
      'NaN',
      'Infinity',
      '-0',
      '1_000',
    ),
    junk,
  )
  .filter((value) => value !== '' && !isWholeSeconds(value));

const badChannels = fc
  .oneof(
    fc.constantFrom('0', '3', '-1', '01', '1.0', ' 1', '2 ', 'two', '１'),
    fc.integer().map(String),
    junk,
  )
  .filter((value) => !['', '1', '2'].includes(value));

/** Dates the app must refuse: wrong shape, or a field V8 cannot read (hour 25+, minute 60+, day 0 or 32+). */
const badDate = fc
  .oneof(
    fc.constantFrom(
      'yesterday',
      '2026-11-24T03:00:00Z',
      'Tue, 24 Nov 2026 03:00:00',
      'Tue, 24 Nov 2026 03:00 +0000',
      'Tue 24 Nov 2026 03:00:00 +0000',
      '1795575600',
      'Tue, 24 Nov 26 03:00:00 +0000',
      'Tue, 24 Nov 2026 03:00:00 EST',
      'Tue, 24 Nov 2026 03:00:00 +0000 ',
      ' Tue, 24 Nov 2026 03:00:00 +0000',
      'Tue, 24 Nov 2026 03:00:00 +0000\n',
      'Tuesday, 24 November 2026 03:00:00 +0000',
      'Tue, 24 Nov 2026 03:00:00 +00:00',
      'Tue, 24 Nov -2026 03:00:00 +0000',
    ),
    fc
      .record({
        day: fc.oneof(fc.integer({ min: 1, max: 28 }), fc.constant(0), fc.integer({ min: 32, max: 99 })),
        month: fc.oneof(
          fc.constantFrom(...months),
          fc.stringMatching(/^[A-Za-z]{3}$/).filter((m) => !dateWords.has(m.toLowerCase())),
        ),
        hour: fc.oneof(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 25, max: 99 })),
        minute: fc.oneof(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 60, max: 99 })),
      })
      .filter(
        ({ day, month, hour, minute }) =>
          day === 0 || day > 31 || !months.includes(month) || hour > 24 || minute > 59,
      )
      .map(
        ({ day, month, hour, minute }) =>
          `Tue, ${pad2(day)} ${month} 2026 ${pad2(hour)}:${pad2(minute)}:00 +0000`,
      ),
    junk,
  )
  .filter((value) => value !== '');

const badWord = (valid: RegExp, tooLong: string) =>
  fc
    .oneof(fc.constantFrom('Dial Verb', 'Dial-Verb', 'DialVerb1', 'Both', 'in bound', tooLong), junk)
    .filter((value) => value !== '' && !valid.test(value));
const badSource = badWord(/^[A-Za-z]{1,64}$/, 'A'.repeat(65));
const badTrack = badWord(/^[a-z_-]{1,32}$/, 'a'.repeat(33));
const badErrorCode = fc
  .oneof(fc.constantFrom('x', '-1', '1234567', '1.5', ' 0', '٠'), junk)
  .filter((value) => value !== '' && !/^\d{1,6}$/.test(value));
const isHttpUrl = (value: string) =>
  value.length <= 2048 && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
const badRecordingUrl = fc
  .oneof(
    fc.constantFrom(
      'ftp://api.twilio.com/x',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/plain,hi',
      'api.twilio.com/x',
      '//api.twilio.com/x',
      'https://',
      'http:// bad',
      `https://api.twilio.com/${'a'.repeat(2_100)}`,
    ),
    junk,
  )
  .filter((value) => value !== '' && !isHttpUrl(value));

interface FieldFault {
  field: string;
  /** undefined: the field is left out. */
  value: string | undefined;
}
const fault = (field: string, values: fc.Arbitrary<string>) =>
  values.map((value): FieldFault => ({ field, value }));
const fieldFault: fc.Arbitrary<FieldFault> = fc.oneof(
  fc
    .constantFrom('AccountSid', 'RecordingSid', 'RecordingStatus')
    .map((field) => ({ field, value: undefined })),
  fault('AccountSid', badSid('AC')),
  fault('RecordingSid', badSid('RE')),
  fault('CallSid', badSid('CA')),
  fault('ConferenceSid', badSid('CF')),
  fault('RecordingStatus', badStatus),
  fault('RecordingDuration', badDuration),
  fault('RecordingChannels', badChannels),
  fault('RecordingStartTime', badDate),
  fault('RecordingSource', badSource),
  fault('RecordingTrack', badTrack),
  fault('ErrorCode', badErrorCode),
  fault('RecordingUrl', badRecordingUrl),
);

/** Parameters Twilio does not send, with keys qs reads literally (no brackets, no __proto__). */
const extraEntries = fc.array(
  fc.tuple(
    fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.string({ unit: 'grapheme', maxLength: 10 }),
        fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', 'Signature', 'accountsid'),
      )
      .filter((key) => !knownFields.has(key) && !/[[\]]/.test(key) && key !== '__proto__'),
    junk,
  ),
  { maxLength: 6 },
);

/** A callback with 1–3 faulty fields: it must be refused however it is signed. */
interface InvalidCallback {
  entries: [string, string][];
  /** 403 when AccountSid is at fault (unknown account), else 400. */
  refusedAs: 400 | 403;
}
const invalidCallback: fc.Arbitrary<InvalidCallback> = fc
  .record({
    params: callbackParams(fc.constantFrom(...statuses)),
    extra: extraEntries,
    faults: fc.array(fieldFault, { minLength: 1, maxLength: 3 }),
  })
  .map(({ params, extra, faults }) => {
    const faulty = { ...params };
    for (const { field, value } of faults) {
      if (value === undefined) delete faulty[field];
      else faulty[field] = value;
    }
    return {
      entries: [...extra, ...Object.entries(faulty)],
      refusedAs: faults.some(({ field }) => field === 'AccountSid') ? 403 : 400,
    };
  });

const validCompleted = callbackParams(fc.constant('completed'));
const accountToken = fc.constantFrom(token, rotatedToken);

// ---------------------------------------------------------------------------------------------------------
// Requests fetch can send

/** Correctly signed, so validation is what must refuse them. */
const signedBadFields = fc
  .tuple(invalidCallback, accountToken)
  .map(([callback, authToken]) =>
    signedPost('signed, bad fields', formBody(callback.entries), { authToken, expected: callback.refusedAs }),
  );

type SignatureFault =
  | { kind: 'random'; signature: string }
  | { kind: 'none' | 'empty' | 'twice' | 'sha256' | 'truncated' | 'appended' | 'lowercased' | 'base64url' }
  | { kind: 'tampered'; field: string; value: string }
  | { kind: 'added'; key: string; value: string }
  | { kind: 'removed'; field: string }
  | { kind: 'url'; url: string }
  | { kind: 'token'; authToken: string }
  | { kind: 'account'; accountSid: string; authToken: string }
  | { kind: 'path'; path: string };

function signatureFault(internalUrl: string): fc.Arbitrary<SignatureFault> {
  return fc.oneof(
    fc
      .base64String({ minLength: 4, maxLength: 64 })
      .map((signature) => ({ kind: 'random' as const, signature })),
    fc
      .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1 })
      .map((signature) => ({ kind: 'random' as const, signature })),
    fc
      .constantFrom('none', 'empty', 'twice', 'sha256', 'truncated', 'appended', 'lowercased', 'base64url')
      .map((kind) => ({ kind })),
    fc
      .tuple(fc.constantFrom(...knownFields), junk)
      .map(([field, value]) => ({ kind: 'tampered' as const, field, value })),
    fc.tuple(junk, junk).map(([key, value]) => ({ kind: 'added' as const, key: `X${key}`, value })),
    fc.constantFrom('CallSid', 'RecordingSid', 'RecordingStatus').map((field) => ({
      kind: 'removed' as const,
      field,
    })),
    fc
      .oneof(
        fc.constantFrom(
          internalUrl,
          'http://vault.example.com/twilio/recording-status',
          'https://evil.example.com/twilio/recording-status',
          `${publicUrl}/`,
          `${publicUrl}?a=1`,
          'https://vault.example.com:8443/twilio/recording-status',
          'https://VAULT.example.com/twilio/recording-status',
          'https://vault.example.com/Twilio/Recording-Status',
          publicBaseUrl,
          '',
        ),
        fc.webUrl({ withQueryParameters: true }),
      )
      .filter((url) => !publicUrlForms.has(url))
      .map((url) => ({ kind: 'url' as const, url })),
    fc
      .oneof(hex(32), fc.constantFrom(otherToken, token.toUpperCase(), `${token} `, '', token.slice(1)))
      .filter((authToken) => authToken !== token && authToken !== rotatedToken)
      .map((authToken) => ({ kind: 'token' as const, authToken })),
    fc
      .tuple(
        fc.oneof(
          sid('AC').filter((s) => !tokensByAccount.has(s)),
          fc.constant(otherAccount),
        ),
        fc.oneof(fc.constantFrom(token, rotatedToken, otherToken), hex(32)),
      )
      .filter(([accountSid, authToken]) => !tokensByAccount.get(accountSid)?.includes(authToken))
      .map(([accountSid, authToken]) => ({ kind: 'account' as const, accountSid, authToken })),
    fc
      .oneof(
        fc.constantFrom(
          `${callbackPath}/`,
          callbackPath.toUpperCase(),
          `${callbackPath}?`,
          `${callbackPath}?a=1`,
          '/Twilio/Recording-Status/',
        ),
        fc.webQueryParameters().map((query) => `${callbackPath}?${query}`),
      )
      .filter((path) => path !== callbackPath)
      .map((path) => ({ kind: 'path' as const, path })),
  );
}

/** A valid, completed callback from a configured account: only its signature is wrong. */
function wronglySigned(internalUrl: string): fc.Arbitrary<HttpCase> {
  return fc
    .tuple(validCompleted, signatureFault(internalUrl))
    .map(([params, sigFault]) => withSignatureFault(params, sigFault));
}

function withSignatureFault(params: Params, sigFault: SignatureFault): HttpCase {
  const body = formBody(Object.entries(params));
  const good = sign(token, publicUrl, params);
  const label = `wrong signature (${sigFault.kind})`;
  const withSignature = (signature: string | undefined, path = callbackPath, sentBody = body) =>
    described<HttpCase>({
      label,
      method: 'POST',
      path,
      headers: [
        ['Content-Type', formType],
        ...(signature === undefined ? [] : ([['X-Twilio-Signature', signature]] as [string, string][])),
        ...(sigFault.kind === 'twice' ? ([['X-Twilio-Signature', good]] as [string, string][]) : []),
      ],
      body: utf8(sentBody),
      expected: 403,
    });
  const differs = (mangled: string) => (mangled === good ? `${good}A` : mangled);
  switch (sigFault.kind) {
    case 'random':
      return withSignature(sigFault.signature);
    case 'none':
      return withSignature(undefined);
    case 'empty':
      return withSignature('');
    case 'twice':
      return withSignature(good);
    case 'sha256':
      return withSignature(
        createHmac('sha256', token)
          .update(
            publicUrl +
              Object.keys(params)
                .sort()
                .map((k) => k + params[k])
                .join(''),
          )
          .digest('base64'),
      );
    case 'truncated':
      return withSignature(good.slice(0, -1));
    case 'appended':
      return withSignature(`${good}=`);
    case 'lowercased':
      return withSignature(differs(good.toLowerCase()));
    case 'base64url':
      return withSignature(differs(good.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')));
    case 'tampered': {
      const value = params[sigFault.field] === sigFault.value ? `${sigFault.value}x` : sigFault.value;
      return withSignature(
        good,
        callbackPath,
        formBody(Object.entries({ ...params, [sigFault.field]: value })),
      );
    }
    case 'added':
      return withSignature(
        good,
        callbackPath,
        formBody([...Object.entries(params), [sigFault.key, sigFault.value]]),
      );
    case 'removed': {
      const { [sigFault.field]: _removed, ...rest } = params;
      return withSignature(good, callbackPath, formBody(Object.entries(rest)));
    }
    case 'url':
      return withSignature(sign(token, sigFault.url, params));
    case 'token':
      return withSignature(sign(sigFault.authToken, publicUrl, params));
    case 'account': {
      const forged = { ...params, AccountSid: sigFault.accountSid };
      return withSignature(
        sign(sigFault.authToken, publicUrl, forged),
        callbackPath,
        formBody(Object.entries(forged)),
      );
    }
    case 'path':
      return withSignature(good, sigFault.path);
  }
}

/** Bodies over 64 KiB, or over 200 parameters, of otherwise valid, correctly signed callbacks. */
const oversized = fc.oneof(
  fc
    .record({
      params: validCompleted,
      size: fc.integer({ min: maxBodyBytes + 1, max: 200 * 1024 }),
      chunked: fc.boolean(),
      authToken: accountToken,
    })
    .map(({ params, size, chunked, authToken }) => {
      const padded = { ...params, Padding: 'x'.repeat(size) };
      return signedPost(`over 64 KiB${chunked ? ', chunked' : ''}`, formBody(Object.entries(padded)), {
        authToken,
        signedParams: padded,
        chunked,
        expected: 413,
      });
    }),
  fc
    .record({ params: validCompleted, count: fc.integer({ min: 200, max: 400 }), authToken: accountToken })
    .map(({ params, count, authToken }) => {
      const entries = [
        ...Object.entries(params),
        ...Array.from({ length: count }, (_, i): [string, string] => [`p${i}`, 'v']),
      ];
      return signedPost('over 200 parameters', formBody(entries), { authToken, expected: 413 });
    }),
);

const emptyBodies = fc.constantFrom(
  signedPost('empty body', '', { expected: 403 }),
  signedPost('empty body', '&&&', { expected: 403 }),
  signedPost('empty body', '=', { expected: 403 }),
  signedPost('empty body', 'AccountSid', { expected: 403 }),
  signedPost('empty body', '', { authToken: token, expected: 403 }),
  signedPost('empty body', '', { contentType: 'application/json', expected: 415 }),
  described<HttpCase>({
    label: 'empty body',
    method: 'POST',
    path: callbackPath,
    headers: [],
    expected: 415,
  }),
);

/** Raw junk spliced into the encoded values: bad percent-escapes or bytes that are not UTF-8. */
const percentJunk = fc.constantFrom(
  '%',
  '%Z',
  '%ZZ',
  '%E0%A4%A',
  '%C3',
  '%C3%28',
  '%ED%A0%80',
  '%F0%9F',
  '%%',
  '%u0041',
  '%0',
  '%G1',
  '%00',
  '+%',
  '%FF%FE',
);
const byteJunk = fc.oneof(
  fc.constantFrom([0x80], [0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]),
  fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 8 }),
);

const badEncoding = fc.oneof(
  fc
    .record({
      callback: invalidCallback,
      junk: fc.array(percentJunk, { minLength: 1, maxLength: 4 }),
      authToken: accountToken,
    })
    .chain(({ callback, junk: pieces, authToken }) =>
      fc
        .array(fc.nat(callback.entries.length - 1), { minLength: pieces.length, maxLength: pieces.length })
        .map((at) => {
          const parts = callback.entries.map(([k, v]) => formBody([[k, v]]));
          pieces.forEach((piece, i) => {
            const index = at[i] ?? 0;
            parts[index] = `${parts[index] ?? ''}${piece}`;
          });
          return signedPost('invalid percent-encoding', parts.join('&'), { authToken });
        }),
    ),
  fc
    .record({
      callback: invalidCallback,
      junk: fc.array(byteJunk, { minLength: 1, maxLength: 4 }),
      authToken: accountToken,
    })
    .map(({ callback, junk: pieces, authToken }) => {
      const parts = callback.entries.map(([k, v]) => Buffer.from(formBody([[k, v]])));
      pieces.forEach((bytes, i) => {
        const index = i % parts.length;
        parts[index] = Buffer.concat([parts[index] ?? Buffer.alloc(0), Buffer.from(bytes)]);
      });
      const bytes = Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from('&'), part])));
      return signedPost('invalid UTF-8', '', {
        authToken,
        bytes,
        signedParams: asServerParses(new TextDecoder().decode(bytes)),
      });
    }),
);

const contentTypes = fc
  .record({
    callback: invalidCallback,
    authToken: accountToken,
    contentType: fc.oneof(
      fc.constantFrom(
        'application/json',
        'text/plain',
        'text/html',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/x-www-form-urlencoded-evil',
        'application/x-www-form-urlencodedx',
        'application/x-www-form-urlencoded;;;',
        'application/x-www-form-urlencoded; charset',
        'application/x-www-form-urlencoded; charset="utf-8',
        'APPLICATION/X-WWW-FORM-URLENCODED',
        'application/*',
        '*/*',
        ' ',
        'x-www-form-urlencoded',
      ),
      fc.stringMatching(/^[a-z]{1,10}\/[a-z.+-]{1,20}(; [a-z]{1,8}=[a-z0-9-]{0,10})?$/),
    ),
  })
  .map(({ callback, authToken, contentType }) =>
    signedPost('other content type', formBody(callback.entries), { authToken, contentType }),
  );

const charsets = fc
  .record({
    callback: invalidCallback,
    authToken: accountToken,
    charset: fc.oneof(
      fc.constantFrom(
        'utf-8',
        'UTF-8',
        'iso-8859-1',
        'ISO-8859-1',
        'latin1',
        'us-ascii',
        'utf-16',
        'utf-16le',
      ),
      fc.constantFrom(
        'utf-32',
        'koi8-r',
        'windows-1252',
        'x-unknown',
        '"utf-8"',
        '',
        'utf8',
        'utf-8; charset=utf-16',
      ),
      fc.stringMatching(/^[a-z0-9-]{1,16}$/),
    ),
  })
  .map(({ callback, authToken, charset }) => {
    const latin1 = /^"?iso-8859-1"?$/i.test(charset);
    const body = formBody(callback.entries);
    return signedPost(`charset ${latin1 ? 'iso-8859-1' : 'other'}`, body, {
      authToken,
      contentType: `${formType}; charset=${charset}`,
      signedParams: asServerParses(body, latin1 ? 'iso-8859-1' : 'utf-8'),
    });
  });

/** A valid completed callback with a known field given twice: qs makes an array of it, never a string. */
const duplicateKeys = fc
  .record({
    params: validCompleted,
    authToken: accountToken,
    repeats: fc.array(fc.tuple(fc.constantFrom(...knownFields), fc.option(junk)), {
      minLength: 1,
      maxLength: 3,
    }),
  })
  .map(({ params, authToken, repeats }) => {
    const present = repeats.filter(([field]) => params[field] !== undefined);
    const [first] = present;
    if (first === undefined) return signedPost('duplicate keys', '', { expected: 403 });
    const entries: [string, string][] = [
      ...Object.entries(params),
      ...present.map(([field, value]): [string, string] => [field, value ?? params[field] ?? '']),
    ];
    const accountTwice = present.some(([field]) => field === 'AccountSid');
    return signedPost('duplicate keys', formBody(entries), { authToken, expected: accountTwice ? 403 : 400 });
  });

/** Keys qs gives meaning to (brackets, prototype names), with values no field accepts. */
const weirdKeys = fc
  .record({
    callback: invalidCallback,
    authToken: accountToken,
    keys: fc.array(
      fc.constantFrom(
        '__proto__',
        '__proto__[AccountSid]',
        'constructor[prototype][x]',
        'prototype',
        '[AccountSid]',
        '[RecordingSid]',
        'AccountSid[]',
        'RecordingStatus[0]',
        'a[b][c][d]',
        '[]',
        'a[',
        ']',
        '__defineGetter__',
        'hasOwnProperty',
      ),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ callback, authToken, keys }) => {
    const raw = [
      ...keys.map((key) => `${encodeURIComponent(key).replace(/%5B/g, '[').replace(/%5D/g, ']')}=%00x`),
    ];
    const body = [formBody(callback.entries), ...raw].join('&');
    return signedPost('keys with brackets or prototype names', body, { authToken });
  });

const contentEncodings = fc
  .record({
    callback: invalidCallback,
    authToken: accountToken,
    encoding: fc.constantFrom(
      'gzip',
      'deflate',
      'br',
      'zstd',
      'compress',
      'x-gzip',
      'gzip, gzip',
      'identity, gzip',
      'GZIP',
      'bogus',
    ),
    payload: fc.constantFrom('compressed', 'garbage', 'bomb'),
    garbage: fc.uint8Array({ minLength: 0, maxLength: 64 }),
  })
  .map(({ callback, authToken, encoding, payload, garbage }) => {
    const body = formBody(callback.entries);
    const compress = (bytes: Uint8Array) =>
      encoding === 'deflate'
        ? deflateSync(bytes)
        : encoding === 'br'
          ? brotliCompressSync(bytes)
          : gzipSync(bytes);
    const bytes =
      payload === 'compressed'
        ? compress(utf8(body))
        : payload === 'bomb'
          ? compress(utf8(`${body}&Padding=${'a'.repeat(4 * 1024 * 1024)}`))
          : garbage;
    return signedPost(`Content-Encoding ${encoding}, ${payload}`, body, {
      authToken,
      bytes,
      headers: [['Content-Encoding', encoding]],
      ...(payload === 'bomb' && ['gzip', 'deflate', 'br', 'GZIP'].includes(encoding)
        ? { expected: 413 }
        : {}),
    });
  });

/** Invalid callbacks signed for the URL with its query, as sent: they pass the signature and reach validation. */
const signedWithQuery = fc
  .record({
    callback: invalidCallback,
    authToken: accountToken,
    query: fc.oneof(
      fc.webQueryParameters(),
      fc.array(fc.tuple(junk, junk), { maxLength: 3 }).map((entries) => formBody(entries)),
      fc.constantFrom('%ZZ', '%', 'a=%C3', '&&', '=', 'bodySHA256=abc', "a='b'", 'a=1;b=2'),
    ),
  })
  .map(({ callback, authToken, query }) => {
    const sent = new URL(`http://127.0.0.1${callbackPath}?${query}`);
    const path = sent.pathname + sent.search;
    return signedPost('signed with a query string', formBody(callback.entries), {
      authToken,
      path,
      signedUrl: publicBaseUrl + path,
      expected: callback.refusedAs,
    });
  });

const otherRoutes = fc.oneof(
  fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD').map((method) =>
    described<HttpCase>({
      label: `${method} on the callback path`,
      method,
      path: callbackPath,
      headers: [],
      expected: 405,
    }),
  ),
  fc
    .tuple(fc.webPath(), validCompleted)
    .filter(([path]) => path.replace(/\/+$/, '').toLowerCase() !== callbackPath)
    .map(([path, params]) =>
      signedPost('POST elsewhere', formBody(Object.entries(params)), {
        authToken: token,
        path: path.startsWith('/') ? path : `/${path}`,
      }),
    ),
);

/** Requests fetch can send, each refused; `internalUrl` is the callback URL as the server is reached. */
export function httpCase(internalUrl: string): fc.Arbitrary<HttpCase> {
  return fc.oneof(
    { arbitrary: signedBadFields, weight: 30 },
    { arbitrary: wronglySigned(internalUrl), weight: 20 },
    { arbitrary: signedWithQuery, weight: 6 },
    { arbitrary: badEncoding, weight: 8 },
    { arbitrary: contentTypes, weight: 5 },
    { arbitrary: charsets, weight: 5 },
    { arbitrary: duplicateKeys, weight: 6 },
    { arbitrary: weirdKeys, weight: 4 },
    { arbitrary: contentEncodings, weight: 4 },
    { arbitrary: emptyBodies, weight: 3 },
    { arbitrary: oversized, weight: 3 },
    { arbitrary: otherRoutes, weight: 3 },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Requests only a raw socket can send

function rawRequest(
  body: string | Uint8Array,
  options: {
    method?: string;
    target?: string;
    version?: string;
    /** Header lines, written as given (so they may carry CR, LF or NUL). */
    lines?: string[];
    contentLength?: string | null;
  } = {},
): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  const lines = [
    `${options.method ?? 'POST'} ${options.target ?? callbackPath} ${options.version ?? 'HTTP/1.1'}`,
    'Host: 127.0.0.1',
    ...(options.lines ?? [`Content-Type: ${formType}`]),
    ...(options.contentLength === null ? [] : [`Content-Length: ${options.contentLength ?? bytes.length}`]),
  ];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bytes]);
}

const signedInvalidBody = fc.tuple(invalidCallback, accountToken).map(([callback, authToken]) => {
  const body = formBody(callback.entries);
  return { body, signature: sign(authToken, publicUrl, asServerParses(body)) };
});

const raw = (
  label: string,
  bytes: Uint8Array,
  mayClose: boolean,
  method = 'POST',
  expected?: number,
): RawCase =>
  described<RawCase>({
    label,
    method,
    chunks: [bytes],
    pauseMs: 0,
    afterSending: 'wait',
    mayClose,
    ...(expected === undefined ? {} : { expected }),
  });

/** CR, LF, NUL and other control bytes inside header values and names. */
const headerInjection = fc
  .record({
    request: signedInvalidBody,
    header: fc.constantFrom('X-Twilio-Signature', 'Content-Type', 'X-Custom', 'Host'),
    injection: fc.oneof(
      fc.constantFrom(
        '\r\nX-Injected: 1',
        '\nX-Injected: 1',
        '\r',
        '\n',
        '\u0000',
        '\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x',
        '\r\nContent-Length: 0',
        '\r\nTransfer-Encoding: chunked',
        '\r\n folded',
        '\r\nX-Twilio-Signature: forged',
        '\u007f',
        '\u00ff',
      ),
      fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)), minLength: 1 }),
    ),
    inName: fc.boolean(),
  })
  .map(({ request, header, injection, inName }) => {
    const values: Record<string, string> = {
      'X-Twilio-Signature': request.signature,
      'Content-Type': formType,
      'X-Custom': 'x',
      Host: '127.0.0.1',
    };
    const lines = Object.entries(values)
      .filter(([name]) => name !== 'Host' || header === 'Host')
      .map(([name, value]) =>
        name !== header
          ? `${name}: ${value}`
          : inName
            ? `${name}${injection}: ${value}`
            : `${name}: ${value}${injection}`,
      );
    return raw('header injection', rawRequest(request.body, { lines }), true);
  });

/** Headers near and past Node's 16 KiB limit, and many headers. */
const longHeaders = fc
  .record({
    request: signedInvalidBody,
    name: fc.constantFrom('X-Twilio-Signature', 'X-Pad', 'Cookie', 'Content-Type'),
    length: fc.oneof(fc.integer({ min: 4_000, max: 15_000 }), fc.integer({ min: 17_000, max: 70_000 })),
    many: fc.integer({ min: 0, max: 400 }),
  })
  .map(({ request, name, length, many }) => {
    const value = name === 'Content-Type' ? `${formType}; x=${'a'.repeat(length)}` : 'A'.repeat(length);
    const lines = [
      ...(name === 'Content-Type' ? [] : [`Content-Type: ${formType}`]),
      `X-Twilio-Signature: ${request.signature}`,
      `${name}: ${value}`,
      ...Array.from({ length: many }, (_, i) => `X-Many-${i}: ${'b'.repeat(20)}`),
    ];
    return raw('long or many headers', rawRequest(request.body, { lines }), false);
  });

const knownMethods = ['POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
/** Odd methods, request targets and versions. */
const requestLines = fc
  .record({
    request: signedInvalidBody,
    method: fc.constantFrom(...knownMethods, 'post', 'FOO', 'CONNECT', 'TRACE', 'PRI', 'POST /'),
    target: fc.constantFrom(
      callbackPath,
      `${callbackPath}/`,
      `${callbackPath}/.`,
      '/twilio/../twilio/recording-status',
      '/twilio/recording%2Dstatus',
      '//twilio/recording-status',
      `${callbackPath};x=1`,
      `${callbackPath}?x=%ZZ`,
      `${callbackPath}?${'q'.repeat(9_000)}`,
      `${callbackPath}%00`,
      `${callbackPath}\u00ff`,
      `http://evil.example.com${callbackPath}`,
      `https://vault.example.com${callbackPath}`,
      `http://[::1]:80${callbackPath}`,
      `a+b.c-d:${callbackPath}`,
      '*',
      'twilio/recording-status',
      '',
    ),
    version: fc.constantFrom(
      'HTTP/1.1',
      'HTTP/1.0',
      'HTTP/2.0',
      'HTTP/9.9',
      'http/1.1',
      'HTTP/1.1 x',
      'HTTP/1.',
    ),
  })
  .map(({ request, method, target, version }) => {
    const wellFormed =
      knownMethods.includes(method) &&
      /^(\/|https?:\/\/)[\x21-\x7e]*$/.test(target) &&
      /^HTTP\/1\.[01]$/.test(version);
    const bytes = rawRequest(request.body, {
      method,
      target,
      version,
      lines: [`Content-Type: ${formType}`, `X-Twilio-Signature: ${request.signature}`],
    });
    return raw(`request line${wellFormed ? '' : ', malformed'}`, bytes, !wellFormed, method);
  });

/** Framing that lies: Content-Length against Transfer-Encoding, bad chunks, lengths that do not match. */
const framing = fc
  .record({
    request: signedInvalidBody,
    kind: fc.constantFrom(
      'CL and TE',
      'two CLs',
      'negative CL',
      'huge CL',
      'non-numeric CL',
      'TE gzip, chunked',
      'TE chunked, gzip',
      'bad chunk size',
      'chunk longer than said',
      'Upgrade',
      'pipelined',
      'CL short',
      'no CL',
      'Expect',
      'Expect 100-continue',
    ),
  })
  .map(({ request, kind }) => {
    const { body, signature } = request;
    const base = [`Content-Type: ${formType}`, `X-Twilio-Signature: ${signature}`];
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const cases: Record<string, [Buffer, boolean]> = {
      'CL and TE': [rawRequest(chunked, { lines: [...base, 'Transfer-Encoding: chunked'] }), true],
      'two CLs': [rawRequest(body, { lines: [...base, `Content-Length: ${body.length + 1}`] }), true],
      'negative CL': [rawRequest(body, { lines: base, contentLength: '-1' }), true],
      'huge CL': [rawRequest(body, { lines: base, contentLength: '99999999999999999999' }), true],
      'non-numeric CL': [rawRequest(body, { lines: base, contentLength: '12abc' }), true],
      'TE gzip, chunked': [
        rawRequest(chunked, { lines: [...base, 'Transfer-Encoding: gzip, chunked'], contentLength: null }),
        true,
      ],
      'TE chunked, gzip': [
        rawRequest(chunked, { lines: [...base, 'Transfer-Encoding: chunked, gzip'], contentLength: null }),
        true,
      ],
      'bad chunk size': [
        rawRequest(`zz\r\n${body}\r\n0\r\n\r\n`, {
          lines: [...base, 'Transfer-Encoding: chunked'],
          contentLength: null,
        }),
        true,
      ],
      'chunk longer than said': [
        rawRequest(`1\r\n${body}\r\n0\r\n\r\n`, {
          lines: [...base, 'Transfer-Encoding: chunked'],
          contentLength: null,
        }),
        true,
      ],
      Upgrade: [rawRequest(body, { lines: [...base, 'Connection: Upgrade', 'Upgrade: websocket'] }), true],
      pipelined: [Buffer.concat(Array.from({ length: 20 }, () => rawRequest(body, { lines: base }))), false],
      'CL short': [
        rawRequest(body, { lines: base, contentLength: String(Math.max(0, body.length - 5)) }),
        true,
      ],
      'no CL': [rawRequest(body, { lines: base, contentLength: null }), true],
      Expect: [rawRequest(body, { lines: [...base, 'Expect: something'] }), false],
      'Expect 100-continue': [rawRequest(body, { lines: [...base, 'Expect: 100-continue'] }), false],
    };
    const [bytes, mayClose] = cases[kind] ?? [Buffer.alloc(0), true];
    return raw(`framing: ${kind}`, bytes, mayClose);
  });

/** Requests only a raw socket can send, each refused or, where `mayClose`, cut. */
export const rawCase = fc.oneof(headerInjection, longHeaders, requestLines, framing);

/**
 * Slow clients: a whole request trickled in, or a request stalled or cut at a random byte. A trickled
 * request is paced to arrive whole within the server's `requestTimeoutMs`.
 */
export function slowCase(requestTimeoutMs: number): fc.Arbitrary<RawCase> {
  return fc
    .record({
      request: signedInvalidBody,
      kind: fc.constantFrom('trickle', 'stall', 'cut', 'idle', 'no final chunk'),
      cutAt: fc.double({ min: 0, max: 1, noNaN: true }),
      chunkSize: fc.integer({ min: 1, max: 64 }),
      pauseMs: fc.integer({ min: 5, max: 50 }),
    })
    .map(({ request, kind, cutAt, chunkSize, pauseMs }) => {
      const lines = [`Content-Type: ${formType}`, `X-Twilio-Signature: ${request.signature}`];
      const bytes = rawRequest(request.body, { lines });
      if (kind === 'no final chunk') {
        const unfinished = `${request.body.length.toString(16)}\r\n${request.body}\r\n`;
        const chunked = rawRequest(unfinished, {
          lines: [...lines, 'Transfer-Encoding: chunked'],
          contentLength: null,
        });
        return described<RawCase>({
          label: 'slow: no final chunk',
          method: 'POST',
          chunks: [chunked],
          pauseMs: 0,
          afterSending: 'wait',
          mayClose: true,
        });
      }
      if (kind === 'idle') {
        return described<RawCase>({
          label: 'slow: idle',
          method: 'POST',
          chunks: [],
          pauseMs: 0,
          afterSending: 'wait',
          mayClose: true,
        });
      }
      const cut = Math.max(1, Math.min(bytes.length - 1, Math.floor(cutAt * bytes.length)));
      const sent = kind === 'trickle' ? bytes : bytes.subarray(0, cut);
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < sent.length; at += chunkSize) chunks.push(sent.subarray(at, at + chunkSize));
      return described<RawCase>({
        label: `slow: ${kind}${kind === 'trickle' ? '' : sent.includes('\r\n\r\n') ? ' in the body' : ' in the headers'}`,
        method: 'POST',
        chunks,
        // A trickled request must still arrive whole within the request timeout.
        pauseMs:
          kind === 'trickle' ? Math.min(pauseMs, Math.floor(requestTimeoutMs / 3 / chunks.length)) : pauseMs,
        afterSending: kind === 'cut' ? 'end' : 'wait',
        mayClose: kind !== 'trickle',
      });
    });
}

/**
 * RFC 5322 dates that name no real instant. V8's Date.parse does not refuse them: it rolls them over
 * (31 Feb → 3 Mar, 24:00 → next day), drops seconds over 59, reads year 0049 as 2049 and zone +0060 as one
 * hour. A schema that trusted Date.parse would enqueue a completed callback carrying one with a start time
 * other than the one sent.
 */
const impossibleDate = fc
  .record({
    kind: fc.constantFrom('day', 'hour', 'second', 'year', 'zone'),
    monthDay: fc.constantFrom(
      ['Feb', 29],
      ['Feb', 30],
      ['Feb', 31],
      ['Apr', 31],
      ['Jun', 31],
      ['Sep', 31],
      ['Nov', 31],
    ),
    second: fc.integer({ min: 61, max: 99 }),
    year: fc.integer({ min: 0, max: 1899 }),
    zoneMinutes: fc.integer({ min: 60, max: 99 }),
  })
  .map(({ kind, monthDay: [month, day], second, year, zoneMinutes }) => {
    const parts = { day: '24', month: 'Nov', year: '2026', time: '03:00:00', zone: '+0000' };
    if (kind === 'day') Object.assign(parts, { day: String(day), month });
    if (kind === 'hour') parts.time = '24:00:00';
    if (kind === 'second') parts.time = `03:00:${second}`;
    if (kind === 'year') parts.year = String(year).padStart(4, '0');
    if (kind === 'zone') parts.zone = `+00${zoneMinutes}`;
    return `Tue, ${parts.day} ${parts.month} ${parts.year} ${parts.time} ${parts.zone}`;
  });

/** A valid completed callback, correctly signed, whose RecordingStartTime names no real instant: 400. */
export const impossiblyDated: fc.Arbitrary<HttpCase> = fc
  .tuple(validCompleted, impossibleDate)
  .map(([params, startTime]) =>
    signedPost('impossible date', formBody(Object.entries({ ...params, RecordingStartTime: startTime })), {
      authToken: token,
      expected: 400,
    }),
  );
