/** The sources page's reading of the registry (ui/pages/sources/model.ts): trouble first, names, Explore selectors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatLag, matchesFilter, sortSources, sourceHealth, sourceName, streamSelector } from '../../../ui/pages/sources/model.js';
import type { Source } from '../../../ui/pages/sources/types.js';

function src(over: Partial<Source>): Source {
  return {
    agent_id: 'node-a', id: 'docker:aaa', kind: 'docker', container: 'web', container_id: 'aaa', labels: { container: 'web', host: 'node-a' },
    state: 'tailing', lines_read: 10, lines_shipped: 10, bytes_shipped: 900, lines_dropped: 0, lag_seconds: 0,
    first_seen: '2026-12-05T10:00:00Z', last_shipped_at: '2026-12-05T11:00:00Z', updated_at: '2026-12-05T11:00:01Z', stale: false, ...over,
  };
}

test('failing and silent sources need attention, in words', () => {
  assert.deepEqual(sourceHealth(src({ state: 'error', last_error: 'EACCES' })), { attention: 'bad', status: 'failing', why: 'Reading failed: EACCES' });
  assert.equal(sourceHealth(src({ stale: true })).status, 'agent silent');
  assert.equal(sourceHealth(src({ stale: true })).attention, 'bad');
  assert.equal(sourceHealth(src({ state: 'stopped' })).attention, 'warn');
  assert.equal(sourceHealth(src({ lag_seconds: 45 })).status, 'lagging');
  assert.equal(sourceHealth(src({ lines_shipped: 0, last_shipped_at: undefined })).status, 'no line yet');
  assert.equal(sourceHealth(src({ last_error: 'server answered 503' })).status, 'retrying');
  assert.equal(sourceHealth(src({})).attention, 'ok');
  assert.equal(sourceHealth(src({ state: 'finished' })).attention, 'done');
});

test('trouble sorts first, then by name', () => {
  const list = [
    src({ id: 'docker:1', container: 'alpha' }),
    src({ id: 'docker:2', container: 'zulu', state: 'error' }),
    src({ id: 'docker:3', container: 'beta', state: 'finished' }),
    src({ id: 'docker:4', container: 'mike', lines_shipped: 0, last_shipped_at: undefined }),
    src({ id: 'docker:5', container: 'echo' }),
  ];
  assert.deepEqual(sortSources(list).map(sourceName), ['zulu', 'mike', 'alpha', 'echo', 'beta']);
});

test('names and Explore selectors come from what the registry reports', () => {
  const pod = src({ kind: 'kubernetes', namespace: 'shop', pod: 'web-1', container: 'nginx', labels: { namespace: 'shop', pod: 'web-1', container: 'nginx', app: 'web' } });
  assert.equal(sourceName(pod), 'shop/web-1/nginx');
  assert.equal(streamSelector(pod), '{namespace="shop", pod="web-1", container="nginx"}');
  assert.equal(streamSelector(src({})), '{container="web"}');
  const file = src({ kind: 'file', container: undefined, file: '/var/log/app "x".log', labels: { filename: '/var/log/app "x".log', host: 'h' } });
  assert.equal(sourceName(file), '/var/log/app "x".log');
  assert.equal(streamSelector(file), '{filename="/var/log/app \\"x\\".log"}');
  // Relabelled away from the usual names: every label it carries.
  assert.equal(streamSelector(src({ labels: { svc: 'web', env: 'prod' } })), '{env="prod", svc="web"}');
  assert.equal(streamSelector(src({ labels: {} })), undefined);
});

test('the filter matches every word anywhere a person would look', () => {
  const s = src({ image: 'nginx:1.27', labels: { container: 'web', compose_project: 'shop' } });
  assert.ok(matchesFilter(s, ''));
  assert.ok(matchesFilter(s, 'WEB node-a'));
  assert.ok(matchesFilter(s, 'compose_project=shop'));
  assert.ok(matchesFilter(s, 'nginx'));
  assert.ok(!matchesFilter(s, 'web api'));
  assert.ok(matchesFilter(src({ state: 'error' }), 'failing'));
});

test('sizes and lag read short', () => {
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1234), '1.2 kB');
  assert.equal(formatBytes(45_600_000), '46 MB');
  assert.equal(formatLag(0), '—');
  assert.equal(formatLag(0.25), '0.3 s');
  assert.equal(formatLag(45), '45 s');
  assert.equal(formatLag(600), '10 min');
});
