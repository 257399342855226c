import { Counter, collectDefaultMetrics, Registry } from 'prom-client';

export type RecordingsApiMetrics = ReturnType<typeof createRecordingsApiMetrics>;

export function createRecordingsApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rv_recordings_api_' });
  const registers = [registry];
  return {
    registry,
    reads: new Counter({
      name: 'rv_recordings_api_reads_total',
      help: 'Reads answered 2xx, by what was read (resource, list, media, link) and whether it was a range.',
      labelNames: ['kind', 'range'] as const,
      registers,
    }),
    bytes: new Counter({
      name: 'rv_recordings_api_media_bytes_total',
      help: 'Media bytes sent (for API reads and signed links alike).',
      registers,
    }),
    linksIssued: new Counter({
      name: 'rv_recordings_api_links_issued_total',
      help: 'Signed playback links issued.',
      registers,
    }),
    refusals: new Counter({
      name: 'rv_recordings_api_refusals_total',
      help: 'Requests refused, by HTTP status and reason (unauthenticated, not-archived, link-expired, …).',
      labelNames: ['status', 'reason'] as const,
      registers,
    }),
  };
}
