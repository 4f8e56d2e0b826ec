/**
 * Against the real Docker engine: a container writes numbered lines fast with json-file
 * max-size/max-file set small, so Docker rotates its log many times while we read; every numbered
 * line must be read exactly once, in order, from the container's first line to its last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { createFileReader } from '../../../../src/agent/tail/file-reader.js';
import { eventCounter, readUntil } from './support.js';

const run = promisify(execFile);
const SOCKET = '/var/run/docker.sock';
const haveDocker = existsSync(SOCKET);
const skip = !haveDocker && !process.env.CI ? `no Docker engine at ${SOCKET} (set CI=1 to make this a failure)` : false;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

test('Docker json-file rotation (max-size, max-file=3): every numbered line read exactly once', { skip, timeout: 20_000 }, async (t) => {
  assert.ok(haveDocker, `CI requires a Docker engine at ${SOCKET}`);
  const N = 40_000;
  // 2000 lines every 50 ms (up to 40k lines/s): Docker rotates every ~2,800 lines at max-size=200k, so
  // with max-file=3 the reader must never be more than ~140 ms behind. (Unpaced, busybox seq makes
  // Docker write 30,000 lines in well under 100 ms: no tailer keeps two files' distance from that.)
  // The first sleep leaves time to inspect: LogPath is only set once the container has started.
  const script = `sleep 0.5; i=1; while [ $i -le ${N} ]; do seq $i $((i+1999)); i=$((i+2000)); sleep 0.05; done`;
  const id = await docker(
    'create',
    '--network',
    'none',
    '--log-driver',
    'json-file',
    '--log-opt',
    'max-size=200k',
    '--log-opt',
    'max-file=3',
    'local/busybox:1',
    'sh',
    '-c',
    script,
  );
  t.after(() => docker('rm', '-f', id).catch(() => {}));
  await docker('start', id);
  const logPath = await docker('inspect', '--format', '{{.LogPath}}', id);
  assert.ok(logPath.endsWith('-json.log'), logPath);
  const ev = eventCounter();
  // A new source is read from its first line.
  const r = createFileReader({ path: logPath, format: 'docker-json', maxLineBytes: 256 * 1024, pollIntervalMs: 50, deletedGraceMs: 1000, onEvent: ev.onEvent });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.length >= N, 18_000);
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
