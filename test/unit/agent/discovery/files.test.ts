/** Plain-file discovery over real files in a temporary directory. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { createFileDiscovery, isTargetName } from '../../../../src/agent/discovery/files.js';
import { createLogger } from '../../../../src/util/logger.js';
import { recordingSink, scanCounter } from './recording-sink.js';
import { waitFor } from '../../../helpers/wait-for.js';

const log = createLogger({ level: 'silent' });

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'file-disc-'));
  const touch = (name: string) => {
    const p = join(dir, name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, 'line\n');
    return p;
  };
  return { dir, touch, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('globs and excludes pick the files; each is a raw file target with filename and host labels', async () => {
  const t = tempDir();
  const app = t.touch('app/app.log');
  const nested = t.touch('app/sub/deep.log');
  t.touch('app/debug.log');
  t.touch('app/readme.txt');
  const sys = t.touch('sys/syslog');
  mkdirSync(join(t.dir, 'app/dir.log')); // a directory named like a log is not a file
  const sink = recordingSink();
  const scans = scanCounter();
  const d = createFileDiscovery(
    [
      { paths: [join(t.dir, 'app/**/*.log')], exclude: [join(t.dir, 'app/debug.log')], labels: { job: 'app', host: 'override' } },
      // The second entry matches app.log again: the first entry's labels stay.
      { paths: [join(t.dir, 'sys/syslog'), join(t.dir, 'app/app.log')], exclude: [], labels: { job: 'system' } },
    ],
    sink,
    { log, host: 'h1', intervalMs: 100, onScanned: scans.onScanned },
  );
  try {
    await d.start();
    assert.deepEqual(sink.upserts.map((u) => u.id).sort(), [`file:${app}`, `file:${nested}`, `file:${sys}`]);
    assert.deepEqual(sink.latest(`file:${app}`), {
      id: `file:${app}`,
      kind: 'file',
      labels: { host: 'override', job: 'app', filename: app },
      reader: { type: 'file', path: app, format: 'raw' },
      info: { file: app, node: 'h1' },
    });
    assert.deepEqual(sink.latest(`file:${sys}`)!.labels, { host: 'h1', job: 'system', filename: sys });
    // A file created later is found by the next expansion.
    const later = t.touch('app/later.log');
    await waitFor('the new file', () => sink.latest(`file:${later}`) !== undefined, { timeoutMs: 2000 });
    await scans.scans(2);
    assert.equal(sink.upserts.length, 4, 'known files are not upserted again');
    assert.deepEqual(sink.errors, []);
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('relative patterns resolve against the working directory and produce absolute paths', async () => {
  const t = tempDir();
  const p = t.touch('rel/a.log');
  const sink = recordingSink();
  const pattern = relative(process.cwd(), join(t.dir, 'rel/*.log'));
  const d = createFileDiscovery([{ paths: [pattern], exclude: [], labels: {} }], sink, { log, host: 'h', intervalMs: 100 });
  try {
    await d.start();
    assert.deepEqual(sink.upserts.map((u) => u.id), [`file:${p}`]);
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('rotated and compressed siblings are not targets, unless the pattern names them', async () => {
  const t = tempDir();
  const live = t.touch('app.log');
  const sink = recordingSink();
  const scans = scanCounter();
  const explicit = t.touch('keep/app.log.1');
  const d = createFileDiscovery(
    [
      { paths: [join(t.dir, '*.log*')], exclude: [], labels: {} },
      { paths: [join(t.dir, 'keep/app.log.1')], exclude: [], labels: {} },
    ],
    sink,
    { log, host: 'h', intervalMs: 100, onScanned: scans.onScanned },
  );
  try {
    await d.start();
    // logrotate: rename, re-create, compress the older one.
    renameSync(live, `${live}.1`);
    t.touch('app.log');
    t.touch('app.log.2.gz');
    t.touch('app.log-20240101');
    t.touch('app.log-2024010112');
    // The scan under way may predate the changes; the next two see them all.
    await scans.scans(3);
    assert.deepEqual(sink.upserts.map((u) => u.id).sort(), [`file:${live}`, `file:${explicit}`]);
    assert.deepEqual(sink.finishedIds, [], 'the live file was back before two expansions missed it');
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('isTargetName: the sibling rule', () => {
  const m = picomatch(['/l/*.log*', '/x/*', '/g/*.gz', '/n/app.log.1']);
  assert.equal(isTargetName('/l/app.log', m), true);
  assert.equal(isTargetName('/l/app.log.1', m), false);
  assert.equal(isTargetName('/l/app.log.12', m), false);
  assert.equal(isTargetName('/l/app.log-20240101', m), false);
  assert.equal(isTargetName('/l/app.log-20240101123000', m), false);
  assert.equal(isTargetName('/l/app.log.1.gz', m), false);
  assert.equal(isTargetName('/x/syslog.1', m), false);
  assert.equal(isTargetName('/x/syslog', m), true);
  assert.equal(isTargetName('/x/2024', m), true, 'a name that is only digits has no stem');
  assert.equal(isTargetName('/g/app.log.gz', m), false, 'compressed files are never read as text');
  assert.equal(isTargetName('/n/app.log.1', m), true, 'named by the pattern itself');
});

test('a removed file is finished after it stays missing; one that comes back is a target again', async () => {
  const t = tempDir();
  const a = t.touch('a.log');
  const b = t.touch('b.log');
  const sink = recordingSink();
  const d = createFileDiscovery([{ paths: [join(t.dir, '*.log')], exclude: [], labels: {} }], sink, { log, host: 'h', intervalMs: 100 });
  try {
    await d.start();
    rmSync(a);
    await waitFor('a finished', () => sink.finishedIds.includes(`file:${a}`), { timeoutMs: 2000 });
    assert.deepEqual(sink.finishedIds, [`file:${a}`]);
    t.touch('a.log');
    await waitFor('a again', () => sink.upserts.filter((u) => u.id === `file:${a}`).length === 2, { timeoutMs: 2000 });
    assert.ok(!sink.finishedIds.includes(`file:${b}`));
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('globs over missing or unreadable directories find nothing and break nothing', async () => {
  const t = tempDir();
  mkdirSync(join(t.dir, 'locked'), { mode: 0o000 });
  const sink = recordingSink();
  const scans = scanCounter();
  const d = createFileDiscovery([{ paths: [join(t.dir, 'nope/**/*.log'), join(t.dir, 'locked/*.log')], exclude: [], labels: {} }], sink, {
    log,
    host: 'h',
    intervalMs: 100,
    onScanned: scans.onScanned,
  });
  try {
    await d.start();
    await scans.scans(2);
    assert.deepEqual(sink.errors, []);
    const p = t.touch('nope/x/y.log');
    await waitFor('the file in the directory created later', () => sink.latest(`file:${p}`) !== undefined, { timeoutMs: 2000 });
  } finally {
    await d.close();
    t.cleanup();
  }
});
