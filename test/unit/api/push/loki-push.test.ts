import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import {
  decodeLokiPush,
  decodePushProto,
  encodeLokiPushJson,
  encodeLokiPushProtobuf,
  encodePushProto,
  encodePushRequest,
  pushFormatOf,
  snappyCompress,
} from '../../../../src/api/push/index.js';
import { ProtoWriter } from '../../../../src/api/push/protobuf.js';
import { LogwharfError } from '../../../../src/api/errors.js';
import type { PushRequest } from '../../../../src/api/model.js';

const sample: PushRequest = {
  streams: [
    {
      labels: { job: 'api', env: 'prod "eu"' },
      entries: [
        { ts: 1_714_521_600_123_456_789n, line: 'GET /health 200' },
        { ts: 1_714_521_600_123_456_790n, line: 'ünïcödé ✓ 🚀', metadata: { trace_id: 'abc123', user: 'x' } },
        { ts: 0n, line: '' },
      ],
    },
    { labels: { job: 'db' }, entries: [] },
  ],
};

function rejects400(re: RegExp) {
  return (e: unknown) => e instanceof LogwharfError && e.status === 400 && re.test(e.message);
}

// Streams without entries are dropped by the decoders: they add nothing. Decoded entries always
// carry the `metadata` slot, undefined when empty (one object shape, no property array added when
// ingest sets detected_level; src/api/model.ts), so the expected entries are spelled that way.
const withSlot = (streams: PushRequest['streams']) => streams.map((s) => ({ labels: s.labels, entries: s.entries.map((e) => ({ ts: e.ts, line: e.line, metadata: e.metadata })) }));
const withEntries = withSlot(sample.streams.filter((s) => s.entries.length > 0));

test('protobuf+snappy round-trips streams, nanosecond timestamps, UTF-8 and structured metadata', async () => {
  const d = await decodeLokiPush(encodeLokiPushProtobuf(sample));
  assert.equal(d.format, 'protobuf');
  assert.deepEqual(d.invalid, []);
  assert.deepEqual(d.streams, withEntries);
});

test('JSON round-trips the same request; charset parameters still mean JSON', async () => {
  const enc = encodeLokiPushJson(sample);
  const d = await decodeLokiPush({ ...enc, contentType: 'Application/JSON; charset=utf-8' });
  assert.equal(d.format, 'json');
  assert.deepEqual(d.streams, withEntries);
});

test('every decoder builds entries with the metadata slot, in one order, with or without metadata', async () => {
  // One object shape for all entries: ingest sets detected_level in that slot instead of growing
  // each entry by a property array (src/api/model.ts).
  const legacy = { streams: [{ labels: '{job="legacy"}', entries: [{ ts: '2024-05-01T00:00:00Z', line: 'old' }] }] };
  const decoded = [
    await decodeLokiPush(encodeLokiPushProtobuf(sample)),
    await decodeLokiPush(encodeLokiPushJson(sample)),
    await decodeLokiPush({ contentType: 'application/json', body: Buffer.from(JSON.stringify(legacy)) }),
  ];
  for (const d of decoded) for (const s of d.streams) for (const e of s.entries) assert.deepEqual(Object.keys(e), ['ts', 'line', 'metadata']);
  assert.equal(decoded[0]!.streams[0]!.entries.length, 3);
});

test('Content-Type dispatch follows Loki: only application/json is JSON, anything else (or none) is protobuf', () => {
  assert.equal(pushFormatOf('application/json'), 'json');
  assert.equal(pushFormatOf(' application/json ;charset=UTF-8'), 'json');
  assert.equal(pushFormatOf('application/x-protobuf'), 'protobuf');
  assert.equal(pushFormatOf(undefined), 'protobuf');
  assert.equal(pushFormatOf('text/plain'), 'protobuf');
});

