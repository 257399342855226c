import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { createStore, type StoreConfig } from '@recording-vault/storage';

/**
 * The ceiling bench/read.ts measures the recordings API against: a plain streaming proxy of the same store.
 * `GET /<key>` streams the object at that key; no authentication, no index, no record or hash check, no
 * access log. BENCH_STORE is the store's configuration as JSON, PORT where to listen on 127.0.0.1.
 */
const store = createStore(JSON.parse(process.env.BENCH_STORE ?? '{}') as StoreConfig);

const server = createServer(async (req, res) => {
  const key = decodeURIComponent((req.url ?? '/').slice(1));
  let body: Awaited<ReturnType<typeof store.get>>;
  try {
    body = await store.get(key);
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': key.endsWith('.mp3') ? 'audio/mpeg' : 'audio/x-wav' });
  // A client that goes away mid-body is not this proxy's problem.
  await pipeline(body, res).catch(() => undefined);
});
server.listen(Number(process.env.PORT), '127.0.0.1');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
