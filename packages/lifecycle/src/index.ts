import type { Server } from 'node:http';

export * from './bearer-token.ts';
export * from './failure-throttle.ts';
export * from './listen.ts';
export * from './within-time.ts';

/**
 * Stops accepting connections and lets the requests in flight finish and be answered. Idle keep-alive
 * sockets close at once; sockets still busy after `graceMs` are closed too, so a stuck client cannot hold
 * the shutdown past the orchestrator's deadline.
 */
export async function closeHttpServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(deadline);
  }
}

/** Runs `stop` once, on the first SIGTERM or SIGINT, then exits 0 (or 1 if stopping failed). */
export function onStopSignal(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handle);
  process.once('SIGINT', handle);
}
