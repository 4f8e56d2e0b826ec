/** Explore's downloads: JSON lines and CSV of the loaded rows, read back by a JSON parser and a CSV reader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, downloadName, rfc3339Nano, toCsv, toJsonLines } from '../../../ui/pages/explore/export.js';
import { rowsFromStreams } from '../../../ui/lib/loki.js';

const rows = rowsFromStreams(
  [
    { stream: { app: 'web', env: 'prod' }, values: [['1764946987123456789', 'GET /a "quoted", comma'], ['1764946987000000000', 'line\nwith break', { structuredMetadata: { trace_id: 't1' } }]] },
    { stream: { app: 'db' }, values: [['1764946988000000001', 'plain']] },
  ],
  'forward',
);

/** A minimal RFC 4180 reader, to read the CSV back the way a spreadsheet would. */
function readCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), out.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return out;
}

test('timestamps are RFC 3339 with nanoseconds, as Loki prints them', () => {
  assert.equal(rfc3339Nano('1764946987123456789'), '2025-12-05T15:03:07.123456789Z');
  assert.equal(rfc3339Nano('1764946987000000000'), '2025-12-05T15:03:07Z');
  assert.equal(rfc3339Nano('1764946987120000000'), '2025-12-05T15:03:07.12Z');
});

test('JSON lines: one object per loaded row with time, labels, metadata and line', () => {
  const objs = toJsonLines(rows).trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(objs, [
    { timestamp: '2025-12-05T15:03:07Z', labels: { app: 'web', env: 'prod' }, structuredMetadata: { trace_id: 't1' }, line: 'line\nwith break' },
    { timestamp: '2025-12-05T15:03:07.123456789Z', labels: { app: 'web', env: 'prod' }, line: 'GET /a "quoted", comma' },
    { timestamp: '2025-12-05T15:03:08.000000001Z', labels: { app: 'db' }, line: 'plain' },
  ]);
});

test('CSV: quotes, commas and line breaks survive a round trip through a CSV reader', () => {
  assert.deepEqual(readCsv(toCsv(rows)), [
    ['timestamp', 'labels', 'line'],
    ['2025-12-05T15:03:07Z', '{app="web", env="prod"}', 'line\nwith break'],
    ['2025-12-05T15:03:07.123456789Z', '{app="web", env="prod"}', 'GET /a "quoted", comma'],
    ['2025-12-05T15:03:08.000000001Z', '{app="db"}', 'plain'],
  ]);
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a"b'), '"a""b"');
});

test('file names carry the time and the format', () => {
  assert.equal(downloadName(Date.UTC(2026, 11, 5, 14, 3, 7, 123), 'jsonl'), 'logwharf-20261205T140307Z.jsonl');
  assert.equal(downloadName(0, 'csv'), 'logwharf-19700101T000000Z.csv');
});
