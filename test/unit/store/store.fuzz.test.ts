/**
 * Fuzzing the whole start-up path (issue #8): random damage to any file of a real data directory
 * (WAL segment, streams.log, index.log, block segment) never makes start() fail or crash, and the
 * store then serves only entries that were written (damaged blocks answer with the damaged-block
 * error and are skipped), never altered ones.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { createStore } from '../../../src/store/index.js';
import { isDamagedBlock } from '../../../src/store/damaged-block.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const T0 = 1_714_521_600_000_000_000n;
const now = () => 1_714_521_600_000;
const root = mkdtempSync(join(tmpdir(), 'logwharf-store-fuzz-'));
const template = join(root, 'template');
const written = new Set<string>();
let files: string[] = [];
after(() => rmSync(root, { recursive: true, force: true }));

function walk(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n !== 'LOCK' && n !== 'tenant' && statSync(p).size > 0) out.push(relative(template, p));
  }
  return out;
}

before(async () => {
  const s = createStore({ dir: template, compactionIntervalMs: 0, now });
  await s.start();
  for (let round = 0; round < 4; round++) {
    for (const job of ['a', 'b', 'c']) {
      // Round 3 shares round 0's timestamps (other lines): replaying it reads the sealed blocks for duplicate checks.
      const entries = Array.from({ length: 30 }, (_, i) => ({ ts: T0 + BigInt((round % 3) * 100 + i), line: `${job} ${round} ${i}` }));
      for (const e of entries) written.add(`${job}|${e.ts}|${e.line}`);
      await s.append('t', [{ labels: { job }, entries }]);
    }
    // Rounds 0-2 sealed into blocks, round 3 left in the WAL (abandoned as by kill -9).
    if (round < 3) await s.flush();
  }
  files = walk(template);
});

let n = 0;
test('random damage to any file of a data directory: start() succeeds and only written entries are served', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 24 })), { minLength: 1, maxLength: 3 }), fc.option(fc.nat(), { nil: undefined }), async (which, flips, cut) => {
      const dir = join(root, `d${++n}`);
      cpSync(template, dir, { recursive: true });
      const file = join(dir, files[which % files.length]!);
      let buf = readFileSync(file);
      for (const [at, len] of flips) for (let i = at % buf.length; i < Math.min(buf.length, (at % buf.length) + len); i++) buf[i]! ^= 0xc3;
      if (cut !== undefined) buf = buf.subarray(0, cut % (buf.length + 1));
      writeFileSync(file, buf);
      const s = createStore({ dir, compactionIntervalMs: 0, now, log: { info() {}, warn() {}, error() {} } });
      await s.start();
      try {
        for (const job of ['a', 'b', 'c']) {
          const ids = s.streams('t', [{ name: 'job', op: '=', value: job }], 0n, 2n * T0).map((x) => x.id);
          for (const ref of s.blocks('t', ids, 0n, 2n * T0)) {
            let entries;
            try {
              entries = await s.readBlock(ref);
            } catch (e) {
              assert.ok(isDamagedBlock(e), `not a damaged-block error: ${(e as Error).message}`);
              continue;
            }
            for (const e of entries) assert.ok(written.has(`${job}|${e.ts}|${e.line}`), `served ${e.line} at ${e.ts}, never written (damaged ${files[which % files.length]})`);
          }
        }
      } finally {
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    fuzzParams(0.1),
  );
});
