/**
 * Block payloads round-trip, whichever way they were written: from a head (sorted or not, with or
 * without newlines inside lines, with or without metadata) or from entries (merges). Random cases
 * from a seeded generator, compared with a plain stable sort of the input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../../src/api/model.js';
import { compressBlock, compressPayload, decodeBlockPayload, decodeBlockStats, decodeBlockStatsPacked, deserializeEntries, serializeEntries } from '../../../src/store/block-codec.js';
import { ByteWriter } from '../../../src/store/bytes.js';
import { Head, compareEntries } from '../../../src/store/head.js';
import { seeded } from './store.case.js';

const PIECES = ['', 'a', 'GET /api', 'ünï', '日本語', '🚀', '\n', '\0', '"', '\\', ' ', 'x'.repeat(300)];

function randomEntries(rnd: () => number, n: number, opts: { ordered: boolean; newlines: boolean; meta: boolean }): Entry[] {
  const out: Entry[] = [];
  let ts = 1_714_521_600_000_000_000n;
  for (let i = 0; i < n; i++) {
    let line = '';
    const parts = Math.floor(rnd() * 6);
    for (let k = 0; k < parts; k++) {
      const p = PIECES[Math.floor(rnd() * PIECES.length)]!;
      line += opts.newlines || p !== '\n' ? p : '-';
    }
    // Millisecond, microsecond and nanosecond steps, and equal timestamps.
    const step = [0n, 1n, 1000n, 1_000_000n, 123_456_789n][Math.floor(rnd() * 5)]!;
    ts = opts.ordered ? ts + step : ts + (rnd() < 0.3 ? -step : step);
    const e: Entry = { ts, line };
    if (opts.meta && rnd() < 0.3) e.metadata = { trace_id: String(i), 'k"\n': 'v' + Array.from(line).slice(0, 3).join('') };
    out.push(e);
  }
  return out;
}

test('head and entry payloads decode to the entries in stable time order', () => {
  const rnd = seeded(7);
  for (let round = 0; round < 200; round++) {
    const opts = { ordered: rnd() < 0.5, newlines: rnd() < 0.3, meta: rnd() < 0.3 };
    const input = randomEntries(rnd, 1 + Math.floor(rnd() * 60), opts);
    const expected = input.slice().sort(compareEntries);
    const head = new Head();
    for (const e of input) head.add(e, 1, 0);
    // Exact duplicates are dropped by the head; drop them from the expectation the same way.
    const seen = new Set<string>();
    const unique = expected.filter((e) => {
      const k = `${e.ts}\u0001${e.line}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const norm = (es: Entry[]) => es.map((e) => ({ ts: e.ts, line: e.line, metadata: e.metadata ? { ...e.metadata } : undefined }));
    assert.deepEqual(norm(decodeBlockPayload(compressPayload(head.serialize()))), norm(unique), `round ${round} ${JSON.stringify(opts)}`);
    assert.deepEqual(norm(head.sortedEntries()), norm(unique));
    assert.equal(head.rawBytes, unique.reduce((n, e) => n + Buffer.byteLength(e.line), 0));
    const { buf, rawBytes } = serializeEntries(unique);
    assert.equal(rawBytes, head.rawBytes);
    assert.deepEqual(norm(decodeBlockPayload(compressPayload(buf))), norm(unique));
  }
});

test('a corrupt payload is an error, not garbage', () => {
  const head = new Head();
  head.add({ ts: 1n, line: 'hello' }, 1, 0);
  const payload = compressPayload(head.serialize());
  const bad = Buffer.from(payload);
  bad[bad.length - 3]! ^= 0xff;
  assert.throws(() => decodeBlockPayload(bad));
  assert.throws(() => decodeBlockPayload(Buffer.from('not zstd at all')));
});

// A split region sealed by the code before issue #12's stop 17, whose metadata column is the
// per-entry form (1): blocks on disk keep it, so it must keep decoding — entries, the stats path and
// the packed stats path — to the same metadata as the table form (2) written now.
const PER_ENTRY_FIXTURE =
  '539500000028b52ffd24a745040094070106010000bcaf4f34cb17060122101d16110901010e64657465637465645f6c6576656c04696e666f000409686f73745f6e616d650562656e6368036a6f6206646f636b65720a73636f70650e6c6f6777686172662d6167656e747761726e020874726163655f696408663362316332643402c3bc02c3a9000400637c8413b0fecfdb2df005ab88177828b52ffd2487a5030022871920b0271d40a80861803466af31790fb2e56348ef261399e83c34c2d044822a6404bd2e0dcdacc555b4752a1e623c65f1b8f1f0bc685244bc61ca3d7972eb8073d3e6c97fc06d4b486d45dabb923122484070ba31268fb69bb6fb496e251bf072d416561d892303005530f0e7b5ccad8202f6ff725c';
const FIXTURE_ENTRIES: Entry[] = [
  { ts: 1714521600000000000n, line: 'level=info msg="started" port=3100', metadata: { detected_level: 'info' } },
  { ts: 1714521600001000000n, line: 'no metadata here' },
  { ts: 1714521600002000000n, line: '{"level":"warn","msg":"slow"}', metadata: { host_name: 'bench', job: 'docker', scope_name: 'logwharf-agent', detected_level: 'warn' } },
  { ts: 1714521600003000000n, line: 'level=info msg="again"', metadata: { detected_level: 'info' } },
  { ts: 1714521600004000000n, line: 'ünïcødé trace', metadata: { trace_id: 'f3b1c2d4', ü: 'é' } },
  { ts: 1714521600005000000n, line: 'empty set', metadata: {} },
];

test('metadata columns: the per-entry form of older blocks and the table form read back alike, stats paths included', () => {
  const expected = FIXTURE_ENTRIES.map((e) => ({ ts: e.ts, line: e.line, metadata: e.metadata && Object.keys(e.metadata).length > 0 ? { ...e.metadata } : undefined }));
  const plain = (es: Entry[]) => es.map((e) => ({ ts: e.ts, line: e.line, metadata: e.metadata ? { ...e.metadata } : undefined }));
  const old = Buffer.from(PER_ENTRY_FIXTURE, 'hex');
  const now = compressBlock(serializeEntries(FIXTURE_ENTRIES).buf, 1);
  assert.notEqual(now.toString('hex'), PER_ENTRY_FIXTURE, 'the table form is what is written now');
  for (const region of [old, now]) {
    const entries = decodeBlockPayload(region);
    assert.deepEqual(plain(entries), expected);
    assert.equal(entries[0]!.metadata, entries[3]!.metadata, 'equal sets are one object');
    for (const stats of [decodeBlockStats(region), decodeBlockStatsPacked(region)]) {
      assert.equal(stats.hasMetadata, true);
      assert.deepEqual(
        stats.metadata!.map((m) => (m ? { ...m } : undefined)),
        expected.map((e) => e.metadata),
      );
    }
  }
  // A table index beyond its sets is a malformed block, not a crash or a wrong answer.
  const w = new ByteWriter(16);
  w.u8(2);
  w.varint(1);
  w.varint(1);
  w.str('a');
  w.str('b');
  w.varint(2);
  assert.throws(() => deserializeEntries(Buffer.concat([serializeEntries([{ ts: 1n, line: 'x' }]).buf.subarray(0, -1), w.finish()])), /metadata index 2 of 1 sets/);
});
