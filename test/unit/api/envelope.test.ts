/**
 * Response shapes compared with JSON written by hand from Loki's HTTP API documentation and its
 * marshalling behaviour (value strings, float-second times, categorize-labels form).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeIndexStatsResponse,
  encodeLabelsResponse,
  encodeQueryResponse,
  encodeQueryResponseChunks,
  encodeSeriesResponse,
  encodeTailFrame,
  encodeVolumeResponse,
  wantsCategorizedLabels,
  type QueryData,
} from '../../../src/api/envelope.js';
import { lokiStats } from '../../../src/api/stats.js';
import { formatPromTime, formatSampleValue, parseSampleValue } from '../../../src/api/sample-value.js';

const ZERO_STATS = lokiStats();

test('streams result: sorted stream labels, ns strings, envelope order, stats', () => {
  const body = encodeQueryResponse({
    resultType: 'streams',
    result: [{ stream: { job: 'api', env: 'prod' }, entries: [{ ts: 1700000000000000001n, line: 'b "quoted" \u2028 <tag>' }, { ts: 1700000000000000000n, line: 'a' }] }],
  });
  const text = `{"status":"success","data":{"resultType":"streams","result":[{"stream":{"env":"prod","job":"api"},"values":[["1700000000000000001","b \\"quoted\\" \u2028 <tag>"],["1700000000000000000","a"]]}],"stats":${JSON.stringify(ZERO_STATS)}}}`;
  assert.equal(body, text);
  assert.deepEqual(JSON.parse(body).data.result[0].values[0], ['1700000000000000001', 'b "quoted" \u2028 <tag>']);
});

test('categorize-labels: every entry gets a third element; metadata and parsed kept apart', () => {
  const body = encodeQueryResponse(
    {
      resultType: 'streams',
      result: [
        {
          stream: { test: 'test' },
          entries: [
            { ts: 123456789012345n, line: 'super line' },
            { ts: 123456789012346n, line: 'super line with labels', structuredMetadata: { foo: 'a', bar: 'b' } },
            { ts: 123456789012347n, line: 'super line with labels msg=text', structuredMetadata: { foo: 'a', bar: 'b' }, parsed: { msg: 'text' } },
            { ts: 123456789012348n, line: 'parsed only', parsed: { msg: 'x' } },
          ],
        },
      ],
    },
    { categorizeLabels: true, warnings: ['this is a warning'] },
  );
  assert.deepEqual(JSON.parse(body), {
    status: 'success',
    warnings: ['this is a warning'],
    data: {
      resultType: 'streams',
      encodingFlags: ['categorize-labels'],
      result: [
        {
          stream: { test: 'test' },
          values: [
            ['123456789012345', 'super line', {}],
            ['123456789012346', 'super line with labels', { structuredMetadata: { foo: 'a', bar: 'b' } }],
            ['123456789012347', 'super line with labels msg=text', { structuredMetadata: { foo: 'a', bar: 'b' }, parsed: { msg: 'text' } }],
            ['123456789012348', 'parsed only', { parsed: { msg: 'x' } }],
          ],
        },
      ],
      stats: ZERO_STATS,
    },
  });
  // Key order matters to byte-comparing clients: encodingFlags comes right after resultType.
  assert.ok(body.indexOf('"encodingFlags"') < body.indexOf('"result"'));
  assert.ok(body.indexOf('"warnings"') < body.indexOf('"data"'));
});

test('without the flag, metadata is not written (Loki merges it into stream labels upstream)', () => {
  const body = encodeQueryResponse({ resultType: 'streams', result: [{ stream: { a: '1' }, entries: [{ ts: 1n, line: 'x', structuredMetadata: { t: 'y' } }] }] });
  assert.deepEqual(JSON.parse(body).data.result[0].values, [['1', 'x']]);
  assert.equal(JSON.parse(body).data.encodingFlags, undefined);
});

test('vector, matrix and scalar: [float seconds, "value"] with Prometheus formatting', () => {
  const vector: QueryData = {
    resultType: 'vector',
    result: [
      { metric: {}, tsMs: 1568404331324, value: 0.013333333333333334 },
      { metric: { level: 'error' }, tsMs: 1568404331000, value: Infinity },
    ],
  };
  assert.equal(
    encodeQueryResponse(vector, { stats: ZERO_STATS }),
    `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1568404331.324,"0.013333333333333334"]},{"metric":{"level":"error"},"value":[1568404331,"+Inf"]}],"stats":${JSON.stringify(ZERO_STATS)}}}`,
  );
  const matrix = encodeQueryResponse({
    resultType: 'matrix',
    result: [{ metric: { level: 'info' }, values: [[1568404331000, 1], [1568404346000, NaN], [1568404361000, -Infinity]] }],
  });
  assert.deepEqual(JSON.parse(matrix).data.result, [{ metric: { level: 'info' }, values: [[1568404331, '1'], [1568404346, 'NaN'], [1568404361, '-Inf']] }]);
  const scalar = encodeQueryResponse({ resultType: 'scalar', result: { tsMs: 1700000000500, value: 2 } });
  assert.deepEqual(JSON.parse(scalar).data.result, [1700000000.5, '2']);
  assert.equal(JSON.parse(scalar).data.resultType, 'scalar');
});

test('sample values use fixed notation with shortest round-trip digits, like Go', () => {
  assert.equal(formatSampleValue(1e21), '1000000000000000000000');
  assert.equal(formatSampleValue(1.5e-7), '0.00000015');
  assert.equal(formatSampleValue(-2.5e22), '-25000000000000000000000');
  assert.equal(formatSampleValue(0.1 + 0.2), '0.30000000000000004');
  assert.equal(formatSampleValue(-0), '-0');
  assert.equal(formatSampleValue(123456789), '123456789');
  assert.equal(formatPromTime(1), '0.001');
  assert.equal(formatPromTime(-1500), '-1.5');
  for (const v of [0, 1.5, -3, 1e21, 5e-324, Number.MAX_VALUE, Infinity, -Infinity]) assert.equal(parseSampleValue(formatSampleValue(v)), v);
  assert.ok(Number.isNaN(parseSampleValue('NaN')));
});

test('chunked encoding joins to the same text', () => {
  const data: QueryData = { resultType: 'streams', result: Array.from({ length: 5 }, (_, i) => ({ stream: { i: String(i) }, entries: [{ ts: BigInt(i), line: 'l' + i }] })) };
  const chunks = [...encodeQueryResponseChunks(data)];
  assert.ok(chunks.length >= 7);
  assert.equal(chunks.join(''), encodeQueryResponse(data));
  assert.equal(JSON.parse(chunks.join('')).data.result.length, 5);
  const empty = encodeQueryResponse({ resultType: 'streams', result: [] });
  assert.deepEqual(JSON.parse(empty).data.result, []);
});

test('stats: the summary fields Grafana reads, and Loki’s sections', () => {
  const s = lokiStats({ execTimeSeconds: 0.5, bytesProcessed: 1000, linesProcessed: 10, entriesReturned: 3, chunksRef: 4, chunksDownloaded: 2 });
  assert.deepEqual(s.summary, {
    bytesProcessedPerSecond: 2000,
    linesProcessedPerSecond: 20,
    totalBytesProcessed: 1000,
    totalLinesProcessed: 10,
    totalStructuredMetadataBytesProcessed: 0,
    totalPostFilterLines: 3,
    execTime: 0.5,
    queueTime: 0,
    subqueries: 0,
    totalEntriesReturned: 3,
    splits: 0,
    shards: 0,
  });
  const store = s.querier.store as { totalChunksRef: number; chunk: { decompressedBytes: number; decompressedLines: number } };
  assert.equal(store.totalChunksRef, 4);
  assert.equal(store.chunk.decompressedBytes, 1000);
  assert.equal(store.chunk.decompressedLines, 10);
  assert.deepEqual(Object.keys(s).sort(), ['cache', 'index', 'ingester', 'querier', 'summary']);
  assert.equal(lokiStats().summary.bytesProcessedPerSecond, 0, 'no time measured: no rate, not Infinity');
});

test('labels, series and index stats bodies', () => {
  assert.equal(encodeLabelsResponse(['app', 'job']), '{"status":"success","data":["app","job"]}');
  // Loki's LabelResponse.data is omitempty.
  assert.equal(encodeLabelsResponse([]), '{"status":"success"}');
  assert.equal(encodeSeriesResponse([{ job: 'b', a: '1' }, {}]), '{"status":"success","data":[{"a":"1","job":"b"},{}]}');
  assert.equal(encodeSeriesResponse([]), '{"status":"success","data":[]}');
  assert.equal(encodeIndexStatsResponse({ streams: 2, chunks: 5, bytes: 1024, entries: 100 }), '{"streams":2,"chunks":5,"bytes":1024,"entries":100}');
});

test('volume: vector and matrix envelopes of byte counts', () => {
  const v = JSON.parse(encodeVolumeResponse({ resultType: 'vector', result: [{ metric: { job: 'api' }, tsMs: 1700000000000, value: 4096 }] }));
  assert.deepEqual(v.data.result, [{ metric: { job: 'api' }, value: [1700000000, '4096'] }]);
  assert.equal(v.data.resultType, 'vector');
});

test('tail frames: streams always, dropped_entries only when some were dropped', () => {
  assert.equal(
    encodeTailFrame({ streams: [{ stream: { a: '1' }, entries: [{ ts: 5n, line: 'x' }] }] }),
    '{"streams":[{"stream":{"a":"1"},"values":[["5","x"]]}]}',
  );
  assert.deepEqual(JSON.parse(encodeTailFrame({ streams: [], droppedEntries: [{ labels: { a: '1' }, ts: 7n }] })), {
    streams: [],
    dropped_entries: [{ timestamp: '7', labels: { a: '1' } }],
  });
  assert.deepEqual(JSON.parse(encodeTailFrame({ streams: [{ stream: { a: '1' }, entries: [{ ts: 5n, line: 'x', structuredMetadata: { t: '1' } }] }] }, { categorizeLabels: true })), {
    streams: [{ stream: { a: '1' }, values: [['5', 'x', { structuredMetadata: { t: '1' } }]] }],
    encodingFlags: ['categorize-labels'],
  });
});

test('encoding-flags header parsing', () => {
  assert.equal(wantsCategorizedLabels('categorize-labels'), true);
  assert.equal(wantsCategorizedLabels('other, categorize-labels'), true);
  assert.equal(wantsCategorizedLabels(['x', 'categorize-labels']), true);
  assert.equal(wantsCategorizedLabels('categorize-labelsx'), false);
  assert.equal(wantsCategorizedLabels(undefined), false);
});

test('hostile strings stay valid JSON: control characters, lone surrogates, huge lines', () => {
  const nasty = '\u0000\u001f\\"\n\t\ud800 end';
  const big = 'x'.repeat(1 << 20);
  const body = encodeQueryResponse({ resultType: 'streams', result: [{ stream: { [nasty]: nasty }, entries: [{ ts: 1n, line: nasty }, { ts: 2n, line: big }] }] });
  const parsed = JSON.parse(body);
  assert.equal(parsed.data.result[0].values[0][1], nasty);
  assert.equal(parsed.data.result[0].stream[nasty], nasty);
  assert.equal(parsed.data.result[0].values[1][1].length, 1 << 20);
});
