import type { ExpectedMedia, TwilioEmulator } from '@recording-vault/testkit';
import type { UnexpectedExit } from './app-process.ts';
import { archiveKeyOf } from './archive-key.ts';
import { type BucketReader, sha256Of } from './bucket-reader.ts';
import { acknowledged, type Delivery } from './callbacks.ts';
import type { Corpus } from './corpus.ts';
import { busyJobs, type JobCounts } from './queue-watch.ts';
import type { Digest, S3Exchange } from './s3-front.ts';

/** A line of the final table: a figure, or a check when `ok` is set. */
export interface Row {
  label: string;
  value: string;
  ok?: boolean;
}

export interface VerifyInput {
  emulator: TwilioEmulator;
  corpus: Corpus;
  bucket: BucketReader;
  stagingPrefix: string;
  /** Where the store keeps the records of objects uploaded in parts. */
  recordsPrefix: string;
  exchanges: readonly S3Exchange[];
  deliveries: readonly Delivery[];
  /**
   * Recordings whose callback was answered 204 but whose job was gone as soon as a primary served again
   * (the server restarted; the replica promoted).
   */
  lostInCrash: ReadonlySet<string>;
  /**
   * Of those, the losses the set-up allows: one server with `appendfsync everysec` may lose up to about
   * the last 2 s before its kill, which the reconciliation then recovers. A cluster acknowledging only
   * replicated jobs may lose none.
   */
  excusedLoss: ReadonlySet<string>;
  redisMode: 'single' | 'cluster';
  /** When the archive job of each recording whose callback was answered 204 was added, if there is one. */
  jobsAddedAt: ReadonlyMap<string, number>;
  /** Archive and purge jobs by state, once the apps have stopped. */
  jobCounts: JobCounts;
  unexpectedExits: readonly UnexpectedExit[];
}

export interface Verdict {
  checks: Row[];
  /** Which producer's job last wrote each sidecar: callback, reconcile. */
  origins: Map<string, number>;
  /** The first problems found, for the log. */
  problems: string[];
}

