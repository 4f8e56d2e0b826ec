/**
 * Durability under kill -9 (issue 2 §3): a child process appends and is killed with SIGKILL at
 * arbitrary moments, several times over the same directory; afterwards every acknowledged entry is
 * there exactly once (seals and WAL checkpoints run throughout, so replay must skip what was
 * already sealed), and nothing that was never sent appears; also while cold compaction rewrites
 * blocks and the index, and while checkpoints roll and delete the open WAL segment.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createStore } from '../../../src/store/index.js';
import { readAll } from './store.case.js';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

function runAndKill(dir: string, prefix: string, killAfterAcks: number, mode = ''): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir, prefix, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked = new Set<number>();
    const rl = createInterface({ input: p.stdout! });
    rl.on('line', (l) => {
      if (!l.startsWith('ack ')) return;
      acked.add(Number(l.slice(4)));
      if (acked.size === killAfterAcks) p.kill('SIGKILL');
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal} before being killed`));
      else resolve(acked);
    });
  });
}

test('every acknowledged entry survives SIGKILL exactly once', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'logwharf-crash-'));
  try {
    const acked: Array<{ prefix: string; batches: Set<number> }> = [];
    // Odd runs also run the cold tier of compaction, the last two roll and delete the open WAL
    // segment at checkpoints (see crash-child.ts).
    for (const [i, n] of [150, 400, 60, 250, 300, 77, 203].entries()) {
      const prefix = `run${i}`;
      acked.push({ prefix, batches: await runAndKill(dir, prefix, n, i >= 5 ? 'roll' : i % 2 === 1 ? 'cold' : '') });
    }
    const store = createStore({ dir, compactionIntervalMs: 0, now: () => 1_714_521_600_000 });
    await store.start();
    const all = [...(await readAll(store, 't')).values()].flat();
    const seen = new Map<string, number>();
    for (const e of all) seen.set(e.line, (seen.get(e.line) ?? 0) + 1);
    for (const [line, count] of seen) assert.equal(count, 1, `${line.split(' ')[0]} appears ${count} times`);
    for (const { prefix, batches } of acked) {
      assert.ok(batches.size > 0);
      for (const b of batches) {
        for (let s = 0; s < 3; s++) {
          for (let i = 0; i < 5; i++) assert.ok(seen.has(`${prefix}-${b}-${s}-${i} ` + 'x'.repeat(40)), `acknowledged ${prefix}-${b}-${s}-${i} is missing`);
        }
      }
    }
    // Only whole batches: an append is all-or-nothing.
    const perBatch = new Map<string, number>();
    for (const line of seen.keys()) {
      const [p, b] = line.split('-');
      perBatch.set(`${p}-${b}`, (perBatch.get(`${p}-${b}`) ?? 0) + 1);
    }
    for (const [b, n] of perBatch) assert.equal(n, 15, `batch ${b} partially present`);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
