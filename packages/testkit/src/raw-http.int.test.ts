import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOn } from './free-port.ts';
import { sendRawHttp } from './raw-http.ts';

/**
 * Answers what it received, in JSON; `/chunked` answers in chunks, `/never` not at all. Connections stay open
 * long after an answer, so a client that waited for the close to end an answer would report a hang.
 */
function echoServer(): Server {
  const server = createHttpServer(async (request, response) => {
    if (request.url === '/never') return;
    const parts: Buffer[] = [];
    try {
      for await (const part of request) parts.push(part as Buffer);
    } catch {
      return; // the client went away mid-body
    }
    const echo = JSON.stringify({
      method: request.method,
      url: request.url,
      version: request.httpVersion,
      headers: request.headers,
      body: Buffer.concat(parts).toString('utf8'),
    });
    if (request.url === '/chunked') {
      response.write(echo.slice(0, 10));
      response.end(echo.slice(10));
      return;
    }
    response.setHeader('Content-Type', 'application/json');
    response.setHeader('Content-Length', Buffer.byteLength(echo));
    response.end(request.method === 'HEAD' ? undefined : echo);
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

const bytes = (text: string) => Buffer.from(text, 'latin1');
const post = (path: string, body: string, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('sendRawHttp', () => {
  let server: Server;
  let port: number;
  let resetting: TcpServer;
  let resettingPort: number;
  beforeAll(async () => {
    server = echoServer();
    port = await listenOn(server, 0);
    resetting = createTcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    resetting.listen(0, '127.0.0.1');
    await new Promise((resolve) => resetting.once('listening', resolve));
    resettingPort = (resetting.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => resetting.close(resolve));
  });

  it('writes a request line, headers and a body as given, and reads the answer', async () => {
    const outcome = await sendRawHttp(port, {
      method: 'POST',
      chunks: [bytes(post('/echo?a=1', 'hello', 'X-Custom: one\r\nX-Custom: two\r\n'))],
    });
    expect(outcome).toMatchObject({ kind: 'answer', status: 200 });
    if (outcome.kind !== 'answer') return;
    expect(outcome.headers['content-type']).toBe('application/json');
    expect(JSON.parse(outcome.body)).toMatchObject({
      method: 'POST',
      url: '/echo?a=1',
      version: '1.1',
      headers: { host: 'x', 'x-custom': 'one, two' },
      body: 'hello',
    });
  });

  it('skips an interim 100 Continue and reads a chunked answer', async () => {
    const outcome = await sendRawHttp(port, {
      method: 'POST',
      chunks: [bytes(post('/chunked', 'hi', 'Expect: 100-continue\r\n'))],
    });
    expect(outcome).toMatchObject({
      kind: 'answer',
      status: 200,
      headers: { 'transfer-encoding': 'chunked' },
    });
    if (outcome.kind === 'answer') expect(JSON.parse(outcome.body)).toMatchObject({ body: 'hi' });
  });

  it('reads the answer to HEAD without waiting for a body', async () => {
    const outcome = await sendRawHttp(port, {
      method: 'HEAD',
      chunks: [bytes('HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n')],
    });
    expect(outcome).toMatchObject({ kind: 'answer', status: 200, body: '' });
  });

  it('sends a malformed request that fetch refuses to send, and reads the refusal', async () => {
    expect(() => new Headers([['X-Injected', 'a\r\nb']])).toThrow(TypeError);
    const outcome = await sendRawHttp(port, {
      method: 'POST',
      chunks: [bytes(post('/echo', 'x', 'X-Injected: a\rb\r\n'))],
    });
    // Node's own answer to what its parser refuses: a 400 without a body, then the connection closes.
    expect(outcome).toMatchObject({ kind: 'answer', status: 400, body: '' });
  });

  it('trickles requests in pieces, in order, even with many trickling at once', async () => {
    const body = 'slowly, byte by byte';
    const chunks = Array.from(bytes(post('/echo', body)), (byte) => Uint8Array.of(byte));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => sendRawHttp(port, { method: 'POST', chunks, pauseMs: 2 })),
    );
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ kind: 'answer', status: 200 });
      if (outcome.kind === 'answer') expect(JSON.parse(outcome.body)).toMatchObject({ body });
    }
  });

  const halfBody = bytes('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');

  it('reports a hang when the server neither answers nor closes', async () => {
    const stalled = await sendRawHttp(port, { method: 'POST', chunks: [halfBody] }, { hangAfterMs: 200 });
    expect(stalled).toEqual({ kind: 'hung' });
    const unanswered = await sendRawHttp(
      port,
      { method: 'GET', chunks: [bytes('GET /never HTTP/1.1\r\nHost: x\r\n\r\n')] },
      { hangAfterMs: 200 },
    );
    expect(unanswered).toEqual({ kind: 'hung' });
  });

  it('half-closes after the last piece when asked: the server sees a request cut short', async () => {
    const outcome = await sendRawHttp(port, { method: 'POST', chunks: [halfBody], afterSending: 'end' });
    expect(outcome).toMatchObject({ kind: 'answer', status: 400 });
  });

  it('reports a reset as a close, with its code', async () => {
    const outcome = await sendRawHttp(resettingPort, {
      method: 'GET',
      chunks: [bytes('GET / HTTP/1.1\r\n\r\n')],
    });
    expect(outcome).toEqual({ kind: 'closed', detail: 'ECONNRESET' });
  });
});
