import { z } from 'zod';
import { AccountSid, CallSid, ConferenceSid, RecordingSid } from './sids.ts';

/**
 * Facts from a recording status callback, kept for the metadata sidecar. Identifiers and facts only:
 * job data is stored in clear text in Redis and shown in the dashboard, so no URL, token or signature.
 */
export const CallbackFacts = z.object({
  status: z.enum(['in-progress', 'completed', 'absent', 'failed']),
  duration: z.number().int().nonnegative().optional(),
  channels: z.union([z.literal(1), z.literal(2)]).optional(),
  startTime: z.iso.datetime().optional(),
  source: z.string().max(64).optional(),
  track: z.string().max(64).optional(),
  errorCode: z.string().max(16).optional(),
  conferenceSid: ConferenceSid.optional(),
  receivedAt: z.iso.datetime(),
});
export type CallbackFacts = z.infer<typeof CallbackFacts>;

export const ArchiveJob = z.object({
  accountSid: AccountSid,
  recordingSid: RecordingSid,
  callSid: CallSid.optional(),
  /** What found the recording. */
  origin: z.enum(['callback', 'backfill', 'reconcile', 'manual']),
  callback: CallbackFacts.optional(),
  /** When the recording started (UTC), from a listing: with the call SID it names the storage key. */
  startTime: z.iso.datetime().optional(),
  /**
   * The storage key, recorded by the worker as soon as it is known, so that a retry after the recording
   * was deleted at Twilio can still find the copy it was deleted for.
   */
  archiveKey: z.string().min(1).max(1024).optional(),
});
export type ArchiveJob = z.infer<typeof ArchiveJob>;

export const PurgeJob = z.object({
  accountSid: AccountSid,
  recordingSid: RecordingSid,
  /** Storage key of the copy that must match before the delete. */
  key: z.string().min(1).max(1024),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The copy's MD5 and, when it was uploaded in parts, its multipart ETag: what its ETag may be proved by. */
  md5: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  multipartEtag: z
    .string()
    .regex(/^[0-9a-f]{32}-\d+$/)
    .optional(),
});
export type PurgeJob = z.infer<typeof PurgeJob>;

export const BackfillDayJob = z.object({
  accountSid: AccountSid,
  /** The UTC day whose recordings are listed. */
  day: z.iso.date(),
  /** Path and query of the next page to list, recorded after each page so a restarted job resumes there. */
  nextPage: z.string().startsWith('/').max(2048).optional(),
  /** Counts so far, carried across a resume. */
  listed: z.number().int().nonnegative().default(0),
  enqueued: z.number().int().nonnegative().default(0),
  /** Failed archive jobs put back to waiting; absent in jobs added before it was counted. */
  rearmed: z.number().int().nonnegative().optional(),
});
export type BackfillDayJob = z.infer<typeof BackfillDayJob>;

export const ReconcileJob = z.object({
  /** How far back to list, in milliseconds. */
  windowMs: z.number().int().positive(),
});
export type ReconcileJob = z.infer<typeof ReconcileJob>;

export const ScrubJob = z.object({
  /** How many archived recordings, picked at random, to read back and check; 0 checks every one. */
  sample: z.number().int().nonnegative(),
});
export type ScrubJob = z.infer<typeof ScrubJob>;
