/**
 * A rule that runs past query.timeout (on the real query service and worker pool, over enough lines
 * that the query takes several times the timeout) fails, is counted and logged, and holds up no
 * other group.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createQueryPool, type QueryPool } from '../../../src/query/engine/query-pool.js';
import { createScanner } from '../../../src/query/engine/scanner-factory.js';
import { createQueryService } from '../../../src/query/service.js';
import { createRuleManager } from '../../../src/ruler/manager.js';
import { createLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { alerting, group, InMemoryRuleSource, metricValue, openTestStore, RecordingAlertSink, Registry, T0, type TestStore } from './fixtures.js';

let ts: TestStore;
let pool: QueryPool;

before(async () => {
  ts = await openTestStore();
  const entries = Array.from({ length: 200_000 }, (_, i) => ({ ts: BigInt(T0 - 3_000_000 + i * 10) * 1_000_000n, line: `level=info n=${i} some more text here to scan` }));
  await ts.store.append('fake', [{ labels: { job: 'big' }, entries }]);
  pool = createQueryPool(1);
});

after(async () => {
  await pool.close();
  await ts.close();
});

test('a rule past query.timeout is counted and logged as failed; other groups still run', async () => {
  const query = createQueryService({ store: ts.store, scanner: createScanner(ts.store, pool), pool, limits: { max_entries_limit_per_query: 1000, max_query_series: 100 }, timeoutMs: 30 });
  const lines: string[] = [];
  const log = createLogger({ level: 'warn', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const clock = new ManualClock(T0);
  const registry = new Registry();
  const sink = new RecordingAlertSink();
  const slow = group('fake', 'ns', 'slow', [alerting('Slow', 'sum(count_over_time({job="big"} |~ "n=(1|2)+9$" [1h])) > 0')]);
  const other = group('fake', 'ns', 'other', [alerting('Always', '1 > 0')]);
  const manager = createRuleManager({
    repository: new InMemoryRuleSource([slow, other]),
    query,
    alerts: sink,
    externalUrl: 'http://h',
    stateDir: await mkdtemp(join(tmpdir(), 'ruler-state-')),
    registry,
    log,
    now: clock.now,
    timers: clock,
  });
  await manager.start();
  try {
    await clock.advance(10_000, () => manager.idle());
    const [o, s] = manager.groups();
    assert.equal(s!.group.name, 'slow');
    assert.equal(s!.rules[0]!.health, 'err');
    assert.match(s!.rules[0]!.lastError, /request timed out/);
    assert.equal(await metricValue(registry, 'prometheus_rule_evaluation_failures_total', { tenant: 'fake', rule_group: 'ns;slow' }), 1);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'rule evaluation failed');
    assert.equal(logged?.rule, 'Slow');
    assert.match(String(logged?.err), /request timed out/);
    assert.equal(o!.rules[0]!.health, 'ok');
    assert.deepEqual(o!.rules[0]!.alerts.map((a) => a.labels), [{ alertname: 'Always' }]);
    assert.equal(sink.sent.length, 1);
  } finally {
    await manager.close();
  }
});
