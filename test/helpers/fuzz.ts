/**
 * Property-based fuzzing settings shared by every `*.fuzz.test.ts` (issue #8): one seed per run,
 * printed so a failure can be replayed, and a run count that `npm test` keeps small and
 * `npm run fuzz` raises.
 *
 *   FUZZ_SEED=123 node scripts/run-tests.mjs fuzz     # replay a seed
 *   npm run fuzz                                      # longer run (FUZZ_RUNS=20000)
 */
import fc from 'fast-check';

/** The seed of this run: FUZZ_SEED, or a fresh one. */
export const FUZZ_SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (process.pid << 16)) | 0;
/** Runs per property: FUZZ_RUNS, or 200 inside `npm test`. */
export const FUZZ_RUNS = process.env.FUZZ_RUNS !== undefined ? Number(process.env.FUZZ_RUNS) : 200;

let announced = false;

/**
 * fast-check parameters for one property; `scale` multiplies the run count for cheap properties
 * (or divides it, below 1, for slow ones). fast-check itself reports the seed and the shrunk
 * counterexample when a property fails.
 */
export function fuzzParams<T>(scale = 1): fc.Parameters<T> {
  if (!announced) {
    announced = true;
    process.stdout.write(`# fuzz: FUZZ_SEED=${FUZZ_SEED} FUZZ_RUNS=${FUZZ_RUNS}\n`);
  }
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(FUZZ_RUNS * scale)) };
}
