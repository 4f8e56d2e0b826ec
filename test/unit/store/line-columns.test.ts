/**
 * Block format 3: cold blocks store their lines as templates and variable columns (lines mode 2,
 * src/store/line-columns.ts). Random JSON, logfmt and plain lines — with the template escape
 * bytes, quotes, backslashes, newlines, non-ASCII and lone surrogates — decode exactly as the
 * plain text layout decodes them; cold blocks written before format 3 still read; a damaged
 * columnar block is an error, never wrong lines; and `logwharf fsck` finds a damaged cold block.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, test } from 'node:test';
import { decompress } from 'zstd-napi';
import type { Entry } from '../../../src/api/model.js';
import { run } from '../../../src/cli/dispatch.js';
import { compressBlock, compressPayload, decodeBlockPayload, decodeBlockStats, LINES_COLUMNS, serializeEntries, SPLIT_HEADER, splitStatsLength } from '../../../src/store/block-codec.js';
import { ByteReader, ByteWriter } from '../../../src/store/bytes.js';
import { createStore } from '../../../src/store/index.js';
import { readLineColumns, writeLineColumns } from '../../../src/store/line-columns.js';
import { seededRandom, type SeededRandom } from '../../helpers/random.js';
import { readAll } from './store.case.js';

const T0 = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z
const root = mkdtempSync(join(tmpdir(), 'logwharf-columns-'));
after(() => rmSync(root, { recursive: true, force: true }));

const PIECES = ['\u001e', '\u001f', '\u001f\u001e', '"', '\\', '\\"', '=', ':', '":', '="', 'ü', '日本', '🚀', '\ud800', ' ', '\t', '\u0001', '\n', '', 'x1', '007', 'a-b_c.9'];

function pick<T>(r: SeededRandom, a: readonly T[]): T {
  return a[r.int(a.length)]!;
}

/** A value: mostly numbers, ids and a few words; now and then bytes the layout must escape or cut at. */
function value(r: SeededRandom, quoted = true): string {
  const x = r.next();
  if (x < 0.5 || (!quoted && x < 0.95)) return r.int(1e6).toString(r.next() < 0.5 ? 10 : 16);
  if (x < 0.93) return pick(r, ['info', 'warn', 'error', 'GET', 'POST', 'orders-svc', 'cache hit', '10.0.0.1']);
  return pick(r, PIECES) + (r.next() < 0.5 ? r.int(100) : '') + pick(r, PIECES);
}

const KEYS = ['level', 'msg', 'request_id', 'user', 'took', 'status'];

/** A random line: JSON, logfmt or plain text of a few shapes, some with the line's own timestamp. */
function randomLine(r: SeededRandom, ts: bigint): string {
  const kind = r.int(3);
  const n = 1 + r.int(6);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    // Keys in a fixed order, as a logger writes them; now and then a stray key.
    const key = r.next() < 0.95 ? KEYS[i]! : value(r);
    if (kind === 0) parts.push(`"${key}":${i % 2 === 0 ? `"${value(r)}"` : value(r, false)}`);
    else if (kind === 1) parts.push(`${key}=${i === 1 ? `"${value(r)} ${value(r)}"` : value(r, false)}`);
    else parts.push(i % 2 === 0 ? KEYS[i]! : value(r, false));
  }
  const own = r.next() < 0.3 ? new Date(Number(ts / 1_000_000n)).toISOString() : '';
  if (kind === 0) return `{${own ? `"ts":"${own}",` : ''}${parts.join(',')}}`;
  return (own ? own + ' ' : '') + parts.join(' ');
}

function entriesOf(r: SeededRandom, n: number): Entry[] {
  const out: Entry[] = [];
  let ts = T0;
  for (let i = 0; i < n; i++) {
    ts += BigInt(r.int(3)) * 1_000_000n;
    const e: Entry = { ts, line: randomLine(r, ts) };
    if (r.next() < 0.2) e.metadata = { detected_level: pick(r, ['info', 'warn']) };
    out.push(e);
  }
  return out;
}

