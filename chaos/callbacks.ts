import { setTimeout as sleep } from 'node:timers/promises';
import {
  callbackParamsFor,
  type RecordingResource,
  sendRecordingStatusCallback,
} from '@recording-vault/testkit';

export type DeliveryKind =
  /** The callback Twilio sends when the recording is done. */
  | 'first'
  /** The same callback again later: Twilio's own retry, a replay. */
  | 'duplicate'
  /** Signed with the wrong token: must be refused (403) and enqueue nothing. */
  | 'forged'
  /** Correctly signed, with a malformed RecordingSid: must be refused (400). */
  | 'malformed';

export interface Delivery {
  recording: RecordingResource;
  status: 'completed' | 'absent';
  kind: DeliveryKind;
  /** When it is sent, in ms from the start of the chaos. */
  dueMs: number;
  /** Each HTTP attempt: the answer's status, 0 when none came. */
  attempts: { sentAt: number; answeredAt: number; status: number }[];
}

/**
 * Sends each delivery when it falls due, at most `concurrency` at a time (a late one goes as soon as a
 * slot is free). Like Twilio, a delivery not answered 2xx is tried once more, after `Retry-After` (at most
 * 5 s), and then given up.
 */
export async function deliverCallbacks(options: {
  url: string;
  authToken: string;
  deliveries: readonly Delivery[];
  startedAt: number;
  concurrency: number;
  signal: AbortSignal;
}): Promise<void> {
  const send = async (delivery: Delivery): Promise<{ status: number; retryAfterMs: number }> => {
    const params = callbackParamsFor(delivery.recording, delivery.status);
    if (delivery.kind === 'malformed') params.RecordingSid = 'RE-not-a-sid';
    const sentAt = Date.now();
    let status = 0;
    let retryAfterMs = 2_000;
    try {
      const response = await sendRecordingStatusCallback({
        url: options.url,
        authToken: delivery.kind === 'forged' ? 'not-the-auth-token' : options.authToken,
        params,
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(15_000)]),
      });
      await response.arrayBuffer();
      status = response.status;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = Math.min(retryAfter, 5) * 1000;
    } catch {
      // no answer: status 0
    }
    delivery.attempts.push({ sentAt, answeredAt: Date.now(), status });
    return { status, retryAfterMs };
  };

  let free = options.concurrency;
  const slotFreed: (() => void)[] = [];
  const running: Promise<void>[] = [];
  for (const delivery of options.deliveries) {
    const due = options.startedAt + delivery.dueMs;
    if (due > Date.now()) await sleep(due - Date.now());
    while (free === 0) await new Promise<void>((resolve) => slotFreed.push(resolve));
    if (options.signal.aborted) break;
    free--;
    // A slot is held for the first attempt only: a retry waits beside the others, as Twilio's does.
    const work = send(delivery).then(async (first) => {
      free++;
      slotFreed.shift()?.();
      const refusal = delivery.kind === 'forged' || delivery.kind === 'malformed';
      if ((first.status >= 200 && first.status <= 299) || refusal || options.signal.aborted) return;
      await sleep(first.retryAfterMs);
      if (!options.signal.aborted) await send(delivery);
    });
    running.push(work);
  }
  await Promise.all(running);
}

export function acknowledged(delivery: Delivery): boolean {
  return delivery.attempts.some((attempt) => attempt.status === 204);
}