/** Everything THE RULE and the brief promise, checked from the outside once the run has converged. */
export async function verify(input: VerifyInput): Promise<Verdict> {
  const { emulator, corpus, bucket } = input;
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < 50) problems.push(text);
  };
  const completed = corpus.completed;
  const expected = new Map<string, ExpectedMedia>();
  for (const recording of completed) {
    expected.set(
      recording.sid,
      await emulator.expectedMedia(recording.sid, {
        format: 'wav',
        channels: recording.channels === 2 ? 2 : 1,
      }),
    );
  }
  const keyOf = new Map(completed.map((recording) => [recording.sid, archiveKeyOf(recording)]));
  const sidOfKey = new Map([...keyOf].map(([sid, key]) => [key, sid]));
  const absentSids = new Set(corpus.absent.map((recording) => recording.sid));

  // At Twilio.
  const notDeleted = completed.filter((recording) => !emulator.isDeleted(recording.sid));
  for (const recording of notDeleted.slice(0, 10)) problem(`${recording.sid} is still at Twilio`);
  const absentDeleted = corpus.absent.filter((recording) => emulator.isDeleted(recording.sid));
  const deletes = emulator.requests.filter((request) => request.route === 'delete');
  const absentDeleteRequests = deletes.filter((request) => absentSids.has(request.recordingSid ?? ''));

  // In the bucket.
  const listed = await bucket.list();
  const staging = listed.filter((object) => object.key.startsWith(input.stagingPrefix));
  const isSidecar = (key: string) => key.endsWith('.json') && sidOfKey.has(key.slice(0, -'.json'.length));
  // The record beside a recording uploaded in parts.
  const isRecord = (key: string) =>
    key.startsWith(input.recordsPrefix) &&
    key.endsWith('.json') &&
    sidOfKey.has(key.slice(input.recordsPrefix.length, -'.json'.length));
  const unexpected = listed.filter(
    (object) =>
      !object.key.startsWith(input.stagingPrefix) &&
      !sidOfKey.has(object.key) &&
      !isSidecar(object.key) &&
      !isRecord(object.key),
  );
  for (const object of unexpected.slice(0, 10))
    problem(`unexpected object ${object.key} (${object.size} bytes)`);
  let stagingPassingForComplete = 0;
  for (const object of staging) {
    const record = await bucket.stat(object.key);
    if (record?.recordedSha256 !== undefined) {
      stagingPassingForComplete++;
      problem(`staging object ${object.key} carries a recorded SHA-256`);
    }
  }
  const incompleteUploads = await bucket.incompleteUploads();

  const stored = new Set<string>();
  const sidecarOk = new Set<string>();
  const origins = new Map<string, number>();
  const originOf = new Map<string, string>();
  await eachLimited(completed, 8, async (recording) => {
    const key = keyOf.get(recording.sid) as string;
    const want = expected.get(recording.sid) as ExpectedMedia;
    const record = await bucket.stat(key);
    if (!record) return problem(`${recording.sid}: nothing at ${key}`);
    const body = await bucket.read(key);
    const got = { bytes: body.length, sha256: sha256Of(body) };
    if (!same(got, want)) {
      problem(
        `${recording.sid}: ${key} holds ${got.bytes} bytes, ${got.sha256}; Twilio's has ${want.bytes}, ${want.sha256}`,
      );
    } else if (record.recordedBytes !== want.bytes || record.recordedSha256 !== want.sha256) {
      problem(`${recording.sid}: ${key} is whole but its recorded size or SHA-256 is wrong`);
    } else {
      stored.add(recording.sid);
    }
    const sidecarRecord = await bucket.stat(`${key}.json`);
    if (!sidecarRecord) return problem(`${recording.sid}: no sidecar ${key}.json`);
    const sidecarBody = await bucket.read(`${key}.json`);
    if (
      sidecarRecord.recordedBytes !== sidecarBody.length ||
      sidecarRecord.recordedSha256 !== sha256Of(sidecarBody)
    ) {
      return problem(`${recording.sid}: sidecar's recorded size or SHA-256 does not match its bytes`);
    }
    const sidecar = JSON.parse(sidecarBody.toString('utf8')) as {
      recording?: { sid?: string };
      archive?: { key?: string; bytes?: number; sha256?: string; origin?: string };
    };
    const archive = sidecar.archive ?? {};
    if (
      sidecar.recording?.sid !== recording.sid ||
      archive.key !== key ||
      archive.bytes !== want.bytes ||
      archive.sha256 !== want.sha256
    ) {
      return problem(`${recording.sid}: sidecar does not describe the copy`);
    }
    sidecarOk.add(recording.sid);
    const origin = archive.origin ?? 'unknown';
    originOf.set(recording.sid, origin);
    origins.set(origin, (origins.get(origin) ?? 0) + 1);
  });
  const whole = completed.filter((recording) => stored.has(recording.sid) && sidecarOk.has(recording.sid));

  // Every DELETE at Twilio against what storage held at that moment, from the S3 front's log.
  const byKey = new Map<string, S3Exchange[]>();
  for (const exchange of input.exchanges) {
    if (exchange.key === undefined) continue;
    const list = byKey.get(exchange.key) ?? [];
    list.push(exchange);
    byKey.set(exchange.key, list);
  }
  const deleted204 = deletes.filter((request) => request.status === 204);
  let provenDeletes = 0;
  const proofs = { etag: 0, 'read-back': 0 };
  for (const request of deleted204) {
    const sid = request.recordingSid ?? '';
    const key = keyOf.get(sid);
    const want = expected.get(sid);
    if (key === undefined || want === undefined) {
      problem(`DELETE #${request.seq} of ${sid}, which had nothing to archive`);
      continue;
    }
    const copy = copyAt(byKey.get(key) ?? [], request.at, want);
    const reason =
      'problem' in copy
        ? copy.problem
        : sidecarBefore(byKey.get(`${key}.json`) ?? [], request.at, copy.provedAt);
    if (reason) problem(`DELETE #${request.seq} of ${sid}: ${reason}`);
    else provenDeletes++;
    if ('proof' in copy) proofs[copy.proof]++;
  }
  let otherBytesWritten = 0;
  for (const [key, exchanges] of byKey) {
    const sid = sidOfKey.get(key);
    const want = sid === undefined ? undefined : expected.get(sid);
    if (want === undefined) continue;
    for (const exchange of exchanges) {
      const written = writtenBy(exchange);
      if (written !== null && (written === undefined || !same(written, want))) {
        otherBytesWritten++;
        problem(`S3 #${exchange.seq}: ${exchange.op} of ${key} wrote other bytes than Twilio's`);
      }
    }
  }

  // Callbacks.
  const accepted = new Set<string>();
  for (const delivery of input.deliveries) {
    if (
      (delivery.kind === 'first' || delivery.kind === 'duplicate') &&
      delivery.status === 'completed' &&
      acknowledged(delivery)
    )
      accepted.add(delivery.recording.sid);
  }
  const wholeSet = new Set(whole.map((recording) => recording.sid));
  const deletedAndWhole = (sid: string) => wholeSet.has(sid) && emulator.isDeleted(sid);
  const acceptedArchived = [...accepted].filter(deletedAndWhole);
  // The job a 204 promised is the one that archived the recording: created (BullMQ's timestamp, taken as the
  // ingest API builds the job, before writing it) no later than the first 204 was answered. A job created
  // later (by the reconciliation, or a later delivery) means the promised one was lost. That the job was
  // stored before the 204 is the ingest API's part, checked around the crash (see run.ts).
  const firstAcknowledged = new Map<string, number>();
  for (const delivery of input.deliveries) {
    if (!accepted.has(delivery.recording.sid) || delivery.kind === 'forged' || delivery.kind === 'malformed')
      continue;
    for (const attempt of delivery.attempts) {
      if (attempt.status !== 204) continue;
      const sid = delivery.recording.sid;
      firstAcknowledged.set(sid, Math.min(attempt.answeredAt, firstAcknowledged.get(sid) ?? Infinity));
    }
  }
  const keptPromise = [...accepted].filter((sid) => {
    const addedAt = input.jobsAddedAt.get(sid);
    return (
      addedAt !== undefined && addedAt <= (firstAcknowledged.get(sid) ?? -Infinity) && deletedAndWhole(sid)
    );
  });
  const kept = new Set(keptPromise);
  const brokenPromise = [...accepted].filter((sid) => !kept.has(sid));
  for (const sid of brokenPromise) {
    const addedAt = input.jobsAddedAt.get(sid);
    problem(
      `${sid}: answered 204 at ${firstAcknowledged.get(sid)}, but ${addedAt === undefined ? 'no archive job is left' : `its archive job was added at ${addedAt}`}`,
    );
  }
  const brokenUnexcused = brokenPromise.filter((sid) => !input.excusedLoss.has(sid));
  const reconciledFirst = keptPromise.filter((sid) => originOf.get(sid) === 'reconcile');
  const unannounced = completed.filter((recording) => !accepted.has(recording.sid));
  const unannouncedArchived = unannounced.filter((recording) => deletedAndWhole(recording.sid));
  const byReconcile = unannounced.filter((recording) => originOf.get(recording.sid) === 'reconcile');
  const lost = [...input.lostInCrash];
  const lostRecovered = lost.filter(deletedAndWhole);
  const refusals = input.deliveries.filter(
    (delivery) => delivery.kind === 'forged' || delivery.kind === 'malformed',
  );
  const refusedRight = refusals.filter((delivery) =>
    delivery.attempts.every((attempt) => attempt.status === (delivery.kind === 'forged' ? 403 : 400)),
  );

  const counts = input.jobCounts;
  const busy = busyJobs(counts);
  const crashes = input.unexpectedExits.filter((exit) => !exit.beforeReady);
  for (const exit of crashes)
    problem(`${exit.app} exited (code ${exit.code}, ${exit.signal}):\n${exit.logTail}`);

  const n = completed.length;
  const checks: Row[] = [
    row('completed recordings deleted at Twilio', n - notDeleted.length, n),
    row("…each stored whole: Twilio's bytes and SHA-256, read back", stored.size, n),
    row('…each with a sidecar describing the copy', sidecarOk.size, n),
    row(
      'DELETEs (204) made while a whole copy, proved by its ETag or read back, was stored',
      provenDeletes,
      deleted204.length,
    ),
    {
      label: '…proved by the ETag S3 computed / by reading back',
      value: `${proofs.etag} / ${proofs['read-back']}`,
      ok: true,
    },
    {
      label: 'writes of other bytes at a final key',
      value: String(otherBytesWritten),
      ok: otherBytesWritten === 0,
    },
    {
      label: 'objects at unexpected keys (duplicates, strays)',
      value: String(unexpected.length),
      ok: unexpected.length === 0,
    },
    {
      label: `staging objects (${input.stagingPrefix}) passing for complete`,
      value: `${stagingPassingForComplete} of ${staging.length} left`,
      ok: stagingPassingForComplete === 0,
    },
    { label: 'incomplete multipart uploads left (lifecycle rule sweeps)', value: String(incompleteUploads) },
    {
      label: 'absent recordings deleted / DELETEs sent for them',
      value: `${absentDeleted.length} / ${absentDeleteRequests.length}`,
      ok: absentDeleted.length === 0 && absentDeleteRequests.length === 0,
    },
    row('callbacks answered 204 whose recording was archived', acceptedArchived.length, accepted.size),
    {
      label: '…by a job created before its 204 (none made again later)',
      value: `${keptPromise.length} of ${accepted.size}${brokenPromise.length > brokenUnexcused.length ? ` (${brokenPromise.length - brokenUnexcused.length} lost in the crash)` : ''}`,
      ok: brokenUnexcused.length === 0,
    },
    {
      label: '…whose job the reconciliation had added before the callback came',
      value: String(reconciledFirst.length),
    },
    input.redisMode === 'single'
      ? {
          label: '…answered 204 but lost in the Redis crash (its last 2 s only), then archived',
          value:
            lost.length === 0
              ? 'none lost'
              : `${lostRecovered.length} of ${lost.length} (${lost.filter((sid) => originOf.get(sid) === 'reconcile').length} by the reconciliation; ${lost.filter((sid) => !input.excusedLoss.has(sid)).length} older)`,
          ok: lostRecovered.length === lost.length && lost.every((sid) => input.excusedLoss.has(sid)),
        }
      : {
          label: '…answered 204 before the kill, missing once the replica took over',
          value: String(lost.length),
          ok: lost.length === 0,
        },
    row(
      'recordings no callback got in for, archived (reconciliation)',
      unannouncedArchived.length,
      unannounced.length,
    ),
    {
      label: "…of which the reconciliation's job archived",
      value: String(byReconcile.length),
    },
    row('forged (403) and malformed (400) callbacks refused', refusedRight.length, refusals.length),
    { label: 'archive (and purge) jobs failed', value: String(counts.failed ?? 0), ok: counts.failed === 0 },
    { label: 'archive (and purge) jobs waiting, active or delayed', value: String(busy), ok: busy === 0 },
    {
      label: 'app processes that crashed after starting',
      value: String(crashes.length),
      ok: crashes.length === 0,
    },
  ];
  return { checks, origins, problems };
}