test('gzip and deflate Content-Encoding around both formats; snappy encoding header is tolerated', async () => {
  const json = encodeLokiPushJson(sample);
  for (const [enc, body] of [
    ['gzip', gzipSync(json.body)],
    ['deflate', deflateSync(json.body)],
  ] as const) {
    assert.deepEqual((await decodeLokiPush({ contentType: 'application/json', contentEncoding: enc, body })).streams, withEntries);
  }
  const proto = encodePushRequest(sample);
  assert.deepEqual((await decodeLokiPush({ contentEncoding: 'gzip', body: gzipSync(proto) })).streams, withEntries);
  assert.deepEqual((await decodeLokiPush({ contentEncoding: 'snappy', body: proto })).streams, withEntries);
  await assert.rejects(decodeLokiPush({ contentEncoding: 'br', body: proto }), rejects400(/Content-Encoding "br" not supported/));
  await assert.rejects(decodeLokiPush({ contentEncoding: 'gzip', body: Buffer.from('not gzip') }), rejects400(/invalid gzip body/));
});

test('zip bombs: gzip, deflate and snappy bodies that inflate past the limit get 413 without inflating', async () => {
  const huge = Buffer.alloc(8 * 1024 * 1024, 0x61);
  const tooLarge = (e: unknown) => e instanceof LogwharfError && e.status === 413 && /request body too large/.test(e.message);
  const opts = { maxDecompressedBytes: 1024 * 1024 };
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', contentEncoding: 'gzip', body: gzipSync(huge) }, opts), tooLarge);
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', contentEncoding: 'deflate', body: deflateSync(huge) }, opts), tooLarge);
  await assert.rejects(decodeLokiPush({ body: snappyCompress(huge) }, opts), tooLarge);
  // A header claiming more than its bytes can expand to is corrupt (400), refused before any allocation.
  await assert.rejects(decodeLokiPush({ body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]) }, opts), rejects400(/declared length 4294967295 cannot come from 6 bytes/));
  // The most compressible valid body (zeros, ~21x) is not mistaken for a corrupt one.
  const zeros = await decodeLokiPush({ contentType: 'application/x-protobuf', body: snappyCompress(Buffer.alloc(4096, 0)) }, opts).catch((e: unknown) => e);
  assert.ok(zeros instanceof LogwharfError && /malformed protobuf/.test(zeros.message), String(zeros));
  // Uncompressed bodies are bounded too.
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', body: huge }, opts), tooLarge);
});

test('empty and non-snappy protobuf bodies are 400s, as in Loki', async () => {
  await assert.rejects(decodeLokiPush({ body: Buffer.alloc(0) }), rejects400(/empty request body/));
  await assert.rejects(decodeLokiPush({ contentType: 'application/x-protobuf', body: encodePushProto(sample) }), rejects400(/snappy|malformed protobuf/));
  await assert.rejects(decodeLokiPush({ body: Buffer.from([0x10, 0xff, 0xff, 0xff]) }), rejects400(/invalid snappy body/));
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', body: Buffer.alloc(0) }), rejects400(/empty body/));
});

test('truncated protobuf at every byte either decodes a prefix or fails with a 400, never anything else', () => {
  const raw = encodePushProto(sample);
  for (let n = 0; n < raw.length; n++) {
    try {
      decodePushProto(raw.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof LogwharfError && e.status === 400, `cut at ${n}: ${String(e)}`);
    }
  }
});

test('random garbage never escapes as anything but a 400', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(1 + Math.floor(rnd() * 64));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
    try {
      decodePushProto(b);
    } catch (e) {
      assert.ok(e instanceof LogwharfError && e.status === 400, String(e));
    }
  }
});

test('wrong wire types are named', () => {
  const w = new ProtoWriter();
  w.tag(1, 0); // streams as a varint
  w.uint32(5);
  assert.throws(() => decodePushProto(w.finish()), rejects400(/PushRequest\.streams has wire type 0/));
  const w2 = new ProtoWriter();
  w2.tag(1, 2);
  const m = w2.begin();
  w2.tag(2, 2);
  const e = w2.begin();
  w2.tag(2, 0); // line as a varint
  w2.uint32(1);
  w2.end(e);
  w2.end(m);
  assert.throws(() => decodePushProto(w2.finish()), rejects400(/EntryAdapter\.line/));
});

