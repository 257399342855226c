import type { AuthKind } from './basic-auth.ts';
import type { FaultKind, FaultRoute } from './faults.ts';

export type LoggedRoute = FaultRoute | 'unknown';

export interface RequestLogEntry {
  /** 1, 2, 3… in arrival order, across both origins. */
  seq: number;
  /** Arrival time, epoch milliseconds. */
  at: number;
  method: string;
  /** The Host header: which origin (regional host) the client called. */
  host: string;
  route: LoggedRoute;
  path: string;
  query: Record<string, string>;
  accountSid: string | null;
  /** For a transcription's requests, the recording it belongs to (when the emulator knows it). */
  recordingSid: string | null;
  /** For `transcription` and `delete-transcription`: the transcription addressed. */
  transcriptionSid?: string;
  /** Status sent; 0 while the response has not started, or when the connection was reset before it. */
  status: number;
  auth: AuthKind;
  /** The fault that ended the request, or `latency` when a delay was the only one. */
  fault?: FaultKind;
  latencyMs?: number;
  /** Body bytes handed to the socket. */
  bytesSent: number;
}

export interface RequestLog {
  readonly entries: readonly RequestLogEntry[];
  start(entry: Omit<RequestLogEntry, 'seq' | 'status' | 'bytesSent'>): RequestLogEntry;
  reset(): void;
}

export function createRequestLog(): RequestLog {
  let entries: RequestLogEntry[] = [];
  let seq = 0;
  return {
    get entries() {
      return entries;
    },
    start(fields) {
      const entry: RequestLogEntry = { seq: ++seq, status: 0, bytesSent: 0, ...fields };
      entries.push(entry);
      return entry;
    },
    reset() {
      entries = [];
    },
  };
}
