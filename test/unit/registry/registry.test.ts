import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { createRegistry, PRUNE_AFTER_MS, type SourcesRegistry } from '../../../src/registry/registry.js';
import { registerRegistryMetrics } from '../../../src/registry/metrics.js';
import { createLogger } from '../../../src/util/logger.js';
import type { SourceReport, SourceStatus } from '../../../src/api/sources.js';

/** The tenant of every report here (the default one); tenant isolation has its own test. */
const T = 'fake';
const T0 = Date.parse('2026-11-23T12:00:00Z');

function setup(t: { after(fn: () => void): void }, staleAfterMs = 30_000) {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-registry-'));
  const clock = { now: T0 };
  const opened: SourcesRegistry[] = [];
  const open = (log?: ReturnType<typeof createLogger>) => {
    const r = createRegistry({ path: join(dir, 'registry.db'), staleAfterMs, now: () => clock.now, log });
    opened.push(r);
    return r;
  };
  t.after(() => {
    for (const r of opened) r.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, clock, open };
}

function docker(id: string, over: Partial<SourceStatus> = {}): SourceStatus {
  return {
    id: `docker:${id}`,
    kind: 'docker',
    node: 'host-a',
    container: `c-${id}`,
    container_id: id,
    image: 'busybox:1',
    file: `/var/lib/docker/containers/${id}/${id}-json.log`,
    labels: { container: `c-${id}`, host: 'host-a' },
    state: 'tailing',
    lines_read: 10,
    lines_shipped: 10,
    bytes_shipped: 400,
    lines_dropped: 0,
    lag_seconds: 0,
    first_seen: '2026-11-23T11:00:00.000Z',
    ...over,
  };
}

function pod(ns: string, name: string, container: string, n: number, over: Partial<SourceStatus> = {}): SourceStatus {
  return {
    id: `k8s:uid-${ns}-${name}/${container}/${n}`,
    kind: 'kubernetes',
    namespace: ns,
    pod: name,
    container,
    node: 'node-1',
    file: `/var/log/pods/${ns}_${name}_uid/${container}/${n}.log`,
    labels: { namespace: ns, pod: name, container },
    state: 'tailing',
    lines_read: 5,
    lines_shipped: 5,
    bytes_shipped: 100,
    lines_dropped: 0,
    lag_seconds: 0,
    first_seen: '2026-11-23T11:00:00.000Z',
    ...over,
  };
}

function report(agentId: string, sources: SourceStatus[]): SourceReport {
  return { agent: { id: agentId, host: `${agentId}.local`, version: '0.1.0', started_at: '2026-11-23T10:00:00.000Z' }, sources };
}

test('a report is stored and listed with every field; a second report updates in place', (t) => {
  const { open, clock } = setup(t);
  const reg = open();
  reg.report(T, report('a1', [docker('aaa', { last_error: 'boom', last_shipped_at: '2026-11-23T11:59:59.000Z' }), docker('bbb')]));
  let data = reg.list(T);
  assert.equal(data.sources.length, 2);
  const a = data.sources[0]!;
  assert.equal(a.agent_id, 'a1');
  assert.equal(a.id, 'docker:aaa');
  assert.equal(a.last_error, 'boom');
  assert.equal(a.last_shipped_at, '2026-11-23T11:59:59.000Z');
  assert.deepEqual(a.labels, { container: 'c-aaa', host: 'host-a' });
  assert.equal(a.updated_at, new Date(T0).toISOString());
  assert.equal(a.stale, false);
  assert.equal('pod' in data.sources[1]!, false, 'absent optional fields stay absent, not null');
  assert.deepEqual(data.agents, [
    { id: 'a1', host: 'a1.local', version: '0.1.0', started_at: '2026-11-23T10:00:00.000Z', last_report_at: new Date(T0).toISOString(), stale: false },
  ]);

  clock.now += 10_000;
  reg.report(T, report('a1', [docker('aaa', { lines_read: 99, lines_shipped: 98, state: 'draining' }), docker('bbb')]));
  data = reg.list(T);
  assert.equal(data.sources.length, 2, 'upsert, not a second row');
  assert.equal(data.sources[0]!.lines_read, 99);
  assert.equal(data.sources[0]!.state, 'draining');
  assert.equal(data.sources[0]!.last_error, undefined, 'a cleared error is cleared');
  assert.equal(data.sources[0]!.updated_at, new Date(T0 + 10_000).toISOString());
});

test('sources missing from an agent\'s report are marked finished; other agents\' sources are untouched', (t) => {
  const { open, clock } = setup(t);
  const reg = open();
  reg.report(T, report('a1', [docker('aaa'), docker('bbb')]));
  reg.report(T, report('a2', [docker('ccc')]));
  clock.now += 1000;
  reg.report(T, report('a1', [docker('aaa')]));
  const byId = new Map(reg.list(T).sources.map((s) => [s.id, s]));
  assert.equal(byId.get('docker:aaa')!.state, 'tailing');
  assert.equal(byId.get('docker:bbb')!.state, 'finished');
  assert.equal(byId.get('docker:bbb')!.updated_at, new Date(T0).toISOString(), 'updated_at is the last report that mentioned it');
  assert.equal(byId.get('docker:ccc')!.state, 'tailing');
  // Same clock instant: marking does not depend on time moving forward.
  reg.report(T, report('a2', []));
  assert.equal(reg.list(T, { agent: 'a2' }).sources[0]!.state, 'finished');
  // A source that comes back is revived.
  reg.report(T, report('a1', [docker('aaa'), docker('bbb')]));
  assert.equal(reg.list(T, { state: 'finished' }).sources.length, 1);
});

test('agents that stop reporting become stale, with their sources, after staleAfterMs', (t) => {
  const { open, clock } = setup(t, 30_000);
  const reg = open();
  reg.report(T, report('a1', [docker('aaa')]));
  reg.report(T, report('a2', [docker('bbb')]));
  clock.now += 30_000;
  reg.report(T, report('a2', [docker('bbb')]));
  assert.equal(reg.list(T).agents.find((a) => a.id === 'a1')!.stale, false, 'exactly staleAfterMs is not yet stale');
  clock.now += 1;
  const data = reg.list(T);
  assert.deepEqual(data.agents.map((a) => [a.id, a.stale]), [['a1', true], ['a2', false]]);
  assert.deepEqual(data.sources.map((s) => [s.id, s.stale]), [['docker:aaa', true], ['docker:bbb', false]]);
  reg.report(T, report('a1', [docker('aaa')]));
  assert.equal(reg.list(T, { agent: 'a1' }).agents[0]!.stale, false, 'a new report clears it');
});

test('an agent that stops cleanly shows stopped, not stale, and its next report resumes it', (t) => {
  const { open, clock } = setup(t, 30_000);
  const reg = open();
  reg.report(T, report('a1', [docker('aaa'), docker('bbb', { state: 'draining' }), docker('ccc', { state: 'finished' })]));
  reg.report(T, { ...report('a1', [docker('aaa'), docker('bbb', { state: 'draining' }), docker('ccc', { state: 'finished' })]), stopping: true });
  const stoppedAt = new Date(clock.now).toISOString();
  clock.now += 60 * 60 * 1000;
  const data = reg.list(T);
  assert.deepEqual(data.agents.map((a) => [a.id, a.stale, a.stopped_at]), [['a1', false, stoppedAt]]);
  assert.deepEqual(data.sources.map((s) => [s.id, s.state, s.stale]), [['docker:aaa', 'stopped', false], ['docker:bbb', 'stopped', false], ['docker:ccc', 'finished', false]]);
  assert.deepEqual(reg.list(T, { state: 'stopped' }).sources.map((s) => s.id), ['docker:aaa', 'docker:bbb']);
  reg.report(T, report('a1', [docker('aaa')]));
  const again = reg.list(T);
  assert.equal(again.agents[0]!.stopped_at, undefined);
  assert.equal(again.sources.find((s) => s.id === 'docker:aaa')!.state, 'tailing');
});

test('tenants are isolated: each reads only its own agents and sources, and cannot overwrite another\'s', (t) => {
  const { open } = setup(t);
  const reg = open();
  reg.report('team-a', report('node-1', [docker('aaa')]));
  reg.report('team-b', report('node-1', [docker('bbb', { lines_shipped: 0 })]));
  assert.deepEqual(reg.list('team-a').sources.map((s) => s.id), ['docker:aaa']);
  assert.deepEqual(reg.list('team-b').sources.map((s) => s.id), ['docker:bbb']);
  assert.equal(reg.list('team-a').coverage.ratio, 1);
  assert.equal(reg.list('team-b').coverage.ratio, 0);
  assert.deepEqual(reg.list('team-c'), { sources: [], agents: [], coverage: { containers_seen: 0, containers_with_logs: 0, containers_silent: 0, ratio: 1 } });
  // team-b's report of the same agent id finished nothing of team-a's.
  assert.equal(reg.list('team-a').sources[0]!.state, 'tailing');
});

test('a registry.db of schema version 1 (no tenants) is migrated: its rows belong to the default tenant', (t) => {
  const { open, dir } = setup(t);
  const db = new Database(join(dir, 'registry.db'));
  // The version-1 layout as released (issue #4), with one agent and one source.
  db.exec(`
    CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
    CREATE TABLE agents (id TEXT PRIMARY KEY, host TEXT NOT NULL, version TEXT NOT NULL, started_at TEXT NOT NULL,
      last_report_ms INTEGER NOT NULL, report_seq INTEGER NOT NULL);
    CREATE TABLE sources (agent_id TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL, node TEXT,
      container TEXT, container_id TEXT, pod TEXT, namespace TEXT, image TEXT, file TEXT, labels TEXT NOT NULL,
      lines_read INTEGER NOT NULL, lines_shipped INTEGER NOT NULL, bytes_shipped INTEGER NOT NULL, lines_dropped INTEGER NOT NULL,
      lag_seconds REAL NOT NULL, last_error TEXT, first_seen TEXT NOT NULL, last_shipped_at TEXT, updated_ms INTEGER NOT NULL,
      finished_ms INTEGER, seen_seq INTEGER NOT NULL, ever_read INTEGER NOT NULL, ever_shipped INTEGER NOT NULL,
      PRIMARY KEY (agent_id, id));
    CREATE INDEX sources_finished ON sources (finished_ms) WHERE finished_ms IS NOT NULL;
  `);
  db.prepare('INSERT INTO agents VALUES (?, ?, ?, ?, ?, ?)').run('old-node', 'old-node.local', '0.1.0', '2026-11-23T10:00:00.000Z', T0, 3);
  db.prepare(`INSERT INTO sources VALUES ('old-node', 'docker:old', 'docker', 'tailing', 'old-node', 'web', 'old', NULL, NULL, 'nginx', NULL,
    '{"container":"web"}', 4, 4, 40, 0, 0, NULL, '2026-11-23T11:00:00.000Z', NULL, ?, NULL, 3, 1, 1)`).run(T0);
  db.close();
  const reg = open();
  const data = reg.list(T);
  assert.deepEqual(data.agents.map((a) => a.id), ['old-node']);
  assert.deepEqual(data.sources.map((s) => [s.id, s.container, s.lines_shipped, s.labels]), [['docker:old', 'web', 4, { container: 'web' }]]);
  assert.deepEqual(reg.list('team-a').sources, []);
  // The agent's next report continues the same rows (its sequence carried over), nothing is moved aside.
  reg.report(T, report('old-node', [docker('old')]));
  assert.equal(reg.list(T).sources.length, 1);
  assert.equal(readdirSync(dir).filter((f) => f.includes('corrupt')).length, 0);
});

test('filters by state, kind, agent, namespace and container; coverage follows the filter', (t) => {
  const { open } = setup(t);
  const reg = open();
  reg.report(T, report('a1', [docker('aaa'), docker('bbb', { state: 'error', lines_shipped: 0, lines_read: 3 }), { ...docker('f'), id: 'file:/var/log/syslog', kind: 'file', container: undefined, container_id: undefined }]));
  reg.report(T, report('a2', [pod('prod', 'web-1', 'nginx', 0), pod('dev', 'web-1', 'nginx', 0)]));
  const ids = (f: Parameters<SourcesRegistry['list']>[1]) => reg.list(T, f).sources.map((s) => s.id);
  assert.deepEqual(ids({ state: 'error' }), ['docker:bbb']);
  assert.deepEqual(ids({ kind: 'file' }), ['file:/var/log/syslog']);
  assert.deepEqual(ids({ agent: 'a2' }), ['k8s:uid-dev-web-1/nginx/0', 'k8s:uid-prod-web-1/nginx/0']);
  assert.deepEqual(reg.list(T, { agent: 'a2' }).agents.map((a) => a.id), ['a2']);
  assert.deepEqual(reg.list(T, { namespace: 'prod' }).sources.map((s) => s.namespace), ['prod']);
  assert.deepEqual(ids({ container: 'c-aaa' }), ['docker:aaa']);
  assert.deepEqual(ids({ kind: 'docker', state: 'tailing' }), ['docker:aaa']);
  assert.deepEqual(ids({ agent: 'nobody' }), []);
  assert.equal(reg.list(T, { state: 'error' }).coverage.ratio, 0, 'the one errored container read lines and shipped none');
  assert.equal(reg.list(T).coverage.containers_seen, 4, 'files are not containers');
});

test('coverage counts containers once, and tells seen, with logs and silent apart', (t) => {
  const { open } = setup(t);
  const reg = open();
  reg.report(
    T,
    report('a1', [
      docker('aaa'), // with logs
      docker('bbb', { lines_read: 0, lines_shipped: 0, bytes_shipped: 0 }), // silent
      docker('ccc', { lines_read: 7, lines_shipped: 0, bytes_shipped: 0 }), // read but nothing arrived: a gap
      pod('prod', 'api-1', 'app', 0, { state: 'finished' }), // one container, restarted: two files
      pod('prod', 'api-1', 'app', 1, { lines_read: 0, lines_shipped: 0 }),
    ]),
  );
  // A second agent seeing the same Docker container does not count it twice.
  reg.report(T, report('a2', [docker('aaa', { node: 'host-b' })]));
  const c = reg.list(T).coverage;
  assert.deepEqual(c, { containers_seen: 4, containers_with_logs: 2, containers_silent: 1, ratio: 2 / 3 });
  assert.deepEqual(reg.summary().coverage, c);
});

test('coverage with nothing to collect is 1, and an agent restart (counters back to 0) keeps a container covered', (t) => {
  const { open } = setup(t);
  const reg = open();
  assert.deepEqual(reg.list(T).coverage, { containers_seen: 0, containers_with_logs: 0, containers_silent: 0, ratio: 1 });
  reg.report(T, report('a1', [docker('aaa', { lines_read: 0, lines_shipped: 0 })]));
  assert.deepEqual(reg.list(T).coverage, { containers_seen: 1, containers_with_logs: 0, containers_silent: 1, ratio: 1 });
  reg.report(T, report('a1', [docker('aaa')]));
  reg.report(T, report('a1', [docker('aaa', { lines_read: 0, lines_shipped: 0, bytes_shipped: 0 })]));
  assert.deepEqual(reg.list(T).coverage, { containers_seen: 1, containers_with_logs: 1, containers_silent: 0, ratio: 1 });
});

test('finished sources are pruned after 24 h, and agents silent for 24 h go with their sources', (t) => {
  const { open, clock } = setup(t);
  const reg = open();
  reg.report(T, report('a1', [docker('aaa'), docker('bbb')]));
  reg.report(T, report('gone', [docker('ccc')]));
  clock.now += 1000;
  reg.report(T, report('a1', [docker('aaa')])); // bbb finished now
  clock.now += PRUNE_AFTER_MS - 1000;
  reg.report(T, report('a1', [docker('aaa')]));
  assert.deepEqual(reg.list(T).sources.map((s) => s.id), ['docker:aaa', 'docker:bbb', 'docker:ccc'], 'not yet 24 h');
  clock.now += 1001;
  const data = reg.list(T);
  assert.deepEqual(data.sources.map((s) => s.id), ['docker:aaa']);
  assert.deepEqual(data.agents.map((a) => a.id), ['a1']);
  assert.equal(reg.summary().byState.finished, 0);
});

test('closing and reopening keeps everything', (t) => {
  const { open, clock } = setup(t);
  const first = open();
  first.report(T, report('a1', [docker('aaa'), pod('prod', 'p', 'c', 0)]));
  const before = first.list(T);
  first.close();
  const again = open();
  assert.deepEqual(again.list(T), before);
  // The agent's report sequence survives too: missing sources are still detected after a reopen.
  clock.now += 1;
  again.report(T, report('a1', [docker('aaa')]));
  assert.equal(again.list(T, { kind: 'kubernetes' }).sources[0]!.state, 'finished');
});

test('a corrupt registry file is moved aside with a warning and an empty registry starts', (t) => {
  const { open, dir } = setup(t);
  writeFileSync(join(dir, 'registry.db'), Buffer.alloc(8192, 'not a database at all '));
  const lines: string[] = [];
  const log = createLogger({ level: 'warn', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const reg = open(log);
  assert.deepEqual(reg.list(T).sources, []);
  reg.report(T, report('a1', [docker('aaa')]));
  assert.equal(reg.list(T).sources.length, 1);
  const aside = readdirSync(dir).filter((f) => f.startsWith('registry.db.corrupt-'));
  assert.equal(aside.length, 1);
  assert.match(readFileSync(join(dir, aside[0]!), 'utf8'), /not a database/, 'the old file is kept for inspection');
  assert.equal(lines.length, 1);
  const warning = JSON.parse(lines[0]!) as { level: string; msg: string; moved_to: string };
  assert.equal(warning.level, 'warn');
  assert.match(warning.msg, /unusable; moved it aside/);
  assert.equal(warning.moved_to, join(dir, aside[0]!));
});

test('a registry written by a newer schema version is moved aside too', (t) => {
  const { open, dir } = setup(t);
  const db = new Database(join(dir, 'registry.db'));
  db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99);');
  db.close();
  const reg = open();
  reg.report(T, report('a1', [docker('aaa')]));
  assert.equal(reg.list(T).sources.length, 1);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('registry.db.corrupt-')).length, 1);
});

test('the file is in WAL mode with a schema version', (t) => {
  const { open, dir } = setup(t);
  open().close();
  const db = new Database(join(dir, 'registry.db'), { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(db.prepare('SELECT version FROM schema_version').all(), [{ version: 2 }]);
});

test('metrics: sources by state and the coverage ratio', async (t) => {
  const { open } = setup(t);
  const reg = open();
  const prom = new Registry();
  let current: SourcesRegistry | undefined;
  registerRegistryMetrics(prom, () => current);
  assert.doesNotMatch(await prom.metrics(), /logwharf_registry_sources\{/, 'nothing before the registry opens');
  current = reg;
  reg.report(T, report('a1', [docker('aaa'), docker('bbb', { state: 'error', lines_shipped: 0 }), docker('ccc', { state: 'finished' })]));
  const text = await prom.metrics();
  assert.match(text, /logwharf_registry_sources\{state="tailing"\} 1\n/);
  assert.match(text, /logwharf_registry_sources\{state="error"\} 1\n/);
  assert.match(text, /logwharf_registry_sources\{state="finished"\} 1\n/);
  assert.match(text, /logwharf_registry_sources\{state="draining"\} 0\n/);
  assert.match(text, /logwharf_registry_coverage_ratio 0\.6666/);
});
