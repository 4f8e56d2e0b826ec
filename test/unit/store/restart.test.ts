/**
 * Restarts after kill -9 (issue #8 finding 4): they must never fail.
 * - Replay loads big sealed blocks for duplicate checks: a block of ~260,000 entries used to be
 *   spread into a call (`push(...entries)`) and every start died with "Maximum call stack size
 *   exceeded".
 * - The dead owner of LOCK may not be reaped yet (a zombie still answers kill(pid, 0)), or its pid
 *   may have been reused: the lock is taken over; a live second owner is still refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createStore } from '../../../src/store/index.js';
import { procStat } from '../../../src/store/dir-lock.js';
import { waitFor } from '../../helpers/wait-for.js';
import { readAll } from './store.case.js';
import { killAfterAck } from '../../helpers/kill-after-ack.js';

const root = mkdtempSync(join(tmpdir(), 'logwharf-restart-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const child = fileURLToPath(new URL('./big-block-child.ts', import.meta.url));

test('a store killed with kill -9 after sealing a 300,000-entry stream restarts with every entry', { timeout: 120_000 }, async () => {
  const dir = join(root, `d${++n}`);
  await killAfterAck([child, dir]);
  const store = createStore({ dir, compactionIntervalMs: 0 });
  await store.start();
  try {
    const entries = [...(await readAll(store, 't')).values()].flat();
    assert.equal(entries.length, 300_001);
    assert.equal(entries.filter((e) => e.line === 'inside').length, 1);
  } finally {
    await store.close();
  }
});

const linux = procStat(process.pid) !== undefined;

/**
 * A zombie: perl (part of every Debian, perl-base) forks a child that exits at once and never reaps
 * it, then prints the child's pid and sleeps. No timing is involved: the child stays a zombie until
 * its parent is killed.
 */
async function zombie(): Promise<{ pid: number; stop: () => Promise<void> }> {
  const p = spawn('perl', ['-e', '$| = 1; my $c = fork(); if ($c == 0) { exit 0 } print "$c\n"; sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = await new Promise<number>((resolve) => createInterface({ input: p.stdout! }).once('line', (l) => resolve(Number(l))));
  await waitFor(`process ${pid} to be a zombie`, () => procStat(pid)?.state === 'Z');
  return {
    pid,
    stop: async () => {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    },
  };
}

async function opensWith(dir: string, lock: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'LOCK'), lock);
  const s = createStore({ dir, compactionIntervalMs: 0 });
  await s.start();
  await s.close();
}

test('a LOCK whose owner is a zombie (killed, not yet reaped) is taken over', { skip: !linux && 'needs /proc' }, async () => {
  const z = await zombie();
  try {
    // As written before start times were recorded, and as written now.
    await opensWith(join(root, `d${++n}`), String(z.pid));
    await opensWith(join(root, `d${++n}`), `${z.pid} 1`);
  } finally {
    await z.stop();
  }
});

test('a LOCK whose pid now belongs to another process (other start time) is taken over; the live owner is refused', { skip: !linux && 'needs /proc' }, async () => {
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const pid = other.pid!;
    const start = await waitFor('the process to show in /proc', () => procStat(pid)?.startTime);
    await opensWith(join(root, `d${++n}`), `${pid} ${BigInt(start) + 1n}`);
    const dir = join(root, `d${++n}`);
    await assert.rejects(opensWith(dir, `${pid} ${start}`), (e: Error & { code?: string }) => e.code === 'store_unavailable' && e.message.includes(`in use by process ${pid}`));
  } finally {
    const gone = new Promise((r) => other.once('exit', r));
    other.kill('SIGKILL');
    await gone;
  }
});

test('a second store on a directory held by a running store is refused', async () => {
  const dir = join(root, `d${++n}`);
  const p = spawn(process.execPath, ['--import', 'tsx', '-e', `import { createStore } from ${JSON.stringify(new URL('../../../src/store/index.js', import.meta.url).pathname.replace(/\.js$/, '.ts'))}; const s = createStore({ dir: ${JSON.stringify(dir)}, compactionIntervalMs: 0 }); await s.start(); console.log('ready'); setInterval(() => {}, 60000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => createInterface({ input: p.stdout! }).on('line', (l) => l === 'ready' && resolve()));
    await assert.rejects(createStore({ dir, compactionIntervalMs: 0 }).start(), (e: Error & { code?: string }) => e.code === 'store_unavailable' && e.message.includes(`in use by process ${p.pid}`));
  } finally {
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
});
