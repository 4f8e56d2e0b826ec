/**
 * The notifier's pure parts against Alertmanager's behaviour: fingerprints equal to a real
 * Alertmanager's, its matcher syntax and anchoring, alert defaults and merging, silence states and
 * updates, deduplication decisions, and damaged state files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readdirSync } from 'node:fs';
import { fingerprint } from '../../../src/notify/fingerprint.js';
import { parseFilter, fromSilenceMatcher } from '../../../src/notify/matchers.js';
import { acceptAlert, mergeAlert, RESOLVE_TIMEOUT_MS } from '../../../src/notify/alerts.js';
import { parsePostableSilence, Silences, silenceState, SILENCE_RETENTION_MS } from '../../../src/notify/silences.js';
import { needsUpdate } from '../../../src/notify/nflog.js';
import { loadStates, stateFile, encodeState } from '../../../src/notify/state-file.js';
import { removeDir, tempDir } from '../../e2e/helpers/server.js';
import { LogwharfError } from '../../../src/api/errors.js';

const T = Date.parse('2026-03-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

test('fingerprints equal those of Alertmanager 0.25 for the same labels', () => {
  // Read from a real Alertmanager's GET /api/v2/alerts after posting these labels.
  assert.equal(fingerprint({ alertname: 'A', sev: 'x' }), 'a95a76968dc9254d');
  assert.equal(fingerprint({ sev: 'x', alertname: 'A' }), 'a95a76968dc9254d', 'label order does not matter');
  assert.notEqual(fingerprint({ alertname: 'A', sev: 'y' }), fingerprint({ alertname: 'A', sev: 'x' }));
});

test('filter matchers: quoted and unquoted values, lists in braces, regexes anchored', () => {
  const [a, b] = parseFilter('{alertname="Disk Full", severity=~"crit|warn"}');
  assert.equal(a!.test({ alertname: 'Disk Full' }), true);
  assert.equal(b!.test({ severity: 'crit' }), true);
  assert.equal(b!.test({ severity: 'critical' }), false, 'regexes are anchored');
  const [c] = parseFilter('instance!=host1');
  assert.equal(c!.test({ instance: 'host2' }), true);
  assert.equal(c!.test({}), true, 'a missing label is the empty string');
  const [d] = parseFilter('x!~"a.*"');
  assert.equal(d!.test({ x: 'abc' }), false);
  assert.equal(parseFilter('msg="a \\"quoted\\" b"')[0]!.value, 'a "quoted" b');
  for (const bad of ['', '{a="b"', '=x', 'a', 'a="b"x', 'a="b" c="d"', 'a="unterminated', 'a=~"("']) {
    assert.throws(() => parseFilter(bad), (e: unknown) => e instanceof LogwharfError && e.status === 400, bad);
  }
  // Alertmanager does not let `.` match a newline (no (?s), unlike Prometheus' matchers).
  assert.equal(fromSilenceMatcher({ name: 'm', value: 'a.b', isRegex: true }).test({ m: 'a\nb' }), false);
});

test('posted alerts get Alertmanager defaults and are refused with the reason', () => {
  const a = acceptAlert({ labels: { alertname: 'X' } }, 0, T);
  assert.equal(a.startsAt, T);
  assert.equal(a.endsAt, T + RESOLVE_TIMEOUT_MS);
  assert.equal(a.timeout, true);
  const b = acceptAlert({ labels: { alertname: 'X' }, endsAt: iso(T - 1000) }, 0, T);
  assert.equal(b.startsAt, T - 1000, 'without startsAt an alert starts at its end');
  const bad: Array<[unknown, RegExp]> = [
    [{ labels: {} }, /at least one label pair required/],
    [{}, /at least one label pair required/],
    [{ labels: { 'bad-name': 'x' } }, /invalid label name/],
    [{ labels: { a: 1 } }, /must be a string/],
    [{ labels: { a: 'b' }, startsAt: 'yesterday' }, /not an RFC 3339 time/],
    [{ labels: { a: 'b' }, startsAt: iso(T), endsAt: iso(T - 1) }, /start time must be before end time/],
    ['x', /not an object/],
  ];
  for (const [raw, why] of bad) assert.throws(() => acceptAlert(raw, 3, T), (e: unknown) => e instanceof LogwharfError && why.test(e.message) && /alert 3/.test(e.message));
});

test('merging keeps the earliest start, and an explicit end wins over a timed-out one', () => {
  const first = acceptAlert({ labels: { a: 'b' }, startsAt: iso(T) }, 0, T);
  const again = acceptAlert({ labels: { a: 'b' }, startsAt: iso(T + 60_000) }, 0, T + 60_000);
  const m = mergeAlert(first, again, T + 60_000);
  assert.equal(m.startsAt, T);
  assert.equal(m.endsAt, T + 60_000 + RESOLVE_TIMEOUT_MS);
  const resolved = acceptAlert({ labels: { a: 'b' }, endsAt: iso(T + 90_000) }, 0, T + 90_000);
  const r = mergeAlert(m, resolved, T + 90_000);
  assert.equal(r.endsAt, T + 90_000);
  assert.equal(r.startsAt, T);
});

test('silences: states, update in place or replace, expiry, retention', () => {
  const s = new Silences();
  const body = (start: number, end: number, value = 'Disk') => parsePostableSilence({ matchers: [{ name: 'alertname', value, isRegex: false }], startsAt: iso(start), endsAt: iso(end), createdBy: 'me', comment: 'why' });
  const id = s.set(body(T + 60_000, T + 120_000), T);
  assert.equal(silenceState(s.get(id)!, T), 'pending');
  assert.equal(silenceState(s.get(id)!, T + 60_000), 'active');
  assert.deepEqual(s.silencing({ alertname: 'Disk' }, T + 60_000), [id]);
  assert.deepEqual(s.silencing({ alertname: 'Disk' }, T), [], 'a pending silence mutes nothing');
  // Longer end, same matchers: same id.
  assert.equal(s.set({ ...body(T + 60_000, T + 180_000), id }, T), id);
  assert.equal(s.get(id)!.endsAt, T + 180_000);
  // Other matchers: a new silence, the old one expired.
  const id2 = s.set({ ...body(T, T + 180_000, 'Cpu'), id }, T + 1);
  assert.notEqual(id2, id);
  assert.equal(silenceState(s.get(id)!, T + 1), 'expired');
  s.expire(id, T + 2);
  assert.equal(s.get(id)!.endsAt, T + 1, 'expiring an expired silence changes nothing');
  assert.throws(() => s.set({ ...body(T, T + 180_000), id: '00000000-0000-0000-0000-000000000000' }, T), /not found/);
  assert.throws(() => s.set(body(T - 2000, T - 1000), T), /end time can't be in the past/);
  s.expire(id2, T + 5);
  assert.equal(s.gc(T + 1 + SILENCE_RETENTION_MS), false, 'kept for the retention');
  assert.equal(s.gc(T + 2 + SILENCE_RETENTION_MS), true);
  assert.deepEqual(s.list().map((x) => x.id), [id2]);
  assert.equal(s.gc(T + 6 + SILENCE_RETENTION_MS), true);
  assert.equal(s.list().length, 0);
  assert.throws(() => parsePostableSilence({ matchers: [{ name: 'a', value: '.*', isRegex: true }], startsAt: iso(T), endsAt: iso(T + 1), createdBy: '', comment: '' }), /must not match the empty string/);
  assert.throws(() => parsePostableSilence({ matchers: [], startsAt: iso(T), endsAt: iso(T + 1), createdBy: '', comment: '' }), /at least 1 items/);
  assert.throws(() => parsePostableSilence({ matchers: [{ name: 'a', value: 'b', isRegex: false }], startsAt: iso(T), endsAt: iso(T), createdBy: '', comment: '' }), /start time must be before end time/);
});

test('deduplication decides as Alertmanager does', () => {
  const set = (...x: string[]) => new Set(x);
  assert.equal(needsUpdate(undefined, set(), set('r'), true, 1000, T), false, 'only resolved, never notified: nothing');
  assert.equal(needsUpdate(undefined, set('a'), set(), true, 1000, T), true);
  const e = { firing: ['a'], resolved: [], at: T };
  assert.equal(needsUpdate(e, set('a'), set(), true, 1000, T + 999), false);
  assert.equal(needsUpdate(e, set('a'), set(), true, 1000, T + 1000), true, 'repeat interval passed');
  assert.equal(needsUpdate(e, set('a', 'b'), set(), true, 1000, T + 1), true, 'a new firing alert');
  assert.equal(needsUpdate(e, set(), set('a'), false, 1000, T + 1), true, 'all resolved clears the log even without send_resolved');
  assert.equal(needsUpdate({ firing: ['a', 'b'], resolved: [], at: T }, set('a'), set('b'), true, 1000, T + 1), true);
  assert.equal(needsUpdate({ firing: ['a', 'b'], resolved: [], at: T }, set('a'), set('b'), false, 1000, T + 1), false);
});

test('a damaged state file is moved aside and reported; a good one loads', () => {
  const dir = tempDir('notify-state-');
  try {
    loadStates(dir, () => assert.fail('nothing to report'));
    writeFileSync(stateFile(dir, 'good'), encodeState({ alerts: [], silences: [], nflog: [['k', { firing: ['a'], resolved: [], at: T }]] }));
    writeFileSync(stateFile(dir, 'bad'), '{"version":1,"alerts":[{"half');
    writeFileSync(stateFile(dir, 'odd'), JSON.stringify({ version: 1, alerts: [{ labels: 'no' }], silences: [], nflog: [] }));
    writeFileSync(stateFile(dir, 'good') + '.tmp', '{"half a write');
    const damaged: string[] = [];
    const loaded = loadStates(dir, (file) => damaged.push(file));
    assert.deepEqual(loaded.map((l) => l.tenant), ['good']);
    assert.deepEqual(damaged.sort(), [stateFile(dir, 'bad'), stateFile(dir, 'odd')]);
    assert.equal(readdirSync(`${dir}/notify`).filter((f) => f.includes('.damaged-')).length, 2);
    assert.equal(readdirSync(`${dir}/notify`).filter((f) => f.endsWith('.tmp')).length, 0, 'a crashed write is removed');
  } finally {
    removeDir(dir);
  }
});

test("Go's zero time, as amtool sends it for an unset time, means unset", () => {
  const a = acceptAlert({ labels: { a: 'b' }, startsAt: '0001-01-01T00:00:00.000Z', endsAt: '0001-01-01T00:00:00Z' }, 0, T);
  assert.equal(a.startsAt, T);
  assert.equal(a.endsAt, T + RESOLVE_TIMEOUT_MS);
});
