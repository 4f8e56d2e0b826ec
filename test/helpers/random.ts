/**
 * The one source of randomness in tests (issue #8): a small seeded PRNG (mulberry32), so a failure
 * that depended on a random choice (a kill timing, a size) can be replayed. Every generator names
 * its seed in the test's output; `TEST_SEED=<n>` replays it.
 *
 *   TEST_SEED=123456 node scripts/run-tests.mjs durability
 */
export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** A float in [min, max). */
  between(min: number, max: number): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/** Where the seed is printed: a test context (t.diagnostic) or anything with the same method. */
export interface SeedReporter {
  diagnostic(message: string): void;
}

/** A generator seeded from TEST_SEED or afresh; the seed is reported through `t` before any use. */
export function seededRandom(t: SeedReporter, seed: number = envSeed() ?? freshSeed()): SeededRandom {
  t.diagnostic(`random choices from TEST_SEED=${seed} (set it to replay)`);
  let a = seed >>> 0;
  const next = (): number => {
    // mulberry32: 32 bits of state, good enough spread for test timings and sizes.
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    between: (min, max) => min + next() * (max - min),
    int: (n) => Math.floor(next() * n),
  };
}

function envSeed(): number | undefined {
  const s = process.env.TEST_SEED;
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`TEST_SEED must be an integer, got ${JSON.stringify(s)}`);
  return n;
}

function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
