/**
 * The push routes let the server read a later request's body into the same buffer
 * (`reusableBody`, src/http/body-budget.ts; issue #12, stop 18). That is only right if nothing a
 * decoder returns is a view of the body's bytes: here every push format and Content-Encoding is
 * decoded, the body overwritten, and what was decoded compared with the decode of an untouched copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { decodeLokiPush, decodeOtlpLogs, encodeOtlpLogsJson, encodeOtlpLogsProto, encodePushJson, encodePushProto, snappyCompress } from '../../../../src/api/push/index.js';
import type { StreamPush } from '../../../../src/api/model.js';
import { OtlpKvList, type OtlpLogsRequest } from '../../../../src/api/push/otlp-model.js';

const zstd = createRequire(import.meta.url)('zstd-napi') as { compress(b: Buffer): Buffer };

const streams: StreamPush[] = [
  {
    labels: { job: 'api', host: 'h1' },
    entries: [
      { ts: 1714521600000000001n, line: 'level=info msg="started" ü€😀' },
      { ts: 1714521600000000002n, line: '{"level":"error","msg":"boom"}', metadata: { trace_id: 'abc123', user: 'ø' } },
    ],
  },
  { labels: { job: 'web' }, entries: [{ ts: 1714521600000000003n, line: 'x'.repeat(300) }] },
];

const bytes = (...xs: number[]) => new Uint8Array(xs);
const otlp: OtlpLogsRequest = {
  resourceLogs: [
    {
      attributes: [
        { key: 'service.name', value: 'checkout' },
        { key: 'blob', value: bytes(1, 2, 3, 250) },
      ],
      droppedAttributesCount: 0,
      scopeLogs: [
        {
          scope: { name: 'lib', version: '1.0', attributes: [{ key: 'k', value: 'v' }], droppedAttributesCount: 0 },
          logRecords: [
            {
              timeUnixNano: 1714521600000000001n,
              observedTimeUnixNano: 1714521600000000009n,
              severityNumber: 17,
              severityText: 'ERROR',
              body: 'payment failed ü€',
              attributes: [
                { key: 'order', value: new OtlpKvList([{ key: 'id', value: '42' }, { key: 'raw', value: bytes(9, 8, 7) }]) },
                { key: 'tags', value: ['a', 'b'] },
              ],
              droppedAttributesCount: 0,
              flags: 1,
              traceId: bytes(...Array.from({ length: 16 }, (_, i) => i + 1)),
              spanId: bytes(...Array.from({ length: 8 }, (_, i) => 100 + i)),
              eventName: '',
            },
          ],
        },
      ],
    },
  ],
};

/** Content-Encoding applied the way a client does. */
function encoded(body: Buffer, enc: string): Buffer {
  if (enc === 'gzip') return gzipSync(body);
  if (enc === 'deflate') return deflateSync(body);
  if (enc === 'zstd') return zstd.compress(body);
  if (enc === 'snappy') return snappyCompress(body);
  return body;
}

/** Decodes from a buffer of the server's kind (unzeroed, possibly larger), then overwrites it: the result must not change. */
async function assertNoView(what: string, body: Buffer, decode: (b: Buffer) => Promise<unknown>): Promise<void> {
  const pristine = await decode(Buffer.from(body));
  const reused = Buffer.allocUnsafeSlow(body.length + 4096);
  body.copy(reused);
  const view = reused.subarray(0, body.length);
  const decoded = await decode(view);
  assert.deepEqual(decoded, pristine, `${what}: decoded the same from a larger buffer`);
  reused.fill(0x5a);
  assert.deepEqual(decoded, pristine, `${what}: changed when the body's buffer was overwritten`);
}

test('Loki push bodies (JSON and protobuf, every Content-Encoding): nothing decoded is a view of the body', async () => {
  const json = Buffer.from(encodePushJson({ streams }));
  const proto = snappyCompress(encodePushProto({ streams }));
  for (const enc of ['', 'gzip', 'deflate', 'zstd']) {
    await assertNoView(`json ${enc}`, encoded(json, enc), (b) => decodeLokiPush({ contentType: 'application/json', contentEncoding: enc, body: b }));
    await assertNoView(`protobuf ${enc}`, encoded(proto, enc), (b) => decodeLokiPush({ contentType: 'application/x-protobuf', contentEncoding: enc, body: b }));
  }
});

test('OTLP bodies (protobuf and JSON, every Content-Encoding): nothing decoded is a view of the body, bytes values and ids included', async () => {
  const proto = encodeOtlpLogsProto(otlp);
  const json = Buffer.from(encodeOtlpLogsJson(otlp));
  for (const enc of ['', 'gzip', 'deflate', 'zstd', 'snappy']) {
    await assertNoView(`otlp protobuf ${enc}`, encoded(proto, enc), (b) => decodeOtlpLogs({ contentType: 'application/x-protobuf', contentEncoding: enc, body: b }));
    await assertNoView(`otlp json ${enc}`, encoded(json, enc), (b) => decodeOtlpLogs({ contentType: 'application/json', contentEncoding: enc, body: b }));
  }
  // The test would see a view: the decoded trace id is the one sent.
  const { request } = await decodeOtlpLogs({ contentType: 'application/x-protobuf', body: proto });
  assert.deepEqual(request.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.traceId, otlp.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.traceId);
});
