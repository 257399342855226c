import { createServer, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

const parserErrors: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * The HTTP server in front of the ingest app. Twilio gives up after 15 s, so a client slower than that is
 * not Twilio: headers must arrive within 10 s and the whole request within 15 s, checked every second
 * (Node's default check runs every 30 s). Requests Node's parser rejects before the app sees them are
 * answered in JSON too, like every other refusal.
 */
export function createIngestServer(
  app: RequestListener,
  timeouts: { headersMs?: number; requestMs?: number; checkEveryMs?: number } = {},
): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs ?? 10_000,
      requestTimeout: timeouts.requestMs ?? 15_000,
      connectionsCheckingInterval: timeouts.checkEveryMs ?? 1_000,
    },
    app,
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] = parserErrors[error.code ?? ''] ?? [400, 'Bad Request'];
    const body = JSON.stringify({ error: `malformed request: ${reason.toLowerCase()}` });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
