/** Zooming from a chart writes whole-second RFC 3339 times into the URL, at least one second apart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoSeconds, zoomTo } from '../../../ui/pages/explore/zoom.js';

test('a zoom range is whole seconds in RFC 3339, never empty', () => {
  assert.equal(isoSeconds(1796430000.4), '2026-12-05T00:20:00Z');
  assert.equal(isoSeconds(1796430000.6), '2026-12-05T00:20:01Z');
  const patches: unknown[] = [];
  zoomTo((p: unknown) => patches.push(p), 1796430000.2, 1796430000.3);
  assert.deepEqual(patches, [{ from: '2026-12-05T00:20:00Z', to: '2026-12-05T00:20:01Z' }]);
});
