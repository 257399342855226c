import { createHash } from 'node:crypto';

/** Four 32-bit words derived from a string, to seed the generators below. */
export function seedWords(text: string): [number, number, number, number] {
  const digest = createHash('sha256').update(text).digest();
  return [digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12)];
}

/** splitmix32: turns any 32-bit value into a well-mixed one (used to derive per-block states). */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export interface SeededRandom {
  nextUint32(): number;
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max], both included. */
  between(min: number, max: number): number;
  /** `count` distinct items of `items`, in a random order. */
  sample<T>(items: readonly T[], count: number): T[];
}

/**
 * xoshiro128** seeded from a string. Deterministic across runs so tests, the demo, the benchmarks and the
 * chaos run's schedule (replayed with CHAOS_SEED) see the same "random" data; never use it for anything
 * secret.
 */
export function seededRandom(seed: string): SeededRandom {
  let [a, b, c, d] = seedWords(seed);
  if ((a | b | c | d) === 0) a = 1;
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = () => nextUint32() / 0x1_0000_0000;
  const between = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    nextUint32,
    next,
    between,
    sample(items, count) {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = between(0, i);
        [copy[i], copy[j]] = [copy[j] as (typeof copy)[number], copy[i] as (typeof copy)[number]];
      }
      return copy.slice(0, count);
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Fills `target` with pseudo-random words from a 32-bit state (xorshift32). Fast enough to stream
 * hundreds of MiB per second; the caller derives `state` per block so any block can be made alone.
 */
export function fillRandomWords(target: Uint32Array, state: number): void {
  let x = state === 0 ? 0x6d2b79f5 : state;
  for (let i = 0; i < target.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    target[i] = x >>> 0;
  }
}
