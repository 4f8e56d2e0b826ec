import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import {
  OtlpInt,
  OtlpKvList,
  decodeOtlpLogs,
  decodeOtlpLogsJson,
  decodeOtlpLogsProto,
  emptyLogRecord,
  encodeOtlpLogsJson,
  encodeOtlpLogsProto,
  normalizeLabelName,
  otlpErrorResponse,
  otlpSuccessResponse,
  otlpToPush,
  otlpValueAsString,
  type OtlpLogRecord,
  type OtlpLogsRequest,
} from '../../../../src/api/push/index.js';
import { ProtoReader, ProtoWriter } from '../../../../src/api/push/protobuf.js';
import { LogwharfError } from '../../../../src/api/errors.js';

const NOW = 1_714_521_700_000_000_000n;

function record(over: Partial<OtlpLogRecord>): OtlpLogRecord {
  return { ...emptyLogRecord(), ...over };
}

const sample: OtlpLogsRequest = {
  resourceLogs: [
    {
      attributes: [
        { key: 'service.name', value: 'checkout' },
        { key: 'k8s.namespace.name', value: 'shop' },
        { key: 'host.name', value: 'node-1' },
        { key: 'process.pid', value: new OtlpInt('4242') },
      ],
      droppedAttributesCount: 0,
      scopeLogs: [
        {
          scope: { name: 'app.logger', version: '1.2.3', attributes: [{ key: 'lib.kind', value: 'pino' }], droppedAttributesCount: 0 },
          logRecords: [
            record({
              timeUnixNano: 1_714_521_600_123_456_789n,
              observedTimeUnixNano: 1_714_521_600_200_000_000n,
              severityNumber: 9,
              severityText: 'INFO',
              body: 'order placed',
              attributes: [
                { key: 'http.method', value: 'POST' },
                { key: 'retry', value: false },
                { key: 'latency', value: 12.5 },
                { key: 'user', value: new OtlpKvList([{ key: 'id', value: new OtlpInt('7') }, { key: 'geo', value: new OtlpKvList([{ key: 'country', value: 'NL' }]) }]) },
                { key: 'tags', value: ['a', new OtlpInt('1'), true] },
                { key: 'raw', value: new Uint8Array([1, 2, 3]) },
              ],
              flags: 1,
              traceId: Uint8Array.from(Buffer.from('5b8efff798038103d269b633813fc60c', 'hex')),
              spanId: Uint8Array.from(Buffer.from('eee19b7ec3c1b174', 'hex')),
            }),
            record({ observedTimeUnixNano: 1_714_521_600_300_000_000n, body: new OtlpKvList([{ key: 'msg', value: 'b<&>' }, { key: 'a', value: 1.5 }]) }),
            record({ body: null }),
          ],
        },
      ],
    },
  ],
};

test('OTLP protobuf encode → decode round-trips every field the mapping reads', () => {
  const back = decodeOtlpLogsProto(encodeOtlpLogsProto(sample));
  assert.deepEqual(back, sample);
});

test('OTLP/JSON encode → decode round-trips; snake_case names and enum names are accepted too', () => {
  assert.deepEqual(decodeOtlpLogsJson(encodeOtlpLogsJson(sample)), sample);
  const snake = {
    resource_logs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { string_value: 's' } }] },
        scope_logs: [{ log_records: [{ time_unix_nano: 5, severity_number: 'SEVERITY_NUMBER_WARN', trace_id: '5B8EFFF798038103D269B633813FC60C', body: { int_value: 3 } }] }],
      },
    ],
  };
  const d = decodeOtlpLogsJson(JSON.stringify(snake));
  const lr = d.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.equal(lr.timeUnixNano, 5n);
  assert.equal(lr.severityNumber, 13);
  assert.equal(Buffer.from(lr.traceId).toString('hex'), '5b8efff798038103d269b633813fc60c');
  assert.deepEqual(lr.body, new OtlpInt('3'));
});