/** The lines mode byte of a split region's body frame. */
function linesMode(region: Buffer): number {
  return decompress(region.subarray(SPLIT_HEADER + splitStatsLength(region)))[0]!;
}

function cold(entries: readonly Entry[], columns: boolean): Buffer {
  const { buf, sizes } = serializeEntries(entries, { stripTimestamps: true, columns });
  return compressBlock(buf, 3, sizes);
}

test('columnar blocks decode exactly as plain blocks, stats included, for random lines (seeded)', (t) => {
  const r = seededRandom(t);
  let columnar = 0;
  for (let round = 0; round < 60; round++) {
    const entries = entriesOf(r, 1 + r.int(round < 30 ? 40 : 400));
    const plain = cold(entries, false);
    const cols = cold(entries, true);
    if (linesMode(cols) === LINES_COLUMNS) columnar++;
    // The plain layout is the reference (it stores a lone surrogate as U+FFFD, as columns do).
    assert.deepEqual(decodeBlockPayload(cols), decodeBlockPayload(plain), `round ${round}`);
    const a = decodeBlockStats(cols);
    const b = decodeBlockStats(plain);
    assert.deepEqual([...a.sizes], [...b.sizes]);
    assert.deepEqual(a.ts, b.ts);
  }
  assert.ok(columnar >= 30, `${columnar} of 60 blocks were columnar`);
});

test('lines of few templates become columns and shrink; lines of no shared shape stay text', () => {
  const entries: Entry[] = [];
  for (let i = 0; i < 2000; i++) {
    const ts = T0 + BigInt(i) * 1_000_000n;
    entries.push({ ts, line: `{"level":"${i % 7 ? 'info' : 'warn'}","ts":"${new Date(Number(ts / 1_000_000n)).toISOString()}","msg":"request completed","request_id":"${(i * 2654435761 % 2 ** 32).toString(16)}","duration_ms":${(i * 37) % 1000}}` });
  }
  const cols = cold(entries, true);
  const plain = cold(entries, false);
  assert.equal(linesMode(cols), LINES_COLUMNS);
  assert.ok(cols.length < plain.length, `${cols.length} vs ${plain.length} bytes`);
  assert.deepEqual(decodeBlockPayload(cols), entries);
  // Every line its own shape (no shared template): the plain layout is kept.
  const prose = Array.from({ length: 100 }, (_, i) => ({ ts: T0 + BigInt(i), line: 'word'.repeat(i + 1) }));
  assert.notEqual(linesMode(cold(prose, true)), LINES_COLUMNS);
  assert.deepEqual(decodeBlockPayload(cold(prose, true)), prose);
});

