/**
 * The logs-endpoint reader against the real engine (issue #4 §1, §2): containers with the `local`
 * driver read exactly once, in order, 16 KiB pieces joined, TTY output, resume from a committed
 * position without repeats, reconnect after the connection breaks, and the end of an exited container.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDockerApi } from '../../../src/agent/discovery/docker-api.js';
import { createDockerLogsReader } from '../../../src/agent/tail/docker-logs-reader.js';
import type { LineReader, LogLine, ReaderEvent, SincePosition } from '../../../src/agent/model.js';
import { pushAll } from '../../../src/util/arrays.js';
import { dockerOrSkip, docker, removeContainer, runContainer, CuttableProxy, DOCKER_SOCKET, BUSYBOX_IMAGE } from '../../helpers/docker.js';

const api = createDockerApi(DOCKER_SOCKET);

interface Read {
  lines: LogLine[];
  batches: number;
  maxBatch: number;
  position?: SincePosition;
}

/** Reads batches until `until` holds (or the reader ends); fails after the timeout. */
async function readUntil(reader: LineReader, until: (lines: LogLine[]) => boolean, timeoutMs = 8000, into: Read = { lines: [], batches: 0, maxBatch: 0 }): Promise<Read & { ended: boolean }> {
  const deadline = Date.now() + timeoutMs;
  while (!until(into.lines)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out with ${into.lines.length} lines, last: ${JSON.stringify(into.lines.at(-1)?.line)}`);
    let timer: NodeJS.Timeout | undefined;
    const b = await Promise.race([reader.next(), new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left)))]);
    clearTimeout(timer);
    if (b === 'timeout') continue;
    if (b === undefined) return { ...into, ended: true };
    pushAll(into.lines, b.lines);
    into.batches++;
    into.maxBatch = Math.max(into.maxBatch, b.lines.length);
    assert.equal(b.position.kind, 'since');
    into.position = b.position as SincePosition;
  }
  return { ...into, ended: false };
}

const seqOf = (lines: LogLine[]) => lines.filter((l) => /^\d{1,6}$/.test(l.line)).map((l) => Number(l.line));
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

test('a local-driver container is read exactly once and in order, 16 KiB pieces joined, to its last line', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const id = await runContainer([
    '--log-driver', 'local',
    BUSYBOX_IMAGE, 'sh', '-c',
    'sleep 0.3; seq 1 5000; echo to-stderr >&2; printf "%040000d\\n" 7; echo "ünïcödé"; printf tail-without-newline',
  ]);
  t.after(() => removeContainer(id));
  const events: ReaderEvent[] = [];
  const reader = createDockerLogsReader(api, id, { maxLineBytes: 64 * 1024, onEvent: (e) => events.push(e) });
  t.after(() => reader.close());
  await docker('wait', id);
  // The container has exited: the reader drains to the end and finishes by itself.
  reader.drain();
  const r = await readUntil(reader, () => false, 10_000);
  assert.ok(r.ended, 'next() resolves undefined after the last line');
  assert.equal(reader.openFiles, 0);
  assert.deepEqual(seqOf(r.lines), range(1, 5000));
  assert.ok(r.maxBatch <= 2000, `batches hold at most 2000 lines (got ${r.maxBatch})`);
  const rest = r.lines.filter((l) => !/^\d{1,6}$/.test(l.line));
  // In order within each stream. Docker copies stdout and stderr in two goroutines, so the order
  // between the streams is whatever Docker logged (under load the stderr line came later).
  const inStream = (stream: string) => rest.filter((l) => l.stream === stream).map((l) => (l.line.length > 100 ? `${l.line.length} chars` : l.line));
  assert.deepEqual(inStream('stdout'), ['40000 chars', 'ünïcödé', 'tail-without-newline']);
  assert.deepEqual(inStream('stderr'), ['to-stderr']);
  assert.equal(rest.length, 4);
  const long = rest.find((l) => l.line.length > 100)!;
  assert.equal(long.line, '0'.repeat(39999) + '7');
  assert.equal(long.truncated, undefined);
  assert.deepEqual(events, []);
  // Runtime timestamps, never decreasing within a stream.
  const out = r.lines.filter((l) => l.stream === 'stdout');
  for (let i = 1; i < out.length; i++) assert.ok(out[i]!.ts >= out[i - 1]!.ts);
  const started = BigInt(Date.parse(await docker('inspect', '--format', '{{.State.StartedAt}}', id))) * 1_000_000n;
  assert.ok(r.lines[0]!.ts >= started - 1_000_000_000n && r.lines[0]!.ts <= started + 60_000_000_000n);
  assert.equal(r.position?.ts, r.lines.reduce((m, l) => (l.ts > m ? l.ts : m), 0n).toString());
});

test('lines longer than maxLineBytes are split into marked pieces and counted', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const id = await runContainer(['--log-driver', 'local', BUSYBOX_IMAGE, 'sh', '-c', 'printf "%040000d\\n" 7; echo after']);
  t.after(() => removeContainer(id));
  const events: ReaderEvent[] = [];
  const reader = createDockerLogsReader(api, id, { maxLineBytes: 10_000, onEvent: (e) => events.push(e) });
  t.after(() => reader.close());
  await docker('wait', id);
  reader.drain();
  const r = await readUntil(reader, () => false);
  const pieces = r.lines.slice(0, -1);
  assert.equal(pieces.map((l) => l.line).join(''), '0'.repeat(39999) + '7');
  assert.ok(pieces.length >= 4 && pieces.every((l) => l.truncated === true && Buffer.byteLength(l.line) <= 10_000));
  assert.deepEqual(r.lines.at(-1), { ts: r.lines.at(-1)!.ts, line: 'after', stream: 'stdout' });
  assert.ok(events.filter((e) => e === 'split_line').length >= 3);
});

test('a TTY container is one raw stream: lines without their carriage returns, all stdout', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const id = await runContainer([
    '-t', '--log-driver', 'local',
    BUSYBOX_IMAGE, 'sh', '-c', 'echo tty-one; echo tty-two >&2; printf "%040000d\\n" 7; printf "a\\rb\\n"; echo after; sleep 30',
  ]);
  t.after(() => removeContainer(id));
  const reader = createDockerLogsReader(api, id, { maxLineBytes: 64 * 1024 });
  t.after(() => reader.close());
  const r = await readUntil(reader, (ls) => ls.some((l) => l.line === 'after'));
  assert.deepEqual(
    r.lines.map((l) => [l.stream, l.line.length > 100 ? `${l.line.length} chars` : l.line]),
    [
      ['stdout', 'tty-one'],
      ['stdout', 'tty-two'],
      ['stdout', '40000 chars'],
      ['stdout', 'a\rb'],
      ['stdout', 'after'],
    ],
  );
  assert.equal(r.lines[2]!.line, '0'.repeat(39999) + '7');
});

test('resuming from a committed position repeats nothing but lines with that very timestamp', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const id = await runContainer(['--log-driver', 'local', BUSYBOX_IMAGE, 'sh', '-c', 'seq 1 1500; sleep 1.2; seq 1501 3000; sleep 30']);
  t.after(() => removeContainer(id));
  const first = createDockerLogsReader(api, id, { maxLineBytes: 1024 });
  const r1 = await readUntil(first, (ls) => ls.length >= 1500);
  await first.close();
  const pos = r1.position!;
  const second = createDockerLogsReader(api, id, { maxLineBytes: 1024, start: pos });
  t.after(() => second.close());
  const r2 = await readUntil(second, (ls) => ls.some((l) => l.line === '3000'));
  const posTs = BigInt(pos.ts);
  const repeated = r2.lines.filter((l) => r1.lines.some((o) => o.line === l.line));
  assert.ok(repeated.every((l) => l.ts === posTs), `only same-timestamp lines repeat (repeated ${repeated.length})`);
  assert.ok(repeated.length <= 1);
  const fresh = r2.lines.filter((l) => l.ts !== posTs || !r1.lines.some((o) => o.line === l.line));
  assert.deepEqual([...seqOf(r1.lines), ...seqOf(fresh)], range(1, 3000));
  assert.ok(r2.lines.every((l) => l.ts >= posTs));
});

test('a connection that breaks while the container runs is reopened, with no line lost or repeated', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'lh-logs-proxy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proxy = new CuttableProxy(join(dir, 'docker.sock'));
  await proxy.open();
  t.after(() => proxy.cut());
  const id = await runContainer([
    '--log-driver', 'local',
    BUSYBOX_IMAGE, 'sh', '-c', 'i=1; while [ $i -le 60 ]; do echo $i; i=$((i+1)); sleep 0.03; done; sleep 30',
  ]);
  t.after(() => removeContainer(id));
  const reader = createDockerLogsReader(createDockerApi(proxy.path), id, { maxLineBytes: 1024, minBackoffMs: 50 });
  t.after(() => reader.close());
  const r = await readUntil(reader, (ls) => ls.length >= 10);
  await proxy.cut();
  await new Promise((res) => setTimeout(res, 400));
  await proxy.open();
  const all = await readUntil(reader, (ls) => ls.some((l) => l.line === '60'), 8000, r);
  assert.deepEqual(seqOf(all.lines), range(1, 60));
});

test('a removed container ends the reader; a missing one ends it at once', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const gone = createDockerLogsReader(api, 'f'.repeat(64), { maxLineBytes: 1024 });
  assert.equal(await gone.next(), undefined);
  const id = await runContainer(['--log-driver', 'local', BUSYBOX_IMAGE, 'sh', '-c', 'echo one; sleep 60']);
  t.after(() => removeContainer(id));
  const reader = createDockerLogsReader(api, id, { maxLineBytes: 1024 });
  t.after(() => reader.close());
  await readUntil(reader, (ls) => ls.length >= 1);
  await docker('rm', '-f', id);
  reader.drain();
  const r = await readUntil(reader, () => false, 8000);
  assert.ok(r.ended);
});

test('a hostile engine: bad timestamps, invalid UTF-8, NUL bytes and a corrupt frame header are counted, the reader reconnects and goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lh-fake-engine-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'docker.sock');
  const frame = (stream: number, text: string | Buffer) => {
    const data = typeof text === 'string' ? Buffer.from(text) : text;
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(data.length, 4);
    return Buffer.concat([h, data]);
  };
  const T = (s: number) => `2026-01-02T03:04:0${s}.000000001Z`;
  const good = [
    frame(1, `${T(1)} hello\n`),
    frame(1, Buffer.concat([Buffer.from(`${T(2)} inv`), Buffer.from([0xff, 0xfe]), Buffer.from('utf\n')])),
    frame(2, `${T(3)} nul\u0000byte\n`),
  ];
  const logRequests: string[] = [];
  let running = true;
  const server = createHttpServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/version') return res.end(JSON.stringify({ ApiVersion: '1.41', MinAPIVersion: '1.12' }));
    if (url.startsWith('/v1.41/containers/abc/json')) {
      return res.end(JSON.stringify({ Id: 'abc', Name: '/fake', Image: 'x', LogPath: '', Config: { Tty: false }, State: { Running: running }, HostConfig: {} }));
    }
    if (url.startsWith('/v1.41/containers/abc/logs')) {
      logRequests.push(url);
      if (logRequests.length === 1) {
        // Good lines, one with a bad timestamp, then a header that is not Docker's framing.
        return res.end(Buffer.concat([good[0]!, frame(1, 'not-a-time line\n'), good[1]!, good[2]!, Buffer.from([9, 9, 9, 9, 0, 0, 0, 1, 65])]));
      }
      running = false;
      return res.end(Buffer.concat([...good, frame(1, `${T(4)} world\n`)]));
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ message: 'no such thing' }));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => server.close());
  const events: ReaderEvent[] = [];
  const reader = createDockerLogsReader(createDockerApi(path), 'abc', { maxLineBytes: 1024, minBackoffMs: 20, onEvent: (e) => events.push(e) });
  t.after(() => reader.close());
  const r = await readUntil(reader, () => false, 5000);
  assert.ok(r.ended, 'the reader finishes once the container is not running');
  assert.deepEqual(
    r.lines.map((l) => [l.stream, l.line]),
    [
      ['stdout', 'hello'],
      ['stdout', 'inv\uFFFD\uFFFDutf'],
      ['stderr', 'nul\u0000byte'],
      ['stdout', 'world'],
    ],
  );
  assert.deepEqual(events.sort(), ['invalid_utf8', 'malformed_record', 'malformed_record', 'nul_bytes']);
  // Reconnected from the second of the newest line produced (the skipping is the reader's).
  assert.match(logRequests[1]!, new RegExp(`since=${Math.floor(Date.parse(T(3)) / 1000)}`));
  assert.match(logRequests.at(-1)!, /follow=0/, 'a last read without follow once the container stopped');
});

test('while next() is not called the HTTP stream is paused: memory stays bounded, then every line arrives once', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'lh-logs-bp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'docker.sock');
  let bytes = 0;
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(DOCKER_SOCKET);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    upstream.on('data', (b: Buffer) => (bytes += b.length));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(path, resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    proxy.close();
  });
  const N = 200_000;
  const id = await runContainer(['--log-driver', 'local', BUSYBOX_IMAGE, 'sh', '-c', `seq 1 ${N}; sleep 60`]);
  t.after(() => removeContainer(id));
  const reader = createDockerLogsReader(createDockerApi(path), id, { maxLineBytes: 1024 });
  t.after(() => reader.close());
  // The whole output is about 8 MB through the API; wait until the container has written it.
  await new Promise((res) => setTimeout(res, 1500));
  const held = bytes;
  assert.ok(held < 4 * 1024 * 1024, `at most a few MB were read ahead of next() (read ${held} bytes)`);
  const r = await readUntil(reader, (ls) => ls.length >= N, 15_000);
  assert.ok(bytes > held * 1.5, 'reading resumed');
  assert.deepEqual(seqOf(r.lines), range(1, N));
});

test('a TTY stream cut anywhere: 16 KiB pieces, a last piece without newline and a malformed line parse the same for every chunking', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lh-fake-tty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'docker.sock');
  const T = (s: number) => `2026-01-02T03:04:0${s}.000000001Z `;
  const body = Buffer.from(`${T(1)}hello\r\n${T(2)}${'a'.repeat(16 * 1024)}${T(2)}bbb\r${T(3)}after\r\ngarbage line\r\n${T(4)}end\r\n`);
  let chunk = 1;
  const server = createHttpServer(async (req, res) => {
    const url = req.url ?? '';
    if (url === '/version') return res.end(JSON.stringify({ ApiVersion: '1.41' }));
    if (/\/containers\/\w+\/json/.test(url)) {
      return res.end(JSON.stringify({ Id: 'tty', Name: '/tty', Image: 'x', Config: { Tty: true }, State: { Running: false }, HostConfig: {} }));
    }
    // The last read (without follow, after the container stopped) finds nothing new here.
    if (url.includes('follow=0')) return res.end();
    for (let i = 0; i < body.length; i += chunk) {
      res.write(body.subarray(i, i + chunk));
      if (chunk < 100) await new Promise((r) => setImmediate(r));
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => server.close());
  for (const size of [1, 7, 30, 997, body.length]) {
    chunk = size;
    const events: ReaderEvent[] = [];
    const reader = createDockerLogsReader(createDockerApi(path), 'tty', { maxLineBytes: 64 * 1024, onEvent: (e) => events.push(e) });
    const r = await readUntil(reader, () => false, 10_000);
    await reader.close();
    assert.deepEqual(
      r.lines.map((l) => l.line),
      ['hello', 'a'.repeat(16 * 1024) + 'bbb', 'after', 'end'],
      `chunks of ${size} bytes`,
    );
    assert.deepEqual(events, ['malformed_record'], `chunks of ${size} bytes`);
  }
});