test('Loki mapping: default resource attributes become labels, the rest structured metadata', () => {
  const push = otlpToPush(decodeOtlpLogsProto(encodeOtlpLogsProto(sample)), { now: NOW });
  assert.equal(push.streams.length, 1);
  const s = push.streams[0]!;
  assert.deepEqual(s.labels, { k8s_namespace_name: 'shop', service_name: 'checkout' });
  const [a, b, c] = s.entries;
  assert.equal(a!.ts, 1_714_521_600_123_456_789n);
  assert.equal(a!.line, 'order placed');
  assert.deepEqual(a!.metadata, {
    http_method: 'POST',
    retry: 'false',
    latency: '12.5',
    user_id: '7',
    user_geo_country: 'NL',
    tags: '["a",1,true]',
    raw: 'AQID',
    observed_timestamp: '1714521600200000000',
    severity_number: '9',
    severity_text: 'INFO',
    flags: '1',
    trace_id: '5b8efff798038103d269b633813fc60c',
    span_id: 'eee19b7ec3c1b174',
    host_name: 'node-1',
    process_pid: '4242',
    lib_kind: 'pino',
    scope_name: 'app.logger',
    scope_version: '1.2.3',
  });
  // Observed time when there is no time; map bodies as Go's JSON (sorted keys, HTML escaped).
  assert.equal(b!.ts, 1_714_521_600_300_000_000n);
  assert.equal(b!.line, '{"a":1.5,"msg":"b\\u003c\\u0026\\u003e"}');
  assert.equal(b!.metadata!.observed_timestamp, undefined);
  // Neither time: arrival time; empty body: empty line.
  assert.equal(c!.ts, NOW);
  assert.equal(c!.line, '');
  // Every entry is built with its `metadata` slot, in one order (one object shape; ingest then sets
  // detected_level without growing the entry: src/api/model.ts).
  for (const e of s.entries) assert.deepEqual(Object.keys(e), ['ts', 'line', 'metadata']);
});

test('resources with the same index labels share a stream; service_name is discovered or unknown_service', () => {
  const rl = (attrs: [string, string][], line: string) => ({
    attributes: attrs.map(([key, value]) => ({ key, value })),
    droppedAttributesCount: 0,
    scopeLogs: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: [record({ timeUnixNano: 1n, body: line })] }],
  });
  const push = otlpToPush(
    {
      resourceLogs: [
        rl([['service.name', 'a'], ['host.name', 'h1']], 'one'),
        rl([['service.name', 'a'], ['host.name', 'h2']], 'two'),
        rl([['deployment.environment', 'prod'], ['k8s.pod.name', 'p-1'], ['cloud.region', 'eu']], 'three'),
        rl([['telemetry.sdk.name', 'x']], 'four'),
        rl([['k8s.container.name', 'web'], ['k8s.pod.name', 'web-1']], 'five'),
      ],
    },
    { now: NOW, discoverServiceName: ['service', 'k8s_container_name'] },
  );
  assert.deepEqual(
    push.streams.map((s) => [s.labels, s.entries.map((e) => e.line)]),
    [
      [{ service_name: 'a' }, ['one', 'two']],
      [{ cloud_region: 'eu', deployment_environment: 'prod', k8s_pod_name: 'p-1', service_name: 'unknown_service' }, ['three']],
      [{ service_name: 'unknown_service' }, ['four']],
      [{ k8s_container_name: 'web', k8s_pod_name: 'web-1', service_name: 'web' }, ['five']],
    ],
  );
  // Without discovery a resource without index attributes maps to an empty label set (rejected later).
  assert.deepEqual(otlpToPush({ resourceLogs: [rl([['telemetry.sdk.name', 'x']], 'six')] }, { now: NOW }).streams[0]!.labels, {});
  assert.equal(push.streams[0]!.entries[1]!.metadata!.host_name, 'h2');
});

