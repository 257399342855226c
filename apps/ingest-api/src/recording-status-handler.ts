import type { ArchiveJob, RearmLog } from '@recording-vault/contract';
import type { EnqueueArchive } from './archive-enqueuer.ts';
import { describeInvalidCallback, RecordingStatusCallback } from './recording-status-callback.ts';
import { NotReplicatedError } from './replicated-writes.ts';
import { isSignedByTwilio } from './signature.ts';

/** What became of one recording status callback; the HTTP adapter turns it into an answer. */
export type CallbackOutcome =
  /** Not signed by Twilio for a configured account: one answer for every cause, the cause for the log. */
  | {
      kind: 'refused';
      cause: 'unknown account' | 'missing signature' | 'invalid signature';
      accountSid?: string;
    }
  /** Signed, but a parameter is not what Twilio sends. */
  | { kind: 'invalid'; field: string; reason: string }
  /** A status with nothing to archive (in-progress, absent, failed). */
  | { kind: 'ignored'; facts: CallbackFacts }
  /**
   * Redis holds the archive job (a duplicate lands on the job already there), on the replicas required too,
   * after `enqueueSeconds`.
   */
  | { kind: 'enqueued'; facts: CallbackFacts; enqueueSeconds: number }
  /** Redis did not acknowledge the job in time: the callback must not be acknowledged either. */
  | { kind: 'unavailable'; facts: CallbackFacts; error: unknown }
  /**
   * The primary holds the job, but fewer replicas than required do (INGEST_MIN_REPLICAS): a failover now
   * could lose it, so the callback is not acknowledged.
   */
  | { kind: 'unreplicated'; facts: CallbackFacts; error: NotReplicatedError };

export interface CallbackFacts {
  recordingSid: string;
  status: string;
  errorCode: string | undefined;
}

export interface CallbackRequest {
  /** The form parameters as received. */
  params: Record<string, unknown>;
  /** The `X-Twilio-Signature` header. */
  signature: string | undefined;
  /** The public URL Twilio called (configured origin + the request's path and query). */
  url: string;
  /** Told when a failed archive job of the recording is re-armed. */
  log?: RearmLog | undefined;
}

export interface RecordingStatusDeps {
  /** Accepted auth tokens per configured account. */
  tokensByAccount: ReadonlyMap<string, readonly string[]>;
  enqueueArchive: EnqueueArchive;
}

/**
 * A recording status callback, from its parameters, signature and URL to its outcome: the signature is
 * checked before anything is read, the parameters are validated, and a completed recording becomes one
 * durable archive job. No HTTP here: the Express adapter in app.ts answers, counts and logs.
 */
export function createRecordingStatusHandler(deps: RecordingStatusDeps) {
  return async function handleRecordingStatus(request: CallbackRequest): Promise<CallbackOutcome> {
    const { params, signature } = request;
    const accountSid = typeof params.AccountSid === 'string' ? params.AccountSid : undefined;
    const tokens = accountSid ? deps.tokensByAccount.get(accountSid) : undefined;
    if (!tokens) return { kind: 'refused', cause: 'unknown account' };
    if (!signature)
      return { kind: 'refused', cause: 'missing signature', ...(accountSid ? { accountSid } : {}) };
    if (!isSignedByTwilio({ signature, url: request.url, params, tokens })) {
      return { kind: 'refused', cause: 'invalid signature', ...(accountSid ? { accountSid } : {}) };
    }

    const parsed = RecordingStatusCallback.safeParse(params);
    if (!parsed.success) return { kind: 'invalid', ...describeInvalidCallback(parsed.error) };
    const callback = parsed.data;
    const facts = {
      recordingSid: callback.RecordingSid,
      status: callback.RecordingStatus,
      errorCode: callback.ErrorCode,
    };
    if (callback.RecordingStatus !== 'completed') return { kind: 'ignored', facts };
    const started = performance.now();
    try {
      await deps.enqueueArchive(archiveJobFrom(callback), request.log);
    } catch (error) {
      if (error instanceof NotReplicatedError) return { kind: 'unreplicated', facts, error };
      return { kind: 'unavailable', facts, error };
    }
    return { kind: 'enqueued', facts, enqueueSeconds: (performance.now() - started) / 1000 };
  };
}

/**
 * Identifiers and callback facts only (no URL, no signature): job data is visible in Redis and the
 * dashboard. Absent facts are undefined and vanish when BullMQ serialises the data.
 */
function archiveJobFrom(callback: RecordingStatusCallback): ArchiveJob {
  return {
    accountSid: callback.AccountSid,
    recordingSid: callback.RecordingSid,
    callSid: callback.CallSid,
    origin: 'callback',
    callback: {
      status: callback.RecordingStatus,
      duration: callback.RecordingDuration,
      channels: callback.RecordingChannels,
      startTime: callback.RecordingStartTime,
      source: callback.RecordingSource,
      track: callback.RecordingTrack,
      errorCode: callback.ErrorCode,
      conferenceSid: callback.ConferenceSid,
      receivedAt: new Date().toISOString(),
    },
  };
}
