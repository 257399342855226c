/**
 * Queue names are persistent data: jobs live in Redis under these names, so renaming one strands every job
 * already queued under the old name. Add new names; never rename or reuse one.
 */
export const QueueName = {
  /** Download a recording, store it, verify it and delete it at Twilio. */
  archive: 'archive',
  /** Delayed delete at Twilio after PURGE_DELAY; re-verifies the stored copy first. */
  purge: 'purge',
  /** Lists one account's recordings of one day at Twilio and enqueues an archive job for each. */
  backfill: 'backfill',
  /** Lists every account's recent recordings and enqueues those a callback never brought. */
  reconcile: 'reconcile',
  /** Reads stored copies back and checks them against the archive's record (SCRUB_EVERY). */
  scrub: 'scrub',
} as const;

export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const allQueueNames: readonly QueueName[] = Object.values(QueueName);
