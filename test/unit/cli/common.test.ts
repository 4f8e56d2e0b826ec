import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientFrom, rangeFlags, timeFlag } from '../../../src/cli/common.js';
import { UsageError } from '../../../src/cli/io.js';

const S = 1_000_000_000n;
const NOW = 1_700_000_000n * S;

test('time flags: now, now-D (Prometheus or Go durations), RFC 3339, Unix seconds', () => {
  assert.equal(timeFlag('from', 'now', NOW), NOW);
  assert.equal(timeFlag('from', 'now-7d', NOW), NOW - 7n * 86_400n * S);
  assert.equal(timeFlag('from', 'now-90m', NOW), NOW - 5_400n * S);
  assert.equal(timeFlag('from', 'now-1.5h', NOW), NOW - 5_400n * S);
  assert.equal(timeFlag('from', '2023-11-14T22:13:20Z', NOW), NOW);
  assert.equal(timeFlag('from', '1700000000', NOW), NOW);
  assert.throws(() => timeFlag('from', 'now-', NOW), (e: unknown) => e instanceof UsageError && /--from: "now-" is not a time: after "now-" comes a duration/.test(e.message));
  assert.throws(() => timeFlag('to', 'now-soon', NOW), UsageError);
  assert.throws(() => timeFlag('to', 'yesterday', NOW), /now-D such as now-7d/);
  assert.deepEqual(rangeFlags({ from: 'now-2h', to: 'now-1h' }, NOW, 3600n * S), { start: NOW - 7200n * S, end: NOW - 3600n * S });
});

test('--org-id is logcli\'s name for --tenant', () => {
  assert.equal(clientFrom({ addr: 'http://127.0.0.1:1', 'org-id': 'team-a' }).headers()['X-Scope-OrgID'], 'team-a');
  assert.equal(clientFrom({ addr: 'http://127.0.0.1:1', tenant: 'team-a', 'org-id': 'team-a' }).headers()['X-Scope-OrgID'], 'team-a');
  assert.throws(() => clientFrom({ addr: 'http://127.0.0.1:1', tenant: 'a', 'org-id': 'b' }), (e: unknown) => e instanceof UsageError && /--tenant and --org-id/.test(e.message));
});
