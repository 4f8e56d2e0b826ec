/**
 * Child process for crash.test.ts: appends numbered batches to a store as fast as it can, several
 * in flight at once, and prints `ack <batch>` after each append resolved. The parent kills it with
 * SIGKILL at an arbitrary moment. Small blocks make seals (and WAL checkpoints) happen throughout.
 * With a third argument `cold`, the clock is a second after the data and every block is old enough
 * for the cold tier, so cold compaction (merges, index rewrites, segment moves) runs throughout too.
 * With `roll`, one writer seals everything every few batches, so the WAL checkpoint finds every
 * record sealed and rolls and deletes the open segment throughout (issue #12).
 */
import { createStore } from '../../../src/store/index.js';

const [dir, prefix, mode] = process.argv.slice(2) as [string, string, string | undefined];
const cold = mode === 'cold' ? { coldAfterMs: 0, coldBlockBytes: 8192, coldSliceBytes: 4096, segmentBytes: 64 * 1024 } : {};
const now = 1_714_521_600_000 + (mode === 'cold' ? 1000 : 0);
const store = createStore({ dir, blockTargetBytes: 2048, maxBlockAgeMs: 50, compactionIntervalMs: 30, unlinkGraceMs: 0, now: () => now, ...cold });
await store.start();
process.stdout.write('ready\n');
const T0 = 1_714_521_600_000_000_000n;
let batch = 0;
async function worker(): Promise<void> {
  for (;;) {
    const b = batch++;
    const streams = [0, 1, 2].map((s) => ({
      labels: { job: 'crash', stream: String(s) },
      entries: Array.from({ length: 5 }, (_, i) => ({ ts: T0 + BigInt(b * 100 + s * 10 + i), line: `${prefix}-${b}-${s}-${i} ` + 'x'.repeat(40) })),
    }));
    await store.append('t', streams);
    process.stdout.write(`ack ${b}\n`);
    if (mode === 'roll' && b % 8 === 7) await store.flush();
  }
}
await Promise.all(mode === 'roll' ? [worker()] : [worker(), worker(), worker(), worker()]);