test('cold blocks written before block format 3 still read', () => {
  // Written by the cold tier of the code before this format (serializeEntries with the timestamp
  // transform, compressBlock at level 17): the joined and the length-prefixed lines layouts.
  const fixtures = {
    cold: 'U0QAAAAotS/9JEC9AQD0AgIEAQAAvK9PNMsXBgEBAH1WYzEBAQ5kZXRlY3RlZF9sZXZlbARpbmZvd2FybgAAAQDBeZYBVbcFXCi1L/1kKQDNBwDSTzYrgG0OMzATQSTxAAlpFEBDUmpN5ETl1lJECvxQAuXxd+hPQqMFk8LA0+4+AZ83kRYEOrassT0fUKlfWk9EqiNSU/LU9NdJu85ILZVn13YhMHoxnrcPvDW4dZZp7fCCGKPRWPThgOH78loMZrBpiVg3EgrvB2ByDPqCVwYr/BEQXcXa3K6xFPfmetcR2eX61dYbNV1TU/ffzFVnuzTIOf4g1c4cL0a65Qh4yAyS7QuS4GkRGJ1zOSGWy89PLZ/1OuPHXP465xP8ueXUhLNbbiV1Ouf0M0+dQ4WmCwiAw9UB5UrMxa5jCAusVYOjsgoexcG2N7PnIgYj3zed',
    coldNewline:
      'U0cAAAAotS/9JEPVAQAkAwIFAQAAvK9PNMsXBgEBAAF9VmMxZAEBDmRldGVjdGVkX2xldmVsBGluZm93YXJuAAAAAQDDeZYB9sFb1yi1L/1kjQAdCgDGU0QrcFkH/P9/dxmVR9VcfdgmN0KknESDtOSmEpTgMcx3Yrdkyz3hoFQD+CvRDzgAOQA3AJmKqOoKj0wI9wg5vlEZXwea1D2v4Efh9fNbU4i/zuOjTi+KxlAQGLMrHIcu6J7bT731Vp2YiQgQM7WBJro1h1Lx9gwCnUXLKbk5hoyIpIRxbldhOzZLdEmDqiTfv/iKVCVpQUDyIZhdDtlNz8fwczEY9dJ+wWK1/oo/Ge3OaD3KoKr/grYvSK3JOemQkc2KqM/bF97ddDTHde1Tzk3D4VgaAtlG8auIt4mu4dEUJSHkKD/8qKSEQn2b84/NqvRFSxsyO9Oe6b8V5TPNG0tFb+1Fii61kqYo6TML1AdD0w4TCAAptwExSfwMJ63Y2WoB+wja8ORKk9taYiFQwFptbySp+A0cZr/ZunAtW18FDzhSg/0=',
  };
  const entries: Entry[] = [
    { ts: T0, line: '{"level":"info","ts":"2024-05-01T00:00:00.000Z","msg":"request completed","request_id":"a1b2c3d4e5f60718","duration_ms":12.5}', metadata: { detected_level: 'info' } },
    { ts: T0 + 1_000_000n, line: 'time=2024-05-01T00:00:00.001Z level=warn component=db msg="db query slow" took=812.3ms', metadata: { detected_level: 'warn' } },
    { ts: T0 + 2_000_000n, line: '10.1.2.3 - - [01/May/2024:00:00:00 +0000] "GET /api/v1/orders/77 HTTP/1.1" 200 512 "-" "curl/8.5.0"' },
    { ts: T0 + 2_000_000n, line: 'plain line with ünïcode 🚀 and a \u001e and \u001f byte' },
    { ts: T0 + 3_000_000n, line: 'java.lang.IllegalStateException: Order 17 already settled\n\tat com.acme.Orders.settle(Orders.java:42)' },
  ];
  assert.deepEqual(decodeBlockPayload(Buffer.from(fixtures.cold, 'base64')), entries.slice(0, 4));
  assert.deepEqual(decodeBlockPayload(Buffer.from(fixtures.coldNewline, 'base64')), entries);
  assert.deepEqual([...decodeBlockStats(Buffer.from(fixtures.coldNewline, 'base64')).sizes], entries.map((e) => Buffer.byteLength(e.line)));
});

