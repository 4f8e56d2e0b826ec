/**
 * The positions file: survives restarts, is never torn (kill -9 while writing leaves the old or the
 * new content), and a corrupt file is moved aside rather than crashing the agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PositionsFile } from '../../../../src/agent/tail/positions.js';
import type { FilePosition } from '../../../../src/agent/model.js';
import { tempDir } from './support.js';
import { setImmediate, setTimeout as delay } from 'node:timers/promises';
import { seededRandom } from '../../../helpers/random.js';
import { waitFor } from '../../../helpers/wait-for.js';

const pos = (offset: number): FilePosition => ({ kind: 'file', path: '/var/lib/docker/containers/x/x-json.log', dev: 64768, ino: 1234, offset });

test('positions survive a restart; flush writes only when something changed', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'positions.json');
  const p = await PositionsFile.open(path);
  assert.equal(p.recovered, undefined);
  assert.equal(p.size, 0);
  p.set('docker:abc', pos(100));
  p.set('docker:since', { kind: 'since', ts: '1767323045000000000' });
  p.set('file:/tmp/gone', pos(5));
  p.delete('file:/tmp/gone');
  await p.flush();
  const json = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(json.version, 1);
  const ino = statSync(path).ino;
  p.set('docker:abc', pos(100)); // same value: nothing to write
  await p.flush();
  assert.equal(statSync(path).ino, ino, 'no rewrite when nothing changed');
  const again = await PositionsFile.open(path);
  assert.deepEqual([...again.entries()], [
    ['docker:abc', pos(100)],
    ['docker:since', { kind: 'since', ts: '1767323045000000000' }],
  ]);
  assert.deepEqual(again.get('docker:abc'), pos(100));
  assert.equal(again.get('nope'), undefined);
  assert.ok(!existsSync(path + '.tmp'));
});

test('concurrent flushes are serialised and a reader never sees a torn file', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'positions.json');
  const p = await PositionsFile.open(path);
  let reads = 0;
  for (let i = 0; i < 100; i++) {
    for (let k = 0; k < 50; k++) p.set(`k8s:pod/c/${k}`, pos(i * 1000 + k));
    const a = p.flush();
    const b = p.flush();
    while (!(await Promise.race([Promise.all([a, b]).then(() => true), setImmediate().then(() => false)]))) {
      if (existsSync(path)) {
        JSON.parse(readFileSync(path, 'utf8'));
        reads++;
      }
    }
  }
  assert.ok(reads > 0);
  assert.equal((await PositionsFile.open(path)).get('k8s:pod/c/49')!.kind, 'file');
});

test('kill -9 while flushing in a loop leaves a complete positions file (old or new)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'positions.json');
  const script = join(dir, 'flusher.mts');
  const modUrl = new URL('../../../../src/agent/tail/positions.ts', import.meta.url).href;
  writeFileSync(
    script,
    `import { PositionsFile } from ${JSON.stringify(modUrl)};
const p = await PositionsFile.open(${JSON.stringify(path)});
for (let i = 0; ; i++) {
  for (let k = 0; k < 200; k++) p.set('id' + k, { kind: 'file', path: '/x', dev: 1, ino: k, offset: i });
  await p.flush();
  if (i === 3) process.stdout.write('go\\n');
}
`,
  );
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const rnd = seededRandom(t);
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => resolve());
      child.on('exit', (code) => reject(new Error(`flusher exited early (${code})`)));
    });
    // The kill lands at a random point of the flush loop: seeded, and the seed is printed.
    await delay(rnd.between(20, 100));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const p = await PositionsFile.open(path);
    assert.equal(p.recovered, undefined, 'not torn');
    const offsets = new Set([...p.entries()].map(([, v]) => (v as FilePosition).offset));
    assert.equal(p.size, 200);
    assert.equal(offsets.size, 1, 'one consistent version');
  }
});

test('a corrupt positions file is moved aside, reported, and the agent starts empty', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'positions.json');
  for (const bad of ['{"version":1,"positions":{"a":{"kind":"file"', '', '[]', '{"version":99,"positions":{}}', '{"version":1,"positions":{"a":{"kind":"file","path":"/x","dev":1,"ino":-1,"offset":0}}}']) {
    writeFileSync(path, bad);
    const p = await PositionsFile.open(path);
    assert.ok(p.recovered, `recovered from ${JSON.stringify(bad)}`);
    assert.equal(readFileSync(p.recovered, 'utf8'), bad);
    assert.equal(p.size, 0);
    assert.ok(!existsSync(path));
    p.set('x', pos(1));
    await p.flush();
    assert.deepEqual((await PositionsFile.open(path)).get('x'), pos(1));
    const ms = Date.now();
    await waitFor('the next millisecond (distinct .corrupt-<ms> names)', () => Date.now() > ms, { intervalMs: 1 });
  }
  assert.equal(readdirSync(dir).filter((f) => f.includes('.corrupt-')).length, 5);
});