function row(label: string, good: number, of: number): Row {
  return { label, value: `${good} of ${of}`, ok: good === of };
}

type Content = Pick<Digest, 'bytes' | 'sha256'>;

function same(a: Content, b: Content): boolean {
  return a.bytes === b.bytes && a.sha256 === b.sha256;
}

/** What a write put at its key (undefined when unknown); null for an exchange that wrote nothing. */
function writtenBy(exchange: S3Exchange): Digest | undefined | null {
  if (exchange.status !== 200) return null;
  if (exchange.op === 'PutObject') return exchange.body;
  if (exchange.op === 'CopyObject') return exchange.copySource;
  if (exchange.op === 'CompleteMultipartUpload') return exchange.completed;
  return null;
}

/**
 * Replays the exchanges on one key that had finished by `at` (they never overlap: the front serialises
 * them): at that moment the key must hold Twilio's bytes, and since they were written they must have been
 * proved: read back whole, or shown by a HEAD with their size and an ETag the server computed over exactly
 * these bytes (the MD5 of the whole, or the multipart form). Gives the proof and when its request came.
 */
function copyAt(
  exchanges: readonly S3Exchange[],
  at: number,
  want: Content,
): { problem: string } | { proof: 'read-back' | 'etag'; provedAt: number } {
  let held: Digest | undefined;
  let proved: 'read-back' | 'etag' | undefined;
  let provedAt = 0;
  for (const exchange of exchanges) {
    if (exchange.finishedAt === 0 || exchange.finishedAt > at) continue;
    const written = writtenBy(exchange);
    if (written !== null) {
      held = written;
      proved = undefined;
    } else if (exchange.op === 'DeleteObject' && exchange.status >= 200 && exchange.status < 300) {
      held = undefined;
      proved = undefined;
    } else if (exchange.op === 'GetObject' && exchange.status === 200 && held && exchange.response) {
      proved = same(exchange.response, held) ? 'read-back' : undefined;
      provedAt = exchange.startedAt;
    } else if (exchange.op === 'HeadObject' && exchange.head && held) {
      const { bytes, etag } = exchange.head;
      proved = bytes === held.bytes && held.etags.includes(etag) ? 'etag' : undefined;
      provedAt = exchange.startedAt;
    }
  }
  if (held === undefined) return { problem: 'no copy was in storage at that moment' };
  if (!same(held, want)) return { problem: "the copy in storage then did not match Twilio's media" };
  if (!proved)
    return { problem: 'the copy had been neither read back nor shown by its ETag since it was written' };
  return { proof: proved, provedAt };
}

/**
 * The sidecar must have been written before the DELETE, and the copy proved after that: the worker writes
 * the sidecar, then proves right before it deletes, so a proof older than every sidecar (the HEAD a store
 * may make once an upload is completed, say) is not the one the DELETE rests on. A sidecar written later
 * still (by a run that lost its job to this one) does not count against it.
 */
function sidecarBefore(exchanges: readonly S3Exchange[], at: number, provedAt: number): string | undefined {
  const written = exchanges.filter(
    (exchange) => exchange.op === 'PutObject' && exchange.status === 200 && exchange.finishedAt <= at,
  );
  if (written.length === 0) return 'no sidecar had been written';
  return written.some((exchange) => exchange.finishedAt <= provedAt)
    ? undefined
    : 'the copy was last proved before its sidecar was written, not right before the DELETE';
}

async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}
