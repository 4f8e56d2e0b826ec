/**
 * Against the real Docker engine: a container writes numbered lines fast with json-file
 * max-size/max-file set small, so Docker rotates its log many times while we read; every numbered
 * line must be read exactly once, in order, from the container's first line to its last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFileReader } from '../../../../src/agent/tail/file-reader.js';
import { BUSYBOX_IMAGE, docker, dockerOrSkip, removeContainer, TEST_LABEL } from '../../../helpers/docker.js';
import { eventCounter, readUntil } from './support.js';

test('Docker json-file rotation (max-size, max-file=5): every numbered line read exactly once', { timeout: 90_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const N = 40_000;
  // 1000 lines every 100 ms (up to 10k lines/s): Docker rotates every ~2,800 lines at max-size=200k and
  // deletes the oldest of five files, so the reader may fall ~1 s behind before a file it has not
  // read is gone. At 40k lines/s and three files that was ~140 ms: a loaded machine (five test runs on
  // two cores) starved the reader that long and a whole file (~2,600 lines) was lost, which no tailer
  // can prevent. The first sleep leaves time to inspect: LogPath is only set once the container has started.
  const script = `sleep 0.5; i=1; while [ $i -le ${N} ]; do seq $i $((i+999)); i=$((i+1000)); sleep 0.1; done`;
  const id = await docker(
    'create',
    '--network',
    'none',
    '--label',
    TEST_LABEL,
    '--log-driver',
    'json-file',
    '--log-opt',
    'max-size=200k',
    '--log-opt',
    'max-file=5',
    BUSYBOX_IMAGE,
    'sh',
    '-c',
    script,
  );
  t.after(() => removeContainer(id));
  await docker('start', id);
  const logPath = await docker('inspect', '--format', '{{.LogPath}}', id);
  assert.ok(logPath.endsWith('-json.log'), logPath);
  const ev = eventCounter();
  // A new source is read from its first line.
  const r = createFileReader({ path: logPath, format: 'docker-json', maxLineBytes: 256 * 1024, pollIntervalMs: 50, deletedGraceMs: 1000, onEvent: ev.onEvent });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.length >= N, 60_000);
  const lines = got.lines.map((l) => l.line);
  const firstBad = lines.findIndex((l, i) => l !== String(i + 1));
  assert.equal(firstBad, -1, `line ${firstBad}: ${lines[firstBad]} (expected ${firstBad + 1})`);
  assert.equal(lines.length, N);
  assert.ok(got.lines.every((l) => l.stream === 'stdout' && l.ts > 0n));
  assert.ok((ev.counts.rotation ?? 0) >= 5, `Docker rotated ${ev.counts.rotation} times under the reader`);
  t.diagnostic(`${N} lines through ${ev.counts.rotation} Docker rotations`);
  assert.equal(ev.counts.lost_rotated, undefined);
  assert.equal(ev.counts.malformed_record, undefined);
  // The container has exited: drain() ends the reader once everything is read.
  await docker('wait', id);
  r.drain();
  const rest = await readUntil(r, () => false, 5000);
  assert.equal(rest.ended, true);
  assert.deepEqual(rest.lines, []);
  assert.equal(r.openFiles, 0);
});
