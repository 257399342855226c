import { archiveJobId, QueueName } from '@recording-vault/contract';
import { type RecordingResource, type RedisTestSentinel, startRedisSentinel } from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerHandle } from './start.ts';
import { keyOf, type RigOnRedis, startArchiveRigOnSentinel, waitFor } from './testing/archive-rig.ts';
import { askNode, listenForReleases, startWorkerFromEnv } from './testing/worker-from-env.ts';

const prefix = 'rv-test';
// Generous: a failover, a restarted server's sync and the machine's load all take their time.
const patience = 60_000;

/** Whether a server holds the key: a replica answers for its own copy. */
const holds = (port: number, key: string) => askNode(port, async (node) => (await node.exists(key)) === 1);

const jobKey = (recording: RecordingResource, suffix = '') =>
  `${prefix}:${QueueName.archive}:${archiveJobId(recording.sid)}${suffix}`;

describe('a worker with Sentinel (a primary, its replica, three sentinels)', () => {
  let deployment: RedisTestSentinel;
  let rig: RigOnRedis;
  let worker: WorkerHandle;
  const teardowns: Array<() => Promise<void>> = [];
  const onTeardown = (teardown: () => Promise<void>) => teardowns.push(teardown);

  const replicaOf = async () => {
    const primary = await deployment.primary();
    const replica = deployment.nodes.find((node) => node.port !== primary.port);
    if (!replica) throw new Error('no replica');
    return replica;
  };

  /** The recording was archived: its copy is whole, Twilio's is deleted, the index knows it. */
  async function expectArchived(recording: RecordingResource): Promise<void> {
    const job = await rig.settle(recording.sid, patience);
    expect(job.failedReason).toBeUndefined();
    expect(['archived', 'already-archived']).toContain(job.returnvalue?.outcome);
    expect(await rig.store.hash(keyOf(recording))).toEqual(await rig.emulator.expectedMedia(recording.sid));
    expect(rig.emulator.isDeleted(recording.sid)).toBe(true);
    expect(await rig.index.lookup(recording.sid)).toMatchObject({ recordingSid: recording.sid });
  }

  beforeAll(async () => {
    deployment = await startRedisSentinel();
    rig = await startArchiveRigOnSentinel(deployment, prefix, { driver: 'folder' });
    // Started as its main starts it, from the variables an operator sets: the sentinel mode's own.
    worker = await startWorkerFromEnv(rig, prefix, {
      REDIS_SENTINELS: deployment.sentinels.join(','),
      REDIS_SENTINEL_NAME: deployment.masterName,
    });
  }, 120_000);

  afterAll(async () => {
    for (const teardown of teardowns) await teardown();
    await worker?.close();
    await rig?.close();
    await deployment?.close();
  });

  it('archives a recording end to end on the primary the sentinels name', async () => {
    const primary = await deployment.primary();
    // The window's releases are published by a script on the primary, to its subscribers.
    const { released, close } = await listenForReleases(primary.port, prefix);
    onTeardown(close);

    const recording = rig.addRecording({ duration: 6, channels: 1 });
    await rig.enqueue(recording);
    await expectArchived(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', key: keyOf(recording), twilio: 'deleted' });
    await expect.poll(() => released, { timeout: 30_000 }).toContain(rig.account.accountSid);
    // Written on the primary, and from there on its replica.
    expect(await holds(primary.port, jobKey(recording))).toBe(true);
    const replica = await replicaOf();
    await waitFor(() => holds(replica.port, jobKey(recording)), 'the job on the replica', patience);
  });

  it('goes on archiving once the primary failed over to its replica, and loses no job', async () => {
    const primary = await deployment.primary();
    const replica = await replicaOf();
    const before = rig.addRecording({ duration: 3, channels: 1 });
    await rig.enqueue(before);
    await expectArchived(before);
    // A job in the middle of its run when the primary dies: its lookup at Twilio is held a while.
    const inFlight = rig.addRecording({ duration: 4, channels: 1 });
    rig.emulator.injectFault({
      kind: 'latency',
      ms: 5_000,
      route: 'fetch',
      recordingSid: inFlight.sid,
      times: 1,
    });
    await rig.enqueue(inFlight);
    await waitFor(
      () => rig.emulator.requests.some((r) => r.recordingSid === inFlight.sid && r.route === 'fetch'),
      'the lookup of the job in flight',
      patience,
    );
    // What the primary had taken in reached the replica: the finished job and the one being worked.
    await waitFor(
      async () =>
        (await holds(replica.port, jobKey(inFlight, ':lock'))) &&
        (await askNode(replica.port, (node) =>
          node.zscore(`${prefix}:${QueueName.archive}:completed`, archiveJobId(before.sid)),
        )) !== null,
      'the replica to hold the finished job and the lock of the one in flight',
      patience,
    );

    await deployment.kill(primary);
    const successor = await deployment.waitForFailover(patience);
    expect(successor.port).toBe(replica.port);

    // Added and worked through connections that followed the sentinels to the new primary, without being
    // recreated.
    const after = [1, 2, 3].map(() => rig.addRecording({ duration: 2, channels: 1 }));
    for (const recording of after) await rig.enqueue(recording);
    for (const recording of [before, inFlight, ...after]) await expectArchived(recording);
    expect(await holds(successor.port, jobKey(after[0] as RecordingResource))).toBe(true);
  }, 180_000);
});
