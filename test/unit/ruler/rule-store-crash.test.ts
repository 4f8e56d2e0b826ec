/**
 * The rule store under kill -9: a child process keeps adding groups to a namespace and is killed
 * with SIGKILL at a random moment (seeded), several times over one data directory. Afterwards every
 * namespace file loads (nothing is moved aside as damaged), no temp file is left, and each namespace
 * holds every acknowledged group in order, plus at most the one write that was under way.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RuleStore } from '../../../src/ruler/rule-store.js';
import { tenantRulesDir } from '../../../src/ruler/rule-paths.js';
import { createLogger } from '../../../src/util/logger.js';
import { seededRandom } from '../../helpers/random.js';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Runs the child until it has acknowledged `killAfter` writes (+ a random few ms), then SIGKILLs it; the last ack seen. */
function runAndKill(dir: string, namespace: string, killAfter: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir, namespace], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = -1;
    const rl = createInterface({ input: p.stdout! });
    rl.on('line', (l) => {
      if (!l.startsWith('ack ')) return;
      last = Number(l.slice(4));
      if (last + 1 === killAfter) setTimeout(() => p.kill('SIGKILL'), delayMs);
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal} before being killed`));
      else resolve(last);
    });
  });
}

test('acknowledged rule groups survive SIGKILL at any moment, and no file is ever half written', { timeout: 120_000 }, async (t) => {
  const random = seededRandom(t);
  const dir = await mkdtemp(join(tmpdir(), 'logwharf-rulestore-crash-'));
  try {
    const runs: Array<{ namespace: string; lastAck: number }> = [];
    for (let r = 0; r < 6; r++) {
      const namespace = `run${r}`;
      runs.push({ namespace, lastAck: await runAndKill(dir, namespace, 5 + random.int(30), random.int(15)) });
    }
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
    const store = await RuleStore.open({ dataDir: dir, maxGroupsPerTenant: 100_000, maxRulesPerGroup: 1000, log });
    assert.ok(!lines.some((l) => l.includes('damaged')), lines.join(''));
    for (const { namespace, lastAck } of runs) {
      const names = (store.namespaces('fake').get(namespace) ?? []).map((g) => g.name);
      assert.ok(names.length === lastAck + 1 || names.length === lastAck + 2, `${namespace}: ${names.length} groups after ack ${lastAck}`);
      assert.deepEqual(names, Array.from({ length: names.length }, (_, i) => `g${i}`));
    }
    const left = await readdir(tenantRulesDir(dir, 'fake'));
    assert.deepEqual(left.filter((f) => !f.endsWith('.yaml')), [], 'no temp or damaged files remain');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
