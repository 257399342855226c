import { redisForTests, testQueuePrefix } from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwilioApiError } from '../errors.ts';
import { limitedTriesPerRequest, type Permit, throughGate } from './gate.ts';
import { createRequestWindows, type RequestWindowOptions, readRequestWindows } from './request-windows.ts';

const accountA = `AC${'a'.repeat(32)}`;
const accountB = `AC${'b'.repeat(32)}`;

describe('adaptive request windows in Redis', () => {
  let redisUrl: string;
  let stopRedis: () => Promise<void>;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const redis = await redisForTests();
    redisUrl = redis.url;
    stopRedis = redis.close;
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => stopRedis());

  /** Two worker processes' worth of windows over one prefix, each with its own connection. */
  function processes(count: number, options: Partial<RequestWindowOptions> = {}) {
    const { prefix, cleanup } = testQueuePrefix(redisUrl);
    const made = Array.from({ length: count }, () => {
      const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
      const windows = createRequestWindows({ connection, prefix, ceiling: 16, ...options });
      cleanups.push(async () => {
        await windows.close();
        connection.disconnect();
      });
      return windows;
    });
    const reader = new Redis(redisUrl);
    cleanups.push(async () => {
      await cleanup();
      reader.disconnect();
    });
    const state = async (accountSid: string) =>
      (await readRequestWindows(reader, prefix, [accountSid]))[0] ?? null;
    return { windows: made, state, prefix, reader };
  }

  /** Settles to 'pending' when the promise has not settled once Redis has answered a round trip. */
  async function settled<T>(promise: Promise<T>, reader: Redis): Promise<T | 'pending'> {
    let value: T | 'pending' = 'pending';
    promise.then((v) => {
      value = v;
    });
    for (let i = 0; i < 5; i++) await reader.ping();
    return value;
  }

  it('holds the requests in flight of an account to its window across processes, and a release wakes a waiter', async () => {
    const { windows, reader, state } = processes(2, { initial: 3 });
    const one = nth(windows, 0).forAccount(accountA);
    const two = nth(windows, 1).forAccount(accountA);
    const held = [await one.acquire(), await two.acquire(), await one.acquire()];
    expect((await state(accountA))?.inFlight).toBe(3);

    const fourth = two.acquire();
    expect(await settled(fourth, reader)).toBe('pending');
    // Another account has a window of its own.
    const other = await nth(windows, 0).forAccount(accountB).acquire();
    other.release({ status: 200 });

    held[0]?.release({ status: 'error' });
    const permit = await fourth;
    expect((await state(accountA))?.inFlight).toBe(3);
    for (const p of [held[1], held[2], permit]) p?.release({ status: 'error' });
  });

  it('grows the window with clean answers, up to the ceiling', async () => {
    const { windows, state } = processes(1, { initial: 2, ceiling: 6 });
    const gate = nth(windows, 0).forAccount(accountA);
    for (let i = 0; i < 60; i++) {
      const permit = await gate.acquire();
      permit.release({ status: 200 });
    }
    await expect.poll(async () => (await state(accountA))?.answered).toBe(60);
    const grown = await state(accountA);
    expect(grown?.window).toBe(6);
    expect(grown?.limit).toBeNull();
  });

  it('on a 429 drops the window to the requests Twilio accepted, once per epoch, and keeps other accounts apart', async () => {
    const { windows, state } = processes(1, { initial: 10, ceiling: 10 });
    const gate = nth(windows, 0).forAccount(accountA);
    const permits: Permit[] = [];
    for (let i = 0; i < 8; i++) permits.push(await gate.acquire());
    // The 8th was refused: 7 were accepted. Then the 7th, sent in the same epoch, is refused too.
    permits[7]?.release({ status: 429 });
    permits[6]?.release({ status: 429 });
    await expect.poll(async () => (await state(accountA))?.limited).toBe(2);
    const cut = await state(accountA);
    expect(cut).toMatchObject({ window: 7, limit: 7, cuts: 1 });

    // Past the known limit the window grows 8 times slower than below it.
    for (const permit of permits.slice(0, 6)) permit.release({ status: 200 });
    await expect.poll(async () => (await state(accountA))?.answered).toBe(8);
    const probed = await state(accountA);
    expect(probed?.window).toBeGreaterThan(7);
    expect(probed?.window).toBeLessThan(7.2);

    const b = await nth(windows, 0).forAccount(accountB).acquire();
    b.release({ status: 200 });
    expect((await state(accountB))?.window).toBe(10);
  });

  it('pauses only the account whose 429 carried Retry-After, until it has passed', async () => {
    const { windows, state, reader } = processes(1, { initial: 4 });
    const w = nth(windows, 0);
    const first = await w.forAccount(accountA).acquire();
    first.release({ status: 429, retryAfterMs: 1_500 });
    await expect.poll(async () => (await state(accountA))?.pausedUntil).not.toBeNull();
    const paused = w.forAccount(accountA).acquire();
    expect(await settled(paused, reader)).toBe('pending');
    const b = await w.forAccount(accountB).acquire();
    b.release({ status: 200 });
    const after = await paused;
    expect((await state(accountA))?.pausedUntil).toBeNull();
    after.release({ status: 200 });
  });

  it('gives back the slots of a process that died once their lease runs out', async () => {
    const { windows, reader } = processes(2, { initial: 1, leaseMs: 1_000 });
    const dying = nth(windows, 0);
    const living = nth(windows, 1);
    await dying.forAccount(accountA).acquire();
    await dying.close();
    const waiting = living.forAccount(accountA).acquire();
    expect(await settled(waiting, reader)).toBe('pending');
    const permit = await waiting;
    permit.release({ status: 200 });
  });

  it('a waiter whose signal aborts leaves the queue without taking a slot', async () => {
    const { windows, state } = processes(1, { initial: 1 });
    const gate = nth(windows, 0).forAccount(accountA);
    const held = await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort(new Error('job cancelled'));
    await expect(waiting).rejects.toThrow('job cancelled');
    held.release({ status: 200 });
    const next = await gate.acquire();
    expect((await state(accountA))?.inFlight).toBe(1);
    next.release({ status: 200 });
  });

  it('throughGate sends a request Twilio refused with 429 again, in a new slot, a bounded number of times', async () => {
    const { windows, state } = processes(1, { initial: 4 });
    const gate = nth(windows, 0).forAccount(accountA);
    let sent = 0;
    const result = await throughGate(gate, async (permit) => {
      sent += 1;
      if (sent < 3) throw new TwilioApiError('rate-limited', 'too many', { status: 429 });
      permit?.release({ status: 200 });
      return 'answer';
    });
    expect(result).toBe('answer');
    expect(sent).toBe(3);
    await expect.poll(async () => (await state(accountA))?.answered).toBe(3);
    expect((await state(accountA))?.limited).toBe(2);

    sent = 0;
    await expect(
      throughGate(gate, async () => {
        sent += 1;
        throw new TwilioApiError('rate-limited', 'too many', { status: 429 });
      }),
    ).rejects.toThrow('too many');
    expect(sent).toBe(limitedTriesPerRequest);
    await expect.poll(async () => (await state(accountA))?.inFlight).toBe(0);
  });
});

function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}
