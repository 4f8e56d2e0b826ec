import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT } from '../../../../src/api/push/protobuf.js';
import { LogwharfError } from '../../../../src/api/errors.js';
import { seededRandom } from '../../../helpers/random.js';

function roundTripInt64(v: number | bigint): number | bigint {
  const w = new ProtoWriter(4);
  w.int64(v);
  return new ProtoReader(w.finish()).int64();
}

test('int64 varints round-trip across the whole range, as numbers when exact', () => {
  for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 1_700_000_000, -1, -(2 ** 31), -(2 ** 53) + 1]) {
    assert.equal(roundTripInt64(v), v, String(v));
  }
  for (const v of [2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n)]) assert.equal(roundTripInt64(v), v, String(v));
});

test('negative int64 is ten bytes on the wire, as protobuf specifies', () => {
  const w = new ProtoWriter();
  w.int64(-1);
  assert.equal(w.finish().length, 10);
});

test('uint32, strings and nested lengths round-trip, including multi-byte UTF-8 and long strings', () => {
  const long = 'x'.repeat(200_000) + 'é';
  const w = new ProtoWriter(2);
  w.tag(1, WIRE_VARINT);
  w.uint32(4_000_000_000);
  w.tag(2, WIRE_LEN);
  const m = w.begin();
  w.tag(1, WIRE_LEN);
  w.string('ünïcödé ✓ 🚀');
  w.tag(2, WIRE_LEN);
  w.string(long);
  w.end(m);
  const r = new ProtoReader(w.finish());
  assert.equal(r.tag(), (1 << 3) | WIRE_VARINT);
  assert.equal(r.uint32(), 4_000_000_000);
  assert.equal(r.tag(), (2 << 3) | WIRE_LEN);
  const end = r.lenEnd();
  r.end = end;
  r.tag();
  assert.equal(r.string(), 'ünïcödé ✓ 🚀');
  r.tag();
  assert.equal(r.string(), long);
  assert.equal(r.pos, end);
});

test('hostile input: truncated varints, lengths past the end, over-long varints and groups all throw 400s', () => {
  const cases: [string, Buffer, (r: ProtoReader) => unknown][] = [
    ['truncated varint', Buffer.from([0x80, 0x80]), (r) => r.uint32()],
    ['truncated int64', Buffer.from([0xff, 0xff, 0xff]), (r) => r.int64()],
    ['11-byte varint', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), (r) => r.int64()],
    ['11-byte uint32', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), (r) => r.uint32()],
    ['length past end', Buffer.from([0x05, 0x61]), (r) => r.string()],
    ['huge length', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x61]), (r) => r.bytes()],
    ['truncated fixed64', Buffer.from([1, 2, 3]), (r) => r.fixed64()],
    ['truncated fixed32', Buffer.from([1, 2]), (r) => r.fixed32()],
    ['group wire type', Buffer.from([0x0b]), (r) => r.skip(r.tag() & 7)],
    ['field number zero', Buffer.from([0x02, 0x00]), (r) => r.tag()],
  ];
  for (const [name, buf, fn] of cases) {
    assert.throws(
      () => fn(new ProtoReader(buf)),
      (e: unknown) => e instanceof LogwharfError && e.status === 400 && /malformed protobuf/.test(e.message),
      name,
    );
  }
});

test('fixed64 reads what Buffer#readBigUInt64LE reads, whatever the previous value (its high word is reused)', (t) => {
  const rnd = seededRandom(t);
  const fixed: bigint[] = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 0n, 2n ** 64n - 1n, 2n ** 63n, 1_714_521_600_123_456_789n, 1_714_521_600_000_000_000n, 0n, 1_714_521_600_123_456_789n];
  const values = [...fixed];
  // Nanosecond timestamps around now (most share a high word, some cross it) and any 64-bit value.
  let ts = 1_714_521_600_000_000_000n;
  for (let i = 0; i < 2000; i++) {
    ts += BigInt(rnd.int(3_000_000_000));
    values.push(rnd.next() < 0.1 ? 0n : ts);
    if (rnd.next() < 0.05) values.push((BigInt(rnd.int(2 ** 32)) << 32n) | BigInt(rnd.int(2 ** 32)));
  }
  const w = new ProtoWriter();
  for (const v of values) w.fixed64(v);
  const buf = w.finish();
  const r = new ProtoReader(buf);
  for (let i = 0; i < values.length; i++) {
    const expected = buf.readBigUInt64LE(i * 8);
    assert.equal(expected, values[i]);
    assert.equal(r.fixed64(), expected, `value ${i}`);
  }
  assert.equal(r.pos, r.end);
});

test('unknown fields of every wire type are skipped', () => {
  const w = new ProtoWriter();
  w.tag(9, 0);
  w.int64(12345678901234n);
  w.tag(10, 1);
  w.fixed64(7n);
  w.tag(11, 5);
  w.fixed32(9);
  w.tag(12, 2);
  w.string('skip me');
  const r = new ProtoReader(w.finish());
  while (r.pos < r.end) r.skip(r.tag() & 7);
  assert.equal(r.pos, r.end);
});
