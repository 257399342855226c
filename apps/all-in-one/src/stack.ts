import { type DashboardHandle, startDashboard } from '@recording-vault/dashboard/start';
import { callbackPath, type IngestHandle, startIngest } from '@recording-vault/ingest-api/start';
import { serverOrigin } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { type RecordingsApiHandle, startRecordingsApi } from '@recording-vault/recordings-api/start';
import { startWorker, type WorkerHandle } from '@recording-vault/worker/start';
import type { StackConfig } from './config.ts';

export interface StackUrls {
  /** Where this process receives callbacks. */
  callbacks: string;
  /** The URL Twilio must be given: PUBLIC_BASE_URL plus the callback path, which signatures cover. */
  publicCallbacks: string;
  dashboard: string;
  /** The recordings API (Twilio's read API over the archive), where this process listens. */
  recordingsApi: string;
  /** RECORDINGS_API_PUBLIC_URL, or the address above: what `media_url` and signed links start with. */
  recordingsApiPublic: string;
  metrics: string;
  /** The folder or bucket recordings go to. */
  storage: string;
}

export interface Stack {
  urls: StackUrls;
  /** Stops in the order the separate apps do: no new requests, then no new jobs, then Redis. */
  close(): Promise<void>;
}

/**
 * The ingest API, a worker, the dashboard and the recordings API in one process, each started by the same
 * function as its own app (so the four cannot drift from production), with their own connections and loggers.
 */
export async function startStack({ ingest, worker, dashboard, recordingsApi }: StackConfig): Promise<Stack> {
  const workerApp: WorkerHandle = await startWorker(
    worker,
    createLogger({ name: 'worker', level: worker.LOG_LEVEL }),
  );
  let ingestApp: IngestHandle | undefined;
  let dashboardApp: DashboardHandle | undefined;
  let recordingsApp: RecordingsApiHandle | undefined;
  async function close(): Promise<void> {
    await Promise.all([ingestApp?.close(), dashboardApp?.close(), recordingsApp?.close()]);
    await workerApp.close();
  }
  try {
    ingestApp = await startIngest(ingest, createLogger({ name: 'ingest-api', level: ingest.LOG_LEVEL }));
    recordingsApp = await startRecordingsApi(
      recordingsApi,
      createLogger({ name: 'recordings-api', level: recordingsApi.LOG_LEVEL }),
    );
    // The archive page plays recordings through this API's signed links: same origin, same secret.
    dashboardApp = await startDashboard(
      {
        ...dashboard,
        RECORDINGS_API_PUBLIC_URL: dashboard.RECORDINGS_API_PUBLIC_URL ?? recordingsApp.publicUrl,
        RECORDINGS_LINK_SECRET: dashboard.RECORDINGS_LINK_SECRET ?? recordingsApi.RECORDINGS_LINK_SECRET,
      },
      createLogger({ name: 'dashboard', level: dashboard.LOG_LEVEL }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    urls: {
      callbacks: `${serverOrigin(ingestApp.server)}${callbackPath}`,
      publicCallbacks: ingestApp.publicCallbackUrl,
      dashboard: `${serverOrigin(dashboardApp.server)}/`,
      recordingsApi: recordingsApp.origin,
      recordingsApiPublic: recordingsApp.publicUrl,
      metrics: `${serverOrigin(workerApp.metricsServer)}/metrics`,
      storage: workerApp.storage,
    },
    close,
  };
}