test('label name normalisation as Prometheus’ OTLP translator', () => {
  assert.equal(normalizeLabelName('service.name'), 'service_name');
  assert.equal(normalizeLabelName('http.response-code/x'), 'http_response_code_x');
  assert.equal(normalizeLabelName('2xx'), 'key_2xx');
  assert.equal(normalizeLabelName('_private'), 'key_private');
  assert.equal(normalizeLabelName('__reserved'), '__reserved');
  assert.equal(normalizeLabelName('ünï'), 'key_n_');
});

test('AnyValue stringification follows the collector’s AsString', () => {
  assert.equal(otlpValueAsString(null), '');
  assert.equal(otlpValueAsString(new OtlpInt('-9223372036854775808')), '-9223372036854775808');
  assert.equal(otlpValueAsString(1e21), '1e+21');
  assert.equal(otlpValueAsString(0.000001), '0.000001');
  assert.equal(otlpValueAsString(NaN), 'json: unsupported value: NaN');
  assert.equal(otlpValueAsString([new Uint8Array([255]), null, new OtlpKvList([])]), '["/w==",null,{}]');
});

test('OTLP/HTTP: content types, gzip, 415 for others, hostile bodies 400', async () => {
  const proto = encodeOtlpLogsProto(sample);
  assert.deepEqual((await decodeOtlpLogs({ contentType: 'application/x-protobuf', contentEncoding: 'gzip', body: gzipSync(proto) })).request, sample);
  const json = await decodeOtlpLogs({ contentType: 'application/json; charset=utf-8', body: Buffer.from(encodeOtlpLogsJson(sample)) });
  assert.equal(json.encoding, 'json');
  await assert.rejects(decodeOtlpLogs({ contentType: 'text/plain', body: proto }), (e: unknown) => e instanceof LogwharfError && e.status === 415 && /text\/plain is not supported/.test(e.message));
  await assert.rejects(decodeOtlpLogs({ body: proto }), (e: unknown) => e instanceof LogwharfError && e.status === 415);
  for (let n = 1; n < proto.length; n += 7) {
    try {
      decodeOtlpLogsProto(proto.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof LogwharfError && e.status === 400, `cut at ${n}: ${String(e)}`);
    }
  }
});

test('OTLP hostile nesting is bounded in both encodings', () => {
  let v: unknown = { stringValue: 'x' };
  for (let i = 0; i < 200; i++) v = { arrayValue: { values: [v] } };
  const doc = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: v }] }] }] };
  assert.throws(() => decodeOtlpLogsJson(JSON.stringify(doc)), (e: unknown) => e instanceof LogwharfError && /nested deeper than 64/.test(e.message));
  // Protobuf: AnyValue{array_value{values{array_value{...}}}} 200 deep.
  let inner: Buffer = Buffer.alloc(0);
  for (let i = 0; i < 200; i++) {
    const arr = new ProtoWriter();
    arr.tag(1, 2);
    arr.bytes(inner); // ArrayValue.values = AnyValue(inner)
    const any = new ProtoWriter();
    any.tag(5, 2);
    any.bytes(arr.finish());
    inner = Buffer.from(any.finish());
  }
  const lr = new ProtoWriter();
  lr.tag(5, 2);
  lr.bytes(inner);
  const sl = new ProtoWriter();
  sl.tag(2, 2);
  sl.bytes(lr.finish());
  const rl = new ProtoWriter();
  rl.tag(2, 2);
  rl.bytes(sl.finish());
  const req = new ProtoWriter();
  req.tag(1, 2);
  req.bytes(rl.finish());
  assert.throws(() => decodeOtlpLogsProto(req.finish()), (e: unknown) => e instanceof LogwharfError && /nested deeper than 64/.test(e.message));
});