test('a timestamp with out-of-range nanos is rejected; negative seconds decode', () => {
  const build = (sec: number | bigint, nanos: number) => {
    const w = new ProtoWriter();
    w.tag(1, 2);
    const m = w.begin();
    w.tag(1, 2);
    w.string('{a="b"}');
    w.tag(2, 2);
    const e = w.begin();
    w.tag(1, 2);
    const t = w.begin();
    w.tag(1, 0);
    w.int64(sec);
    w.tag(2, 0);
    w.int64(nanos);
    w.end(t);
    w.end(e);
    w.end(m);
    return w.finish();
  };
  assert.equal(decodePushProto(build(-10, 5)).streams[0]!.entries[0]!.ts, -9_999_999_995n);
  assert.throws(() => decodePushProto(build(1, 1_000_000_000)), rejects400(/nanos/));
  assert.throws(() => decodePushProto(build(1, -1)), rejects400(/nanos/));
});

test('invalid UTF-8 in a line becomes U+FFFD instead of failing the request', () => {
  const w = new ProtoWriter();
  w.tag(1, 2);
  const m = w.begin();
  w.tag(1, 2);
  w.string('{a="b"}');
  w.tag(2, 2);
  const e = w.begin();
  w.tag(2, 2);
  w.bytes(Buffer.from([0x68, 0xff, 0xfe, 0x69]));
  w.end(e);
  w.end(m);
  assert.equal(decodePushProto(w.finish()).streams[0]!.entries[0]!.line, 'h\ufffd\ufffdi');
});

test('a stream with an unparsable label string is reported, the other streams survive', async () => {
  const w = new ProtoWriter();
  for (const labels of ['{job="ok"}', '{job=bad}', '{a="1", a="2"}']) {
    w.tag(1, 2);
    const m = w.begin();
    w.tag(1, 2);
    w.string(labels);
    w.tag(2, 2);
    const e = w.begin();
    w.tag(2, 2);
    w.string('line');
    w.end(e);
    w.end(m);
  }
  const d = await decodeLokiPush({ body: snappyCompress(w.finish()) });
  assert.deepEqual(d.streams.map((s) => s.labels), [{ job: 'ok' }]);
  assert.deepEqual(
    d.invalid.map((i) => [i.index, i.reason, i.entries]),
    [
      [1, 'invalid_labels', 1],
      [2, 'duplicate_label_names', 1],
    ],
  );
});

test('JSON: wrong types are rejected naming the stream and value index', async () => {
  const j = (doc: unknown) => decodeLokiPush({ contentType: 'application/json', body: Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)) });
  const cases: [unknown, RegExp][] = [
    ['{"streams":[{"stream":{"a":"b"},"values":[["1"', /invalid JSON push request/],
    ['[]', /expected an object at top level, got array/],
    [{ streams: {} }, /"streams" must be an array, got object/],
    [{ streams: [5] }, /streams\[0\] must be an object, got number/],
    [{ streams: [{ stream: 'a=b', values: [] }] }, /streams\[0\]\.stream must be an object/],
    [{ streams: [{ stream: { a: 1 }, values: [] }] }, /streams\[0\]\.stream\["a"\] must be a string, got number/],
    [{ streams: [{ stream: { a: 'b' }, values: {} }] }, /streams\[0\]\.values must be an array/],
    [{ streams: [{ stream: { a: 'b' }, values: [['1', 'x'], 'x'] }] }, /streams\[0\]\.values\[1\] must be an array/],
    [{ streams: [{ stream: { a: 'b' }, values: [['1']] }] }, /values\[0\] must have 2 or 3 elements, got 1/],
    [{ streams: [{ stream: { a: 'b' }, values: [['1', 'x', {}, 4]] }] }, /must have 2 or 3 elements, got 4/],
    [{ streams: [{ stream: { a: 'b' }, values: [[1714521600000000000, 'x']] }] }, /values\[0\]\[0\]: timestamp must be a string of Unix nanoseconds, got number/],
    [{ streams: [{ stream: { a: 'b' }, values: [['', 'x']] }] }, /is not an integer number of nanoseconds/],
    [{ streams: [{ stream: { a: 'b' }, values: [['1.5', 'x']] }] }, /is not an integer/],
    [{ streams: [{ stream: { a: 'b' }, values: [['99999999999999999999', 'x']] }] }, /is not an integer/],
    [{ streams: [{ stream: { a: 'b' }, values: [['1', 5]] }] }, /values\[0\]\[1\]: line must be a string, got number/],
    [{ streams: [{ stream: { a: 'b' }, values: [['1', 'x', 'meta']] }] }, /values\[0\]\[2\] must be an object/],
    [{ streams: [{ stream: { a: 'b' }, values: [['1', 'x', { k: 1 }]] }] }, /values\[0\]\[2\]\["k"\] must be a string/],
  ];
  for (const [doc, re] of cases) await assert.rejects(j(doc), rejects400(re), JSON.stringify(doc).slice(0, 80));
});

