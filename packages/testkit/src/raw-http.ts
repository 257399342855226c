import { connect } from 'node:net';

/** What came of a request: an answer, a connection closed without one, or neither before the deadline. */
export type HttpOutcome =
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'closed'; detail?: string }
  | { kind: 'hung' };

/**
 * Bytes written on a fresh connection exactly as given, so they may be what Node's http client and fetch
 * refuse to send: CR, LF or NUL in a header, lying framing, a malformed request line, half a request.
 */
export interface RawHttpRequest {
  /** The request's method, only to read the answer: an answer to HEAD has no body. */
  method: string;
  chunks: Uint8Array[];
  /** Pause before each chunk after the first (default 0). */
  pauseMs?: number;
  /** After the last chunk: wait for the server (default), or half-close the socket. */
  afterSending?: 'wait' | 'end';
}

export interface RawHttpOptions {
  host?: string;
  /** A request neither answered nor closed by then is a hang (default 10 s). */
  hangAfterMs?: number;
}

/** Writes a raw request and reads the first final answer, or notes that the server closed or hung. */
export function sendRawHttp(
  port: number,
  request: RawHttpRequest,
  options: RawHttpOptions = {},
): Promise<HttpOutcome> {
  const { host = '127.0.0.1', hangAfterMs = 10_000 } = options;
  return new Promise((resolve) => {
    // No Nagle: each chunk leaves when it is written, so a trickled request arrives as trickled.
    const socket = connect({ port, host, noDelay: true });
    let received = Buffer.alloc(0);
    let failure: string | undefined;
    let settled = false;
    let pause: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const settle = (outcome: HttpOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(pause);
      socket.destroy();
      resolve(outcome);
    };
    deadline = setTimeout(() => settle({ kind: 'hung' }), hangAfterMs);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure = error.code ?? error.message;
    });
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const answer = parseAnswer(received, request.method, false);
      if (answer) settle(answer);
    });
    socket.on('close', () =>
      settle(
        parseAnswer(received, request.method, true) ??
          (failure === undefined ? { kind: 'closed' } : { kind: 'closed', detail: failure }),
      ),
    );
    // Each chunk is written a pause after the one before it, never on a timer of its own: timers set all
    // at once may fire out of order, which would garble a trickled request.
    const writeFrom = (index: number) => {
      if (!socket.writable) return;
      const chunk = request.chunks[index];
      if (chunk !== undefined) socket.write(chunk);
      if (index < request.chunks.length - 1) {
        pause = setTimeout(() => writeFrom(index + 1), request.pauseMs ?? 0);
      } else if (request.afterSending === 'end') {
        socket.end();
      }
    };
    socket.once('connect', () => writeFrom(0));
  });
}

/** The first final (non-1xx) answer in `bytes`, once complete; at `closed`, whatever arrived. */
function parseAnswer(bytes: Buffer, method: string, closed: boolean): HttpOutcome | undefined {
  let rest = bytes;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = rest.subarray(end + 4);
    if (status >= 100 && status < 200) {
      rest = body;
      continue;
    }
    if (method === 'HEAD') return { kind: 'answer', status, headers, body: '' };
    if (headers['transfer-encoding'] === 'chunked') {
      const decoded = dechunk(body);
      if (decoded !== undefined) return { kind: 'answer', status, headers, body: decoded.toString('utf8') };
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (body.length >= length) {
        return { kind: 'answer', status, headers, body: body.subarray(0, length).toString('utf8') };
      }
    }
    return closed ? { kind: 'answer', status, headers, body: body.toString('utf8') } : undefined;
  }
}

/** A chunked body, once its last chunk has arrived. */
function dechunk(bytes: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (bytes.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
