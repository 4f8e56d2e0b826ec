#!/usr/bin/env node
// Runs the same test files N times in a row (issue #8: a suite is trusted once it passes many
// consecutive runs on a loaded machine) and reports each run's result, then a summary.
// Usage: npm run test:repeat -- <N> <path-substring> [...]
//   e.g. TEST_CONCURRENCY=2 npm run test:repeat -- 10 test/unit/agent/ test/e2e/agent/
// Each run is `node scripts/run-tests.mjs <path-substring> ...`; its full output is kept in a log
// file whose path is printed for a failed run. Exits 1 if any run failed.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [countArg, ...filters] = process.argv.slice(2);
const runs = Number(countArg);
if (!Number.isInteger(runs) || runs < 1 || filters.length === 0) {
  console.error('usage: npm run test:repeat -- <N> <path-substring> [...]');
  process.exit(2);
}
const logDir = mkdtempSync(join(tmpdir(), 'logwharf-test-repeat-'));
const runner = new URL('./run-tests.mjs', import.meta.url).pathname;
console.log(`${runs} runs of: ${filters.join(' ')} (TEST_CONCURRENCY=${process.env.TEST_CONCURRENCY ?? '2'}); logs in ${logDir}`);

/** One run: resolves with its exit code, the TAP summary counts and the names of failed top-level tests. */
function runOnce(i) {
  return new Promise((resolve) => {
    const log = join(logDir, `run-${String(i).padStart(3, '0')}.log`);
    const out = createWriteStream(log);
    const child = spawn(process.execPath, [runner, ...filters], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      out.write(d);
    });
    child.stderr.on('data', (d) => out.write(d));
    child.on('close', (code) => {
      out.end();
      const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
      // Top-level failures are unindented in TAP; `not ok` of a file names the file.
      const failed = [...text.matchAll(/^not ok \d+ - (.*)$/gm)].map((m) => m[1]);
      resolve({ code: code ?? 1, tests: count('tests'), pass: count('pass'), fail: count('fail'), failed, log });
    });
  });
}

const results = [];
for (let i = 1; i <= runs; i++) {
  const t0 = Date.now();
  const r = await runOnce(i);
  results.push(r);
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  const verdict = r.code === 0 ? 'ok' : 'FAILED';
  console.log(`run ${i}/${runs}: ${verdict}  tests ${r.tests}, pass ${r.pass}, fail ${r.fail}  (${secs} s)${r.code === 0 ? '' : `  log: ${r.log}`}`);
  for (const name of r.failed) console.log(`    not ok: ${name}`);
}
const bad = results.filter((r) => r.code !== 0).length;
console.log(`${runs - bad} of ${runs} runs passed`);
process.exit(bad === 0 ? 0 : 1);
