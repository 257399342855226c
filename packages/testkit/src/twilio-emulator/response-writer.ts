import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BodyFault } from './faults.ts';
import type { RequestLogEntry } from './request-log.ts';

const RESET_GRACE_MS = 20;

export interface BodyResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  /** The body's exact size: sent as Content-Length even when a fault cuts the body short. */
  length: number;
  chunks: Iterable<Buffer>;
  /** HEAD: the head only. */
  headOnly?: boolean;
  fault?: BodyFault | null;
}

/**
 * Writes a response from a lazy chunk source, honouring backpressure so a slow client never makes the
 * emulator buffer a whole file. A body fault sends part of the body, then resets or closes the socket.
 */
export async function sendBody(
  res: ServerResponse,
  entry: RequestLogEntry,
  response: BodyResponse,
): Promise<void> {
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(response.length) });
  entry.status = response.status;
  if (response.headOnly) {
    res.end();
    return;
  }
  const fault = response.fault ?? null;
  if (fault?.kind === 'trickle') return await trickle(res, entry, response.chunks, fault);
  const limit = fault
    ? Math.min(response.length, fault.afterBytes ?? Math.floor(response.length / 2))
    : Infinity;
  if (fault) res.flushHeaders();
  let sent = 0;
  let lastWrite: Promise<void> = Promise.resolve();
  for (const chunk of response.chunks) {
    if (res.destroyed) return;
    const piece = sent + chunk.length > limit ? chunk.subarray(0, limit - sent) : chunk;
    if (piece.length > 0) {
      sent += piece.length;
      entry.bytesSent = sent;
      const written = Promise.withResolvers<void>();
      lastWrite = written.promise;
      if (!res.write(piece, () => written.resolve()) && !(await drained(res))) return;
    }
    if (sent >= limit) break;
  }
  if (!fault) {
    res.end();
    return;
  }
  const socket = res.socket;
  if (!socket) return;
  if (fault.kind === 'truncate') {
    // end() flushes what was written, then sends FIN: the client sees fewer bytes than Content-Length.
    socket.end();
    return;
  }
  // RST makes the peer's kernel drop what it has not read yet, so give the client a moment to read the
  // partial body first: it then sees the head, some bytes, and ECONNRESET.
  await Promise.race([lastWrite, new Promise((resolve) => res.once('close', resolve))]);
  await sleep(RESET_GRACE_MS);
  if (!socket.destroyed) socket.resetAndDestroy();
}

/** Writes the body a few bytes at a time until it is sent or the client goes away. */
async function trickle(
  res: ServerResponse,
  entry: RequestLogEntry,
  chunks: Iterable<Buffer>,
  fault: Extract<BodyFault, { kind: 'trickle' }>,
): Promise<void> {
  res.flushHeaders();
  const step = fault.bytes ?? 1;
  for (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; offset += step) {
      await sleep(fault.intervalMs);
      if (res.destroyed || res.writableEnded) return;
      const piece = chunk.subarray(offset, offset + step);
      res.write(piece);
      entry.bytesSent += piece.length;
    }
  }
  res.end();
}

export function sendJson(
  res: ServerResponse,
  entry: RequestLogEntry,
  status: number,
  body: unknown,
  options: { headers?: OutgoingHttpHeaders; fault?: BodyFault | null } = {},
): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(body));
  return sendBody(res, entry, {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...options.headers },
    length: bytes.length,
    chunks: [bytes],
    fault: options.fault ?? null,
  });
}

function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve(true);
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      resolve(false);
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
