/** New trace and span ids come from a refilled pool of random bytes: valid, and never repeated across refills. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSpanId, newTraceId } from '../../../src/kit/context.js';

test('trace and span ids are lower-case hex of the W3C lengths and distinct over several pool refills', () => {
  const traces = new Set<string>();
  const spans = new Set<string>();
  // 4 KiB pool: 2,000 of each id use 48,000 bytes, about twelve refills.
  for (let i = 0; i < 2000; i++) {
    const t = newTraceId();
    const s = newSpanId();
    assert.match(t, /^[0-9a-f]{32}$/);
    assert.match(s, /^[0-9a-f]{16}$/);
    traces.add(t);
    spans.add(s);
  }
  assert.equal(traces.size, 2000);
  assert.equal(spans.size, 2000);
});