test('JSON: deep nesting and huge documents are handled without crashing', async () => {
  const deep = '{"streams":[{"stream":{"a":"b"},"values":[["1","x",' + '['.repeat(100_000) + ']'.repeat(100_000) + ']]}]}';
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', body: Buffer.from(deep) }), rejects400(/must be an object/));
  const deepObj = '{"streams":[{"stream":' + '{"a":'.repeat(50_000) + '"x"' + '}'.repeat(50_000) + ',"values":[]}]}';
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', body: Buffer.from(deepObj) }), rejects400(/must be a string, got object/));
});

test('JSON: missing streams, null values and null metadata are accepted as empty', async () => {
  const j = (doc: unknown) => decodeLokiPush({ contentType: 'application/json', body: Buffer.from(JSON.stringify(doc)) });
  assert.deepEqual((await j({})).streams, []);
  assert.deepEqual((await j({ streams: [{ stream: { a: 'b' }, values: null }] })).streams, []);
  assert.deepEqual((await j({ streams: [{ stream: { a: 'b' }, values: [['-5', 'x', null]] }] })).streams[0]!.entries, [{ ts: -5n, line: 'x', metadata: undefined }]);
  assert.deepEqual((await j({ streams: [{ stream: { a: 'b' }, values: [['5', 'x', {}]] }] })).streams[0]!.entries, [{ ts: 5n, line: 'x', metadata: undefined }]);
});

test('JSON: the legacy /api/prom/push stream form with RFC3339 timestamps', async () => {
  const doc = { streams: [{ labels: '{job="legacy"}', entries: [{ ts: '2024-05-01T00:00:00.123456789Z', line: 'old' }, { ts: '2024-05-01T02:00:00+02:00', line: 'tz' }] }] };
  const d = await decodeLokiPush({ contentType: 'application/json', body: Buffer.from(JSON.stringify(doc)) });
  assert.deepEqual(d.streams, [
    {
      labels: { job: 'legacy' },
      entries: [
        { ts: 1_714_521_600_123_456_789n, line: 'old', metadata: undefined },
        { ts: 1_714_521_600_000_000_000n, line: 'tz', metadata: undefined },
      ],
    },
  ]);
  const bad = { streams: [{ labels: '{job="legacy"}', entries: [{ ts: 'yesterday', line: 'x' }] }] };
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', body: Buffer.from(JSON.stringify(bad)) }), rejects400(/entries\[0\]\.ts "yesterday" is not an RFC3339/));
});

test('JSON: invalid UTF-8 bytes in the body become U+FFFD instead of failing', async () => {
  const head = Buffer.from('{"streams":[{"stream":{"a":"b"},"values":[["1","x');
  const tail = Buffer.from('y"]]}]}');
  const d = await decodeLokiPush({ contentType: 'application/json', body: Buffer.concat([head, Buffer.from([0xc3, 0x28, 0xff]), tail]) });
  assert.equal(d.streams[0]!.entries[0]!.line, 'x\ufffd(\ufffdy');
});

test('zstd Content-Encoding (Loki 3 reads it), bounded like the others', async () => {
  const { compress } = await import('zstd-napi');
  const json = encodeLokiPushJson(sample);
  assert.deepEqual((await decodeLokiPush({ contentType: 'application/json', contentEncoding: 'zstd', body: compress(json.body) })).streams, withEntries);
  const bomb = compress(Buffer.alloc(16 * 1024 * 1024, 0x61));
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', contentEncoding: 'zstd', body: bomb }, { maxDecompressedBytes: 1024 * 1024 }), (e: unknown) => e instanceof LogwharfError && e.status === 413);
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', contentEncoding: 'zstd', body: Buffer.from('nope nope') }), rejects400(/invalid zstd body/));
  const whole = compress(json.body);
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', contentEncoding: 'zstd', body: whole.subarray(0, whole.length - 3) }), rejects400(/invalid zstd body/));
});