test('OTLP/JSON wrong types are named with their path', () => {
  const cases: [unknown, RegExp][] = [
    [{ resourceLogs: {} }, /resourceLogs must be an array/],
    [{ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 'soon' }] }] }] }, /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.timeUnixNano must be an unsigned 64-bit integer/],
    [{ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'xyz' }] }] }] }, /traceId must be 32 hex digits/],
    [{ resourceLogs: [{ resource: { attributes: [{ key: 'a', value: { intValue: '1.5' } }] } }] }, /intValue must be a 64-bit integer/],
    [{ resourceLogs: [{ resource: { attributes: [{ key: 5 }] } }] }, /attributes\[0\]\.key must be a string/],
    ['{"resourceLogs": [', /invalid OTLP\/JSON request/],
  ];
  for (const [doc, re] of cases) {
    assert.throws(() => decodeOtlpLogsJson(typeof doc === 'string' ? doc : JSON.stringify(doc)), (e: unknown) => e instanceof LogwharfError && e.status === 400 && re.test(e.message), String(re));
  }
});

test('OTLP responses: empty ExportLogsServiceResponse and google.rpc.Status errors in the request encoding', () => {
  assert.deepEqual(otlpSuccessResponse('json'), { contentType: 'application/json', body: Buffer.from('{}') });
  assert.equal(otlpSuccessResponse('protobuf').body.length, 0);
  const err = new LogwharfError('rate_limited', 'slow down');
  const j = otlpErrorResponse(err, 'application/json');
  assert.equal(j.status, 429);
  assert.deepEqual(JSON.parse(j.body.toString()), { code: 8, message: 'slow down' });
  const p = otlpErrorResponse(new LogwharfError('invalid_push', 'bad'), 'application/x-protobuf');
  assert.equal(p.status, 400);
  const r = new ProtoReader(p.body);
  assert.equal(r.tag(), 8);
  assert.equal(r.uint32(), 3);
  assert.equal(r.tag(), 18);
  assert.equal(r.string(), 'bad');
});

test('OTLP/HTTP: snappy Content-Encoding as the OTel Collector may send it', async () => {
  const { snappyCompress } = await import('../../../../src/api/push/index.js');
  const proto = encodeOtlpLogsProto(sample);
  assert.deepEqual((await decodeOtlpLogs({ contentType: 'application/x-protobuf', contentEncoding: 'snappy', body: snappyCompress(proto) })).request, sample);
});

test('OTLP attributes named like Object.prototype members are kept', () => {
  const push = otlpToPush(
    {
      resourceLogs: [
        {
          attributes: [{ key: 'constructor', value: 'r' }],
          droppedAttributesCount: 0,
          scopeLogs: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: [record({ timeUnixNano: 1n, body: 'x', attributes: [{ key: 'toString', value: 't' }, { key: '__proto__', value: 'p' }] })] }],
        },
      ],
    },
    { now: NOW, discoverServiceName: ['constructor'] },
  );
  const md = push.streams[0]!.entries[0]!.metadata!;
  assert.equal(md.toString, 't');
  assert.equal(md['__proto__'], 'p');
  assert.equal(md.constructor, 'r');
  assert.equal(push.streams[0]!.labels.service_name, 'unknown_service');
});

test('OTLP item bombs are refused with 413', async () => {
  const lr = { ...emptyLogRecord(), attributes: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: null })) };
  const req: OtlpLogsRequest = { resourceLogs: [{ attributes: [], droppedAttributesCount: 0, scopeLogs: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: Array(100).fill(lr) }] }] };
  const too = (e: unknown) => e instanceof LogwharfError && e.status === 413;
  await assert.rejects(decodeOtlpLogs({ contentType: 'application/x-protobuf', body: encodeOtlpLogsProto(req) }, { maxItems: 1000 }), too);
  await assert.rejects(decodeOtlpLogs({ contentType: 'application/json', body: Buffer.from(encodeOtlpLogsJson(req)) }, { maxItems: 1000 }), too);
  assert.equal((await decodeOtlpLogs({ contentType: 'application/x-protobuf', body: encodeOtlpLogsProto(req) }, { maxItems: 10_000 })).request.resourceLogs[0]!.scopeLogs[0]!.logRecords.length, 100);
});
