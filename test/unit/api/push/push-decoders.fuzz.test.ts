/**
 * Every push body decoder fuzzed (issue #8): Loki JSON and protobuf, behind snappy, gzip, deflate and
 * zstd, and OTLP JSON and protobuf. Random bytes, random JSON, structurally plausible documents with
 * random values, and valid bodies with flipped bytes or cut short all give a decoded push or a 4xx
 * with a message — never another exception, a 5xx or a hang. FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { deflateSync, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { decodeLokiPush, encodePushProto, encodePushJson, snappyCompress, decodeOtlpLogs, encodeOtlpLogsProto, encodeOtlpLogsJson } from '../../../../src/api/push/index.js';
import { toOtlpRequest } from '../../../../src/agent/ship/otlp-request.js';
import type { StreamPush } from '../../../../src/api/model.js';
import { fuzzParams } from '../../../helpers/fuzz.js';
import { answersOrClientError } from '../../../helpers/fuzz-expect.js';

const zstd = createRequire(import.meta.url)('zstd-napi') as { compress(b: Buffer): Buffer };
const MAX = 1024 * 1024;

const CONTENT_TYPES = ['application/json', 'application/x-protobuf', undefined, 'application/json; charset=utf-8', 'text/plain'] as const;
const ENCODINGS = ['', 'gzip', 'deflate', 'zstd', 'snappy', 'identity', 'br'] as const;

/** Applies a Content-Encoding the way a client would (snappy framing is the protobuf body's own). */
function encode(body: Buffer, enc: string): Buffer {
  if (enc === 'gzip') return gzipSync(body);
  if (enc === 'deflate') return deflateSync(body);
  if (enc === 'zstd') return zstd.compress(body);
  return body;
}

// Real label sets: plain objects whose values are strings (a "__proto__" key would not be one).
const labelsArb = fc.dictionary(fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__'), fc.string({ maxLength: 12 }), { maxKeys: 4, noNullPrototype: true });
const streamsArb: fc.Arbitrary<StreamPush[]> = fc.array(
  fc.record({
    labels: labelsArb,
    entries: fc.array(
      fc.record({
        ts: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
        line: fc.string({ maxLength: 40 }),
      }),
      { maxLength: 5 },
    ),
  }),
  { maxLength: 4 },
);

/** A valid body damaged: bytes flipped at random places, or cut short. */
function damaged(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.option(fc.nat())).map(([b, flips, cut]) => {
    const out = Buffer.from(b);
    for (const [at, x] of flips) if (out.length > 0) out[at % out.length]! ^= x;
    return cut === null || out.length === 0 ? out : out.subarray(0, cut % out.length);
  });
}

const lokiJson = streamsArb.map((streams) => Buffer.from(encodePushJson({ streams })));
const lokiProto = streamsArb.map((streams) => snappyCompress(encodePushProto({ streams })));
// JSON documents shaped like a push, with values of any type where strings belong.
const lokiJsonShaped = fc
  .record({
    streams: fc.oneof(
      fc.array(fc.record({ stream: fc.oneof(labelsArb, fc.anything()), values: fc.oneof(fc.array(fc.array(fc.oneof(fc.string(), fc.anything()), { maxLength: 4 })), fc.anything()) }, { requiredKeys: [] })),
      fc.array(fc.record({ labels: fc.oneof(fc.string(), fc.anything()), entries: fc.array(fc.record({ ts: fc.oneof(fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())), fc.anything()), line: fc.anything() }, { requiredKeys: [] })) }, { requiredKeys: [] })),
      fc.anything(),
    ),
  }, { requiredKeys: [] })
  .map((doc) => Buffer.from(JSON.stringify(doc) ?? 'null'));

const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.json().map((s) => Buffer.from(s)),
  lokiJsonShaped,
  damaged(lokiJson),
  damaged(lokiProto),
  fc.uint8Array({ maxLength: 512 }).map((a) => snappyCompress(Buffer.from(a))),
);

