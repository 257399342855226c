import type { IndexedRecording } from '@recording-vault/archive-index';
import { isStorageNotFound, type ObjectStore } from '@recording-vault/storage';

/** What the recording page shows from a recording's sidecar that the index does not keep. */
export interface SidecarFacts {
  /** Twilio's `source`: DialVerb, Conference, OutboundAPI, RecordVerb, Trunking, StartCallRecordingAPI… */
  source: string | undefined;
  /** When the vault stored it, and what brought it (callback, backfill, reconcile). */
  archivedAt: string | undefined;
  origin: string | undefined;
  /** The public key an encrypted recording was encrypted for (`encryption_details`); never key material. */
  encryptionKeySid: string | undefined;
}

export type SidecarRead = { ok: true; facts: SidecarFacts } | { ok: false; reason: string };

/** A sidecar is a page of JSON; anything much larger is not one the worker wrote. */
const MAX_SIDECAR_BYTES = 1024 * 1024;

/**
 * Reads a recording's sidecar (`<key>.json`) for the facts the index leaves out. The page shows the rest
 * without it, so every failure is a reason in words, never an exception: a missing sidecar, one that is not
 * JSON or describes another recording, or storage that does not answer within `timeoutMs`.
 */
export async function readSidecarFacts(
  store: ObjectStore,
  entry: IndexedRecording,
  timeoutMs: number,
): Promise<SidecarRead> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<SidecarRead>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `storage did not answer within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([read(store, entry), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function read(store: ObjectStore, entry: IndexedRecording): Promise<SidecarRead> {
  let text: string;
  try {
    const body = await store.get(entry.sidecarKey);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > MAX_SIDECAR_BYTES) {
        body.destroy();
        return { ok: false, reason: `its sidecar ${entry.sidecarKey} is larger than a sidecar can be` };
      }
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    if (isStorageNotFound(error)) return { ok: false, reason: `no sidecar at ${entry.sidecarKey}` };
    return {
      ok: false,
      reason: `its sidecar could not be read: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  let sidecar: unknown;
  try {
    sidecar = JSON.parse(text);
  } catch {
    return { ok: false, reason: `its sidecar ${entry.sidecarKey} is not JSON` };
  }
  const recording = field(sidecar, 'recording');
  const archive = field(sidecar, 'archive');
  if (
    field(recording, 'sid') !== entry.recordingSid ||
    field(recording, 'account_sid') !== entry.accountSid
  ) {
    return { ok: false, reason: `its sidecar ${entry.sidecarKey} describes another recording` };
  }
  return {
    ok: true,
    facts: {
      source: stringOf(field(recording, 'source')),
      archivedAt: stringOf(field(archive, 'archivedAt')),
      origin: stringOf(field(archive, 'origin')),
      encryptionKeySid: stringOf(field(field(recording, 'encryption_details'), 'encryption_public_key_sid')),
    },
  };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