test('columnar blocks written before the faster decoder (stop 16) still read', () => {
  // Written by the format-3 writer at 06ac615 (level 17, with the timestamp transform): a block
  // with a '\n' in a line (the decoder's line-ends path) and one without (the split path).
  const fixtures = {
    newline:
      'U0cAAAAotS/9JEPVAQAkAwIFAQAAvK9PNMsXBgEBAAF9VnpPZAEBDmRldGVjdGVkX2xldmVsBGluZm93YXJuAAAAAQDDeZYBM4rpZyi1L/1kfAD1BwBiji8gIJMes/uoEayHjjV/9UGImWBJRmLdoY4RmAYA1eap/hptOfqqGtdGpN/H0gsvs7v+6asf0qoYv20dqS4GZHu8YzY061L5/Px0ktpuHUdRBUOgBRERaMIkASRAKx6WkFh+1VxmH/RhPs35MQxN/0sdPnh/XgrENq+BJJ89V6hjntKJxHROpXs80y/TWJthfDHL3Xd2U60GXwYnKfvK5R49LOJq6SyX/Xbm5CwZf4fzF4MrznERX8Qifc/TKKKmGSgQIubUHqDM6sqyG0NCBSP+9PqeiSkbCJsJ8tbyq2jUNHix6Pm8xc7A1RJAOZdfJSlkH4nFGCS9zECiwkzLWdE=',
    joined:
      'U0QAAAAotS/9JEC9AQD0AgIEAQAAvK9PNMsXBgEBAH1Wek8BAQ5kZXRlY3RlZF9sZXZlbARpbmZvd2FybgAAAQDBeZYBme03KCi1L/1kDwClBQASCiIZQNcDr4xpIdBb+VNFUfxJIgJiJNlo6hPMss+z8zw701Nye7yWYcWuDi/ypYeUhlmwpv3ESEukQfi5TtZgzHVxx54Q/NY0ZxzDExYZvgiAAHhadXv3aqmtNp67xnp/eWeVVlUIKpy5/ielLM+W3ly/QvFezuociyAON555t4mllrIeHrFnTUEIECAQKinnAXQwwmaPwPWBwQafOFiRSnSjRQIzLNi+g8TyHWTuLQ/Mehi8BbOJ',
  };
  const entries: Entry[] = [
    { ts: T0, line: '{"level":"info","ts":"2024-05-01T00:00:00.000Z","msg":"request completed","request_id":"a1b2c3d4e5f60718","duration_ms":12.5}', metadata: { detected_level: 'info' } },
    { ts: T0 + 1_000_000n, line: 'time=2024-05-01T00:00:00.001Z level=warn component=db msg="db query slow" took=812.3ms', metadata: { detected_level: 'warn' } },
    { ts: T0 + 2_000_000n, line: '{"level":"info","ts":"2024-05-01T00:00:00.002Z","msg":"request completed","request_id":"ffe0c3d4e5f60718","duration_ms":7}' },
    { ts: T0 + 2_000_000n, line: 'time=2024-05-01T00:00:00.002Z level=info component=db msg="db query \u001e" took=3ms' },
    { ts: T0 + 3_000_000n, line: 'java.lang.IllegalStateException: Order 17 already settled\n\tat com.acme.Orders.settle(Orders.java:42)' },
  ];
  for (const [name, b64] of Object.entries(fixtures)) {
    const region = Buffer.from(b64, 'base64');
    assert.equal(linesMode(region), LINES_COLUMNS, name);
    assert.deepEqual(decodeBlockPayload(region), name === 'joined' ? entries.slice(0, 4) : entries, name);
  }
});

