/** "All lines of this request" (issue #16 in the UI): which id a line carries and the link it opens. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlationOf, requestLinesHref } from '../../../ui/lib/request-lines.js';
import type { LogRow } from '../../../ui/lib/loki.js';

const row = (over: Partial<LogRow>): LogRow => ({ id: 'x', tsNs: '1', ms: Date.UTC(2026, 11, 5, 12, 0, 0), line: '', labels: {}, structuredMetadata: {}, parsed: {}, level: 'info', ...over });

test('the id comes from metadata, parsed labels or the line, request_id first, and short values are ignored', () => {
  assert.deepEqual(correlationOf(row({ structuredMetadata: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' } })), { field: 'trace_id', id: '4bf92f3577b34da6a3ce929d0e0e4736' });
  assert.deepEqual(correlationOf(row({}), [['trace_id', 'trace-000001'], ['request_id', 'req-000042']]), { field: 'request_id', id: 'req-000042' });
  assert.deepEqual(correlationOf(row({ parsed: { requestId: 'abcdef-1' } })), { field: 'requestId', id: 'abcdef-1' });
  assert.equal(correlationOf(row({}), [['request_id', '42']]), undefined);
  assert.equal(correlationOf(row({}), [['user', 'u-000042']]), undefined);
});

test('the link searches every service for the id, quoted, oldest first, 15 minutes either side', () => {
  const href = requestLinesHref({ field: 'request_id', id: 'a"b\\c-123' }, Date.UTC(2026, 11, 5, 12, 0, 0, 400));
  const p = new URL(href, 'http://x').searchParams;
  assert.equal(new URL(href, 'http://x').pathname, '/explore');
  assert.equal(p.get('query'), '{service_name=~".+"} |= "a\\"b\\\\c-123"');
  assert.equal(p.get('from'), '2026-12-05T11:45:00Z');
  assert.equal(p.get('to'), '2026-12-05T12:15:00Z');
  assert.equal(p.get('order'), 'forward');
});