test('label and metadata names that collide with Object.prototype are ordinary names', async () => {
  const doc = { streams: [{ stream: { constructor: 'c', toString: 't' }, values: [['1', 'x', { __proto__: 'p', hasOwnProperty: 'h' }]] }] };
  // JSON.stringify drops a literal __proto__ key from an object literal; write it by hand.
  const text = JSON.stringify(doc).replace('{"hasOwnProperty"', '{"__proto__":"p","hasOwnProperty"');
  const d = await decodeLokiPush({ contentType: 'application/json', body: Buffer.from(text) });
  assert.deepEqual(Object.keys(d.streams[0]!.labels), ['constructor', 'toString']);
  const md = d.streams[0]!.entries[0]!.metadata!;
  assert.deepEqual(Object.keys(md).sort(), ['__proto__', 'hasOwnProperty']);
  assert.equal(md['__proto__'], 'p');
  assert.equal(Object.getPrototypeOf(md), Object.prototype);
  const viaProto = await decodeLokiPush(encodeLokiPushProtobuf({ streams: [{ labels: { __proto__x: 'a' }, entries: [{ ts: 1n, line: 'l', metadata: d.streams[0]!.entries[0]!.metadata! }] }] }));
  assert.deepEqual(Object.keys(viaProto.streams[0]!.entries[0]!.metadata!).sort(), ['__proto__', 'hasOwnProperty']);
});

test('item bombs: bodies of tiny empty entries or streams are refused with 413 before they become objects', async () => {
  const too = (e: unknown) => e instanceof LogwharfError && e.status === 413 && /more than 1000 streams and entries/.test(e.message);
  const opts = { maxItems: 1000 };
  // Protobuf: one stream with 2000 empty entries (2 bytes each), and 2000 distinct one-entry streams.
  const w = new ProtoWriter();
  w.tag(1, 2);
  const m = w.begin();
  w.tag(1, 2);
  w.string('{a="b"}');
  for (let i = 0; i < 2000; i++) {
    w.tag(2, 2);
    w.uint32(0);
  }
  w.end(m);
  await assert.rejects(decodeLokiPush({ body: snappyCompress(w.finish()) }, opts), too);
  const w2 = new ProtoWriter();
  for (let i = 0; i < 2000; i++) {
    w2.tag(1, 2);
    const sm = w2.begin();
    w2.tag(1, 2);
    w2.string(`{a="${i}"}`);
    w2.tag(2, 2);
    w2.uint32(0);
    w2.end(sm);
  }
  await assert.rejects(decodeLokiPush({ body: snappyCompress(w2.finish()) }, opts), too);
  // Repeated identical streams merge into one and stay within the bound.
  const w3 = new ProtoWriter();
  for (let i = 0; i < 500; i++) {
    w3.tag(1, 2);
    const sm = w3.begin();
    w3.tag(1, 2);
    w3.string('{a="same"}');
    w3.tag(2, 2);
    w3.uint32(0);
    w3.end(sm);
  }
  const merged = await decodeLokiPush({ body: snappyCompress(w3.finish()) }, opts);
  assert.equal(merged.streams.length, 1);
  assert.equal(merged.streams[0]!.entries.length, 500);
  // JSON: refused from a byte count before JSON.parse builds anything.
  const json = '{"streams":[{"stream":{"a":"b"},"values":[' + Array(5000).fill('[]').join(',') + ']}]}';
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', body: Buffer.from(json) }, opts), too);
  const json2 = '{"streams":[{"stream":{"a":"b"},"values":[' + Array(1500).fill('["1","x"]').join(',') + ']}]}';
  await assert.rejects(decodeLokiPush({ contentType: 'application/json', body: Buffer.from(json2) }, opts), too);
});
