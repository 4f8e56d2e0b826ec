import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSourceReport, parseSourcesFilter } from '../../../src/registry/report-schema.js';
import { LogwharfError } from '../../../src/api/errors.js';

const agent = { id: 'node-a', host: 'node-a', version: '0.1.0', started_at: '2026-11-23T10:00:00+01:00' };
const source = {
  id: 'file:/var/log/syslog',
  kind: 'file',
  file: '/var/log/syslog',
  labels: { job: 'syslog' },
  state: 'tailing',
  lines_read: 0,
  lines_shipped: 0,
  bytes_shipped: 0,
  lines_dropped: 0,
  lag_seconds: 0,
  first_seen: '2026-11-23T10:00:00.123456Z',
};

test('a valid report parses; unknown fields from a newer agent are dropped, not refused', () => {
  const r = parseSourceReport(Buffer.from(JSON.stringify({ agent: { ...agent, zone: 'eu' }, sources: [{ ...source, future_field: 1 }], extra: true })));
  assert.deepEqual(r, { agent, sources: [source] });
});

test('errors are 400 and name the field, at most five of them', () => {
  const bad = { agent, sources: Array.from({ length: 8 }, (_, i) => ({ ...source, id: `s${i}`, lag_seconds: 'slow' })) };
  assert.throws(
    () => parseSourceReport(Buffer.from(JSON.stringify(bad))),
    (e: unknown) => {
      assert.ok(e instanceof LogwharfError);
      assert.equal(e.status, 400);
      assert.match(e.message, /^invalid source report: sources\[0\]\.lag_seconds: Invalid input: expected number, received string; sources\[1\]/);
      assert.match(e.message, /; and 3 more$/);
      return true;
    },
  );
  assert.throws(() => parseSourceReport(Buffer.from(JSON.stringify({ agent, sources: [{ ...source, lag_seconds: -1 }] }))), /lag_seconds: Too small/);
  assert.throws(() => parseSourceReport(Buffer.from('{"agent":')), /the body is not JSON/);
  assert.throws(() => parseSourceReport(Buffer.from('null')), /\(body\): Invalid input: expected object, received null/);
});

test('the GET filter: known states and kinds only, empty values mean any', () => {
  assert.deepEqual(parseSourcesFilter(new URLSearchParams('state=error&kind=kubernetes&agent=a&namespace=ns&container=c&other=x')), {
    state: 'error',
    kind: 'kubernetes',
    agent: 'a',
    namespace: 'ns',
    container: 'c',
  });
  assert.deepEqual(parseSourcesFilter(new URLSearchParams('state=&agent=')), {});
  assert.throws(() => parseSourcesFilter(new URLSearchParams('kind=podman')), /invalid kind "podman": expected one of docker, kubernetes, file/);
});