test('Loki push: any body, content type and encoding decodes or gives a 4xx', async () => {
  await fc.assert(
    fc.asyncProperty(bodyArb, fc.constantFrom(...CONTENT_TYPES), fc.constantFrom(...ENCODINGS), fc.boolean(), async (body, contentType, enc, compress) => {
      const sent = compress ? encode(body, enc) : body;
      await answersOrClientError(() => decodeLokiPush({ contentType, contentEncoding: enc, body: sent }, { maxDecompressedBytes: MAX, maxItems: 10_000 }));
    }),
    fuzzParams(),
  );
});

test('Loki push: compressed bodies damaged after compression decode or give a 4xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('gzip', 'deflate', 'zstd'), lokiJson, fc.nat(), fc.integer({ min: 1, max: 255 }), async (enc, body, at, x) => {
      const sent = Buffer.from(encode(body, enc));
      sent[at % sent.length]! ^= x;
      await answersOrClientError(() => decodeLokiPush({ contentType: 'application/json', contentEncoding: enc, body: sent }, { maxDecompressedBytes: MAX }));
    }),
    fuzzParams(),
  );
});

const otlpProto = streamsArb.map((streams) => encodeOtlpLogsProto(toOtlpRequest(streams)));
const otlpJson = streamsArb.map((streams) => Buffer.from(encodeOtlpLogsJson(toOtlpRequest(streams))));
const anyValueArb = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.record({ stringValue: fc.oneof(fc.string(), fc.anything()) }),
    fc.record({ intValue: fc.oneof(fc.string(), fc.integer(), fc.anything()) }),
    fc.record({ doubleValue: fc.oneof(fc.double(), fc.string(), fc.anything()) }),
    fc.record({ boolValue: fc.anything() }),
    fc.record({ bytesValue: fc.oneof(fc.base64String(), fc.anything()) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('v'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key: fc.anything(), value: tie('v') }), { maxLength: 3 }) }) }),
    fc.anything(),
  ),
})).v;
const otlpJsonShaped = fc
  .record({
    resourceLogs: fc.array(
      fc.record({
        resource: fc.record({ attributes: fc.array(fc.record({ key: fc.oneof(fc.string(), fc.anything()), value: anyValueArb }), { maxLength: 3 }) }, { requiredKeys: [] }),
        scopeLogs: fc.array(
          fc.record({
            scope: fc.anything(),
            logRecords: fc.array(
              fc.record(
                {
                  timeUnixNano: fc.oneof(fc.bigInt({ min: 0n, max: 1n << 65n }).map(String), fc.anything()),
                  severityNumber: fc.oneof(fc.integer(), fc.string(), fc.anything()),
                  body: anyValueArb,
                  attributes: fc.array(fc.record({ key: fc.anything(), value: anyValueArb }), { maxLength: 3 }),
                  traceId: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 32, maxLength: 32 }), fc.anything()),
                  flags: fc.anything(),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 3 },
            ),
          }, { requiredKeys: [] }),
          { maxLength: 2 },
        ),
      }, { requiredKeys: [] }),
      { maxLength: 2 },
    ),
  }, { requiredKeys: [] })
  .map((doc) => Buffer.from(JSON.stringify(doc) ?? 'null'));

test('OTLP logs: any JSON or protobuf body decodes or gives a 4xx', async () => {
  const otlpBody = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
    fc.json().map((s) => Buffer.from(s)),
    otlpJsonShaped,
    damaged(otlpProto),
    damaged(otlpJson),
  );
  await fc.assert(
    fc.asyncProperty(otlpBody, fc.constantFrom('application/json', 'application/x-protobuf', undefined, 'text/plain'), fc.constantFrom('', 'gzip', 'zstd', 'snappy'), async (body, contentType, enc) => {
      const sent = enc === 'snappy' ? snappyCompress(body) : encode(body, enc);
      await answersOrClientError(() => decodeOtlpLogs({ contentType, contentEncoding: enc, body: sent }, { maxDecompressedBytes: MAX, maxItems: 40_000 }));
    }),
    fuzzParams(),
  );
});
