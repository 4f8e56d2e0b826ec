/** The Overview's shaping of query answers: error rate per service, volume per service, links' queries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorRates, patternQuery, readRange, serviceVolumes, serviceQuery, formatBytes } from '../../../ui/pages/overview/overview-data.js';
import { volumeGrid } from '../../../ui/pages/explore/volume.js';

test('error rate per service folds level aliases and sorts by rate, then volume', () => {
  const v = (service_name: string, detected_level: string, n: number) => ({ metric: { service_name, detected_level }, value: [0, String(n)] as [number, string] });
  const rows = errorRates([v('shop', 'info', 7), v('shop', 'error', 3), v('auth', 'info', 3), v('auth', 'fatal', 1), v('quiet', 'info', 50)]);
  assert.deepEqual(
    rows.map((r) => [r.service, r.lines, r.errors, r.rate]),
    [['shop', 10, 3, 0.3], ['auth', 4, 1, 0.25], ['quiet', 50, 0, 0]],
  );
});

test('volume per service lays each service on the grid, stacked by level, busiest first', () => {
  const grid = volumeGrid(0, 180_000, 60_000);
  const rows = serviceVolumes(
    [
      { metric: { service_name: 'a', detected_level: 'info' }, values: [[60, '2'], [120, '1']] },
      { metric: { service_name: 'b', detected_level: 'error' }, values: [[120, '5']] },
      { metric: { service_name: 'b', detected_level: 'info' }, values: [[180, '1']] },
    ],
    grid,
  );
  assert.deepEqual(rows.map((r) => [r.service, r.volume.total]), [['b', 6], ['a', 3]]);
  assert.deepEqual(rows[0]!.volume.levels.map((l) => [l.level, l.counts, l.total]), [['error', [0, 5, 0], 5], ['info', [0, 0, 1], 1]]);
});

test('volume per service takes its totals from the exact instant counts when given, so it agrees with the error-rate panel', () => {
  const grid = volumeGrid(60_000, 180_000, 60_000);
  const series = [{ metric: { service_name: 'a', detected_level: 'info' }, values: [[60, '2'], [120, '1']] as Array<[number, string]> }];
  const exact = [{ metric: { service_name: 'a', detected_level: 'info' }, value: [180, '2'] as [number, string] }];
  const [a] = serviceVolumes(series, grid, exact);
  assert.equal(a!.volume.total, 2);
  assert.deepEqual(a!.volume.levels.map((l) => [l.level, l.counts, l.total]), [['info', [1, 0], 2]]);
});

test("links' queries: a service as a selector, a pattern as a |> filter; the range from the URL", () => {
  assert.equal(serviceQuery('sh"op'), '{service_name="sh\\"op"}');
  assert.equal(patternQuery('level=info msg="<_>"'), '{service_name=~".+"} |> "level=info msg=\\"<_>\\""');
  assert.equal(readRange(new URLSearchParams('range=6h')), '6h');
  assert.equal(readRange(new URLSearchParams('range=2y')), '1h');
  assert.equal(formatBytes(74313), '72.6 KiB');
});
