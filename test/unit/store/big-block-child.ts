/**
 * Child process for restart.test.ts: pushes one stream of 300,000 one-byte lines 1 µs apart (so a
 * single sealed block holds about 260,000 entries), waits until it is sealed, then appends one entry
 * inside that range, prints `ack` and waits to be killed with SIGKILL. Replaying that last WAL
 * record makes the next start load the big block for duplicate checks.
 */
import { createStore } from '../../../src/store/index.js';

const [dir] = process.argv.slice(2) as [string];
const store = createStore({ dir, compactionIntervalMs: 0 });
await store.start();
const T0 = BigInt(Date.now() - 120_000) * 1_000_000n;
const labels = { job: 'big' };
const entries = Array.from({ length: 300_000 }, (_, i) => ({ ts: T0 + BigInt(i) * 1000n, line: 'x' }));
await store.append('t', [{ labels, entries }]);
// The seal the reproduction waited 2 s for, made explicit.
await store.flush();
await store.append('t', [{ labels, entries: [{ ts: T0 + 1500n, line: 'inside' }] }]);
process.stdout.write('ack\n');
setInterval(() => {}, 60_000);
