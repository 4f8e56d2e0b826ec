/**
 * The controller's side of the contract (src/fleet/model.ts) with input an agent may send: never a
 * throw, full state asked for when the server does not know the agent or messages were lost, nothing
 * of ours offered to another agent type, nor a Collector's to ours; and a damaged or newer fleet.db moved aside, not fatal.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { createFleet, type Fleet } from '../../../src/fleet/fleet.js';
import { configHash } from '../../../src/fleet/remote-config.js';
import { createLogger } from '../../../src/util/logger.js';
import { SimAgent } from '../../helpers/fleet-agents.js';

const SETTINGS = { staleAfterMs: 30_000, defaultWindowMs: 0, applyTimeoutMs: 60_000 };

function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-fleet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function started(t: TestContext, dir: string, lines: string[] = []): Fleet {
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const fleet = createFleet(SETTINGS, { dataDir: dir, log });
  fleet.start();
  t.after(() => fleet.close());
  return fleet;
}

test('bad or early input is an answer, never a throw', async (t) => {
  const dir = tmp(t);
  const early = createFleet(SETTINGS, { dataDir: dir });
  assert.deepEqual(await early.controller.report({ instanceUid: 'a'.repeat(32), sequenceNum: 1 }), {}, 'before start');
  const fleet = started(t, dir);
  assert.deepEqual(await fleet.controller.report({ instanceUid: 'not-hex', sequenceNum: 1 }), {});
  assert.deepEqual(await fleet.controller.report({ instanceUid: 'A'.repeat(32), sequenceNum: 1 }), {}, 'upper case is not the contract');
  assert.deepEqual(fleet.agents(), []);
});

test('full state is asked for from an unknown agent and after lost messages', async (t) => {
  const fleet = started(t, tmp(t));
  const uid = 'b'.repeat(32);
  assert.equal((await fleet.controller.report({ instanceUid: uid, sequenceNum: 5 })).reportFullState, true, 'first contact without a description');
  const agent = new SimAgent(fleet.controller, { host: 'n1' });
  assert.equal((await agent.hello()).reportFullState, undefined);
  assert.equal((await fleet.controller.report({ instanceUid: agent.uid, sequenceNum: 2 })).reportFullState, undefined, 'the next number');
  assert.equal((await fleet.controller.report({ instanceUid: agent.uid, sequenceNum: 2 })).reportFullState, undefined, 'the same one again');
  assert.equal((await fleet.controller.report({ instanceUid: agent.uid, sequenceNum: 9 })).reportFullState, true, 'a gap');
  // What was not sent this time is kept.
  assert.equal(fleet.agents().find((a) => a.id === agent.uid)!.host, 'n1');
});

test('a Collector is never offered a logwharf-agent configuration', async (t) => {
  const fleet = started(t, tmp(t));
  const ours = new SimAgent(fleet.controller, { host: 'n1' });
  const collector = new SimAgent(fleet.controller, { host: 'n2', type: 'otelcol-contrib' });
  await ours.hello();
  await collector.hello();
  const res = fleet.apply({ name: 'base', body: 'pipeline: {}\n', canary: '100%', author: 't' });
  for (const a of [ours, collector]) await a.heartbeat();
  for (const a of [ours, collector]) await a.heartbeat();
  assert.equal(fleet.rollout(res.rollout!.id).state, 'succeeded');
  assert.equal(fleet.rollout(res.rollout!.id).steps!.length, 1);
  assert.deepEqual(collector.offered, []);
  assert.equal(fleet.agents().find((a) => a.host === 'n2')!.config, '');
});

test('a Collector whose only version failed is offered no file (its local configuration alone); our agents are untouched', async (t) => {
  const dir = tmp(t);
  const fleet = createFleet({ ...SETTINGS, collector: { serverUrl: 'http://logs:3100' } }, { dataDir: dir });
  fleet.start();
  t.after(() => fleet.close());
  const ours = new SimAgent(fleet.controller, { host: 'n1' });
  const collector = new SimAgent(fleet.controller, { host: 'n2', type: 'otelcol-contrib' });
  collector.policy = (body) => (body === '' ? 'apply' : 'fail');
  await ours.hello();
  await collector.hello();
  const res = fleet.apply({ name: 'otel', body: 'kubernetes: {enabled: "true"}\n', selector: 'type=collector', canary: '100%', author: 't' });
  for (const a of [ours, collector]) await a.heartbeat();
  const r = fleet.rollout(res.rollout!.id);
  assert.equal(r.state, 'rolled_back');
  assert.deepEqual(r.steps!.map((s) => s.host), ['n2']);
  await collector.heartbeat();
  assert.equal(collector.rcHash, configHash(''), 'the empty AgentConfigMap (no file) offered and applied');
  assert.equal(collector.rcStatus, 'applied');
  assert.equal(collector.body, '');
  assert.deepEqual(ours.offered, []);
});

test('a fleet.db of schema 1 gains the offered column and keeps its rows', (t) => {
  const dir = tmp(t);
  const path = join(dir, 'fleet.db');
  // A schema 2 file made schema 1 again: no offered column, version 1.
  const before = createFleet(SETTINGS, { dataDir: dir });
  before.start();
  before.apply({ name: 'base', body: 'pipeline: {}\n', author: 't' });
  before.close();
  const db = new Database(path);
  db.exec('ALTER TABLE versions DROP COLUMN offered; UPDATE schema_version SET version = 1;');
  db.close();
  const lines: string[] = [];
  const fleet = started(t, dir, lines);
  assert.equal(fleet.versionBody('base', 1), 'pipeline: {}\n');
  assert.doesNotMatch(lines.join(''), /unusable/);
});

test('a damaged fleet.db, or one of a newer schema, is moved aside and the server starts empty', async (t) => {
  for (const damage of ['garbage', 'newer'] as const) {
    await t.test(damage, (t2) => {
      const dir = tmp(t2);
      const path = join(dir, 'fleet.db');
      if (damage === 'garbage') writeFileSync(path, Buffer.alloc(8192, 0x5a));
      else {
        const db = new Database(path);
        db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99);');
        db.close();
      }
      const lines: string[] = [];
      const fleet = started(t2, dir, lines);
      assert.deepEqual(fleet.agents(), []);
      const aside = readdirSync(dir).filter((f) => f.startsWith('fleet.db.corrupt-') && !f.endsWith('-wal') && !f.endsWith('-shm'));
      assert.equal(aside.length, 1, readdirSync(dir).join(' '));
      assert.ok(existsSync(path));
      assert.match(lines.join(''), /fleet database is unusable; moved it aside/);
    });
  }
});
