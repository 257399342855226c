import type { RedisConnection } from '@recording-vault/redis';
import { describe, expect, it, vi } from 'vitest';
import {
  createWriteReplication,
  NotReplicatedError,
  type ReplicaWaitOutcome,
  type WriteReplicationOptions,
} from './replicated-writes.ts';

/**
 * One server as the replication sees it: WAITs it answers when the test says so, a socket a reconnect
 * replaces, and INFO replication with as many replicas as the test sets.
 */
function fakeServer() {
  const pending: Array<{ replicas: number; answer(acknowledged: number): void }> = [];
  const server = {
    isCluster: false,
    status: 'connecting',
    on: vi.fn(),
    stream: {} as object,
    replicas: 0,
    pending,
    wait: vi.fn(
      (replicas: number, _timeoutMs: number) =>
        new Promise<number>((answer) => pending.push({ replicas, answer })),
    ),
    info: vi.fn(async () => `# Replication\r\nrole:master\r\nconnected_slaves:${server.replicas}\r\n`),
    /** Answers the oldest WAIT still waiting. */
    answer(acknowledged: number) {
      const wait = pending.shift();
      if (!wait) throw new Error('no WAIT is waiting');
      wait.answer(acknowledged);
    },
  };
  return server;
}

function replicationOver(
  server: ReturnType<typeof fakeServer>,
  options: Partial<WriteReplicationOptions> = {},
) {
  const outcomes: ReplicaWaitOutcome[] = [];
  const required: number[] = [];
  const replication = createWriteReplication({
    connection: server as unknown as RedisConnection,
    key: '{rv}:archive:id',
    minReplicas: 1,
    timeoutMs: 2_000,
    events: {
      waited: (outcome) => outcomes.push(outcome),
      required: (replicas) => required.push(replicas),
    },
    ...options,
  });
  return { replication, outcomes, required };
}

/** Lets every promise callback already due run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('waiting for replicas', () => {
  it('shares a WAIT among callbacks whose writes came before it was sent, and sends one more for the rest', async () => {
    const server = fakeServer();
    const { replication, outcomes } = replicationOver(server);
    const first = replication.confirm(replication.mark(), 1);
    await settle();
    // Written while the first WAIT was on its way: it may not count them, the next one will.
    const second = replication.confirm(replication.mark(), 1);
    const third = replication.confirm(replication.mark(), 1);
    await settle();
    expect(server.wait).toHaveBeenCalledTimes(1);

    server.answer(1);
    await first;
    await settle();
    expect(server.wait).toHaveBeenCalledTimes(2);
    expect(server.wait).toHaveBeenLastCalledWith(1, 2_000);
    server.answer(1);
    await Promise.all([second, third]);
    expect(outcomes).toEqual(['replicated', 'replicated', 'replicated']);
  });

  it('refuses the callbacks a WAIT answers with fewer replicas than required', async () => {
    const server = fakeServer();
    const { replication, outcomes } = replicationOver(server, { minReplicas: 2 });
    const waiting = replication.confirm(replication.mark(), 2);
    await settle();
    server.answer(1);
    const refusal = await waiting.catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(NotReplicatedError);
    expect(refusal).toMatchObject({ replicas: 1, message: 'the job reached 1 of 2 replicas within 2000 ms' });
    expect(outcomes).toEqual(['timeout']);
  });

  it('refuses a callback whose connection was replaced after its writes: a new one would count none of them', async () => {
    const server = fakeServer();
    const { replication, outcomes } = replicationOver(server);
    const mark = replication.mark();
    server.stream = {}; // reconnected
    await expect(replication.confirm(mark, 1)).rejects.toThrow(/connection to the vault's primary changed/);
    expect(server.wait).not.toHaveBeenCalled();

    // Replaced while WAIT was on its way (ioredis may send it again on the new connection): refused too.
    const during = replication.confirm(replication.mark(), 1);
    await settle();
    server.stream = {};
    server.answer(1);
    await expect(during).rejects.toThrow(NotReplicatedError);
    expect(outcomes).toEqual(['failed', 'failed']);
  });

  it('gives up on a WAIT that is never answered, and sends the next one behind it', async () => {
    const server = fakeServer();
    const { replication, outcomes } = replicationOver(server, { timeoutMs: 5, replyMarginMs: 5 });
    await expect(replication.confirm(replication.mark(), 1)).rejects.toThrow(
      /no answer .*WAIT was not answered/,
    );
    const next = replication.confirm(replication.mark(), 1);
    await settle();
    expect(server.wait).toHaveBeenCalledTimes(2);
    server.pending.splice(0, 1);
    server.answer(1);
    await next;
    expect(outcomes).toEqual(['failed', 'replicated']);
  });
});

describe('the replicas required', () => {
  it('is INGEST_MIN_REPLICAS when set, whatever the primary has', async () => {
    const server = fakeServer();
    const { replication, required } = replicationOver(server, { minReplicas: 2 });
    expect(await replication.required()).toBe(2);
    expect(server.info).not.toHaveBeenCalled();
    expect(required).toEqual([2]);
  });

  it('unset, is one once the primary has had a replica, for good, and none before', async () => {
    const server = fakeServer();
    const { replication, required } = replicationOver(server, { minReplicas: 'auto', recheckMs: 0 });
    expect(await replication.required()).toBe(0);
    expect(await replication.required()).toBe(0);

    server.replicas = 1;
    await vi.waitFor(async () => expect(await replication.required()).toBe(1));
    // The replica is gone (or a promoted primary has none yet): callbacks wait for one rather than
    // silently lose the guarantee.
    server.replicas = 0;
    for (let i = 0; i < 3; i++) {
      expect(await replication.required()).toBe(1);
      await settle();
    }
    expect(required).toEqual([0, 1]);
  });

  it('unset, asks the primary once, then again only after recheckMs', async () => {
    const server = fakeServer();
    const { replication } = replicationOver(server, { minReplicas: 'auto', recheckMs: 60_000 });
    await Promise.all([replication.required(), replication.required()]);
    await replication.required();
    expect(server.info).toHaveBeenCalledTimes(1);
  });

  it('unset, asks the primary as soon as the connection is ready, and again after a reconnect', async () => {
    const server = fakeServer();
    server.status = 'ready';
    server.replicas = 0;
    const { required } = replicationOver(server, { minReplicas: 'auto', recheckMs: 60_000 });
    await vi.waitFor(() => expect(required).toEqual([0]));
    const [[event, onReady]] = server.on.mock.calls as unknown as [[string, () => void]];
    expect(event).toBe('ready');
    server.replicas = 1;
    onReady();
    await vi.waitFor(() => expect(required).toEqual([0, 1]));
    expect(server.info).toHaveBeenCalledTimes(2);
  });
});