/** FNV-1a of a string's bytes, as the decoder hashes a variable's context to find its column. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'latin1')) h = Math.imul(h ^ b, 0x01000193);
  return h;
}

test('two column keys with the same hash stay two columns', (t) => {
  // Keys of 15 letters and '=' are whole contexts; ~2^17 random ones give a 32-bit collision.
  const r = seededRandom(t);
  const seen = new Map<number, string>();
  let pair: [string, string] | undefined;
  while (!pair) {
    let k = '';
    for (let i = 0; i < 15; i++) k += String.fromCharCode(97 + r.int(26));
    const h = fnv(k + '=');
    const other = seen.get(h);
    if (other !== undefined && other !== k) pair = [other, k];
    seen.set(h, k);
  }
  const [a, b] = pair;
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) lines.push(i % 3 === 0 ? `${a}=${i}` : i % 3 === 1 ? `${b}=${1000 + i}` : `${b}=${2000 + i} ${a}=${3000 + i}`);
  const w = new ByteWriter(1024);
  assert.ok(writeLineColumns(w, lines));
  assert.deepEqual(readLineColumns(new ByteReader(w.finish()), lines.length), lines);
});

test('a damaged columnar block is an error, not wrong lines', (t) => {
  const r = seededRandom(t);
  const entries = entriesOf(r, 300);
  const good = cold(entries, true);
  assert.equal(linesMode(good), LINES_COLUMNS);
  // A flipped bit in the compressed body fails the frame checksum or the frame itself, or lands in
  // a field that does not change the content (the frame header's window size, TEST_SEED=1425818237):
  // never different lines.
  const want = decodeBlockPayload(good);
  let thrown = 0;
  for (let i = 0; i < 20; i++) {
    const bad = Buffer.from(good);
    const at = SPLIT_HEADER + splitStatsLength(good) + 1 + r.int(bad.length - SPLIT_HEADER - splitStatsLength(good) - 1);
    bad[at] ^= 1 << r.int(8);
    let got: ReturnType<typeof decodeBlockPayload>;
    try {
      got = decodeBlockPayload(bad);
    } catch {
      thrown++;
      continue;
    }
    assert.deepEqual(got, want, `flip at ${at} decoded to different entries`);
  }
  assert.ok(thrown >= 15, `only ${thrown} of 20 flips were detected`);
  // Well-formed frames around a malformed columns layout: each inconsistency is a RangeError.
  const lines = ['a=1 b=2', 'a=3 b=4'];
  const w = new ByteWriter(64);
  assert.ok(writeLineColumns(w, lines));
  const body = w.finish();
  assert.deepEqual(readLineColumns(new ByteReader(Buffer.from(body)), 2), lines);
  assert.throws(() => readLineColumns(new ByteReader(Buffer.from(body)), 3), RangeError, 'more lines than the block holds');
  assert.throws(() => readLineColumns(new ByteReader(body.subarray(0, body.length - 2)), 2), RangeError, 'truncated column');
  const badId = Buffer.from(body);
  badId[badId.indexOf(10) + 1] = 9; // the first line's template id
  assert.throws(() => readLineColumns(new ByteReader(badId), 2), /template id out of range/);
  const unended = Buffer.from([1, 0x61, 0x1f]); // one template, ends in an escape
  assert.throws(() => readLineColumns(new ByteReader(unended), 1), /truncated/);
  const cut = Buffer.from(body);
  cut[cut.length - 1] = 0x39; // the last value no longer ends in '\n'
  assert.throws(() => readLineColumns(new ByteReader(cut), 2), /not ended/);
  // Through the block codec: a columns body whose column is shorter than its templates need.
  const short = new ByteWriter(64);
  short.u8(LINES_COLUMNS);
  short.bytes(Buffer.from([1, 0x61, 0x3d, 0x1e, 10, 0, 0, 1, 0]));
  const { buf, sizes } = serializeEntries([{ ts: T0, line: 'a=1' }, { ts: T0 + 1n, line: 'a=2' }], { columns: true });
  const region = compressBlock(buf, 1, sizes);
  const s = splitStatsLength(region);
  const forged = Buffer.concat([region.subarray(0, SPLIT_HEADER + s), compressPayload(short.finish(), 1)]);
  assert.throws(() => decodeBlockPayload(forged), /line column exhausted/);
});

function flip(path: string, offset: number): void {
  const b = readFileSync(path).subarray(offset, offset + 8);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from(b.map((x) => x ^ 0xff)), 0, b.length, offset);
  closeSync(fd);
}

test('cold compaction writes columnar blocks that read back, and fsck reports one that is damaged', async (t) => {
  const r = seededRandom(t);
  const dir = join(root, 'fsck');
  const now = Number(T0 / 1_000_000n) + 5 * 3600_000;
  const cfg = { dir, compactionIntervalMs: 0, now: () => now, retention: { periodMs: 0 }, coldLineColumns: true };
  let store = createStore(cfg);
  await store.start();
  const entries = entriesOf(r, 2000);
  for (let i = 0; i < entries.length; i += 200) {
    await store.append('t', [{ labels: { job: 'c' }, entries: entries.slice(i, i + 200) }]);
    await store.flush();
  }
  const res = await store.compact({ unlinkGraceMs: 0 });
  assert.ok(res.coldNewBlocks > 0, JSON.stringify(res));
  await store.close();
  store = createStore(cfg);
  await store.start();
  const ids = store.streams('t', [], -(2n ** 63n), 2n ** 63n - 1n).map((s) => s.id);
  const blocks = store.blocks('t', ids, -(2n ** 63n), 2n ** 63n - 1n);
  assert.ok(blocks.length > 0 && blocks.length < 10, `${blocks.length} blocks after the cold tier`);
  const read = [...(await readAll(store, 't')).values()].flat().map((e) => ({ ts: e.ts, line: e.line }));
  const want = entries.map((e) => ({ ts: e.ts, line: e.line.replace(/\ud800/g, '\ufffd') }));
  const byTs = (a: { ts: bigint; line: string }, b: { ts: bigint; line: string }) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.line < b.line ? -1 : a.line > b.line ? 1 : 0);
  // The store keeps one of entries equal in timestamp and line (as Loki does).
  const unique = [...new Map(want.map((e) => [`${e.ts} ${e.line}`, e])).values()];
  assert.deepEqual(read.sort(byTs), unique.sort(byTs));
  const loc = blocks[0]!.location;
  assert.ok(loc.kind === 'file');
  const region = readFileSync(loc.path).subarray(loc.offset, loc.offset + loc.length);
  assert.equal(linesMode(region), LINES_COLUMNS, 'the cold block is columnar');
  await store.close();

  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += c));
  const fsck = () => run(['fsck', '--data', dir], { stdout, stderr: new PassThrough(), stdin: Readable.from(['']), signal: new AbortController().signal });
  assert.equal(await fsck(), 0, out);
  flip(loc.path, loc.offset + Math.floor(loc.length / 2));
  out = '';
  assert.equal(await fsck(), 1, out);
  const finding = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.kind === 'block');
  assert.ok(finding, out);
  assert.equal(finding.file, loc.path);
  assert.equal(finding.lostEntries, blocks[0]!.entries);
});

test('line columns are the default cold layout; coldLineColumns: false writes text', async (t) => {
  const r = seededRandom(t);
  for (const columns of [undefined, false]) {
  const dir = join(root, `default-${columns}`);
  const now = Number(T0 / 1_000_000n) + 5 * 3600_000;
  const store = createStore({ dir, compactionIntervalMs: 0, now: () => now, retention: { periodMs: 0 }, ...(columns === false ? { coldLineColumns: false } : {}) });
  await store.start();
  const entries = entriesOf(r, 600);
  for (let i = 0; i < entries.length; i += 200) {
    await store.append('t', [{ labels: { job: 'c' }, entries: entries.slice(i, i + 200) }]);
    await store.flush();
  }
  assert.ok((await store.compact({ unlinkGraceMs: 0 })).coldNewBlocks > 0);
  const ids = store.streams('t', [], -(2n ** 63n), 2n ** 63n - 1n).map((s) => s.id);
  const loc = store.blocks('t', ids, -(2n ** 63n), 2n ** 63n - 1n)[0]!.location;
  assert.ok(loc.kind === 'file');
  const region = readFileSync(loc.path).subarray(loc.offset, loc.offset + loc.length);
  if (columns === false) assert.notEqual(linesMode(region), LINES_COLUMNS);
  else assert.equal(linesMode(region), LINES_COLUMNS);
  assert.equal([...(await readAll(store, 't')).values()].flat().length, new Set(entries.map((e) => `${e.ts} ${e.line}`)).size);
  await store.close();
  }
});
