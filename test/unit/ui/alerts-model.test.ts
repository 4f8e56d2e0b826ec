/** The alerts page's logic (ui/pages/alerts/model.ts): order, silences from alerts, matchers, external Alertmanager links. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertmanagerLinks, formatMatcher, matchersFor, silenceBody, silencedBy, silenceProblem, sortAlerts, sortSilences } from '../../../ui/pages/alerts/model.js';
import type { PromAlert, Silence } from '../../../ui/pages/alerts/types.js';
import { withoutCredentials } from '../../../src/web/routes.js';

const alert = (name: string, state: 'firing' | 'pending', activeAt: string, labels: Record<string, string> = {}): PromAlert => ({
  labels: { alertname: name, ...labels }, annotations: {}, state, activeAt, value: '1e+00',
});

test('firing alerts come before pending ones, the longest active first', () => {
  const list = [alert('B', 'pending', '2026-12-05T10:00:00Z'), alert('C', 'firing', '2026-12-05T11:00:00Z'), alert('A', 'firing', '2026-12-05T09:00:00Z')];
  assert.deepEqual(sortAlerts(list).map((a) => a.labels.alertname), ['A', 'C', 'B']);
});

test('a silence made from an alert matches exactly its labels, alertname first, from now for the chosen time', () => {
  const m = matchersFor({ severity: 'page', app: 'pay', alertname: 'PaymentErrors' });
  assert.deepEqual(m.map(formatMatcher), ['alertname="PaymentErrors"', 'app="pay"', 'severity="page"']);
  const now = Date.parse('2026-12-05T12:00:00Z');
  assert.deepEqual(silenceBody(m.slice(0, 1), 4 * 3_600_000, ' ana ', ' deploying a fix ', now), {
    matchers: [{ name: 'alertname', value: 'PaymentErrors', isRegex: false, isEqual: true }],
    startsAt: '2026-12-05T12:00:00.000Z',
    endsAt: '2026-12-05T16:00:00.000Z',
    createdBy: 'ana',
    comment: 'deploying a fix',
  });
});

test('a silence needs matchers, an author and a comment, and says which is missing', () => {
  const m = matchersFor({ alertname: 'X' });
  assert.match(silenceProblem([], 'ana', 'x') ?? '', /at least one matcher/);
  assert.match(silenceProblem(m, ' ', 'x') ?? '', /author/);
  assert.match(silenceProblem(m, 'ana', '') ?? '', /comment/);
  assert.equal(silenceProblem(m, 'ana', 'fixing'), undefined);
});

test('matchers read as PromQL writes them', () => {
  assert.equal(formatMatcher({ name: 'a', value: 'x"y', isRegex: false }), 'a="x\\"y"');
  assert.equal(formatMatcher({ name: 'a', value: 'b.*', isRegex: true, isEqual: false }), 'a!~"b.*"');
  assert.equal(formatMatcher({ name: 'a', value: 'b', isRegex: false, isEqual: false }), 'a!="b"');
  assert.equal(formatMatcher({ name: 'a', value: 'b|c', isRegex: true }), 'a=~"b|c"');
});

test('silences sort active, pending, expired; an alert is silenced as the notifier says', () => {
  const s = (id: string, state: Silence['status']['state'], endsAt: string): Silence => ({ id, matchers: [], startsAt: '', endsAt, updatedAt: '', createdBy: '', comment: '', status: { state } });
  assert.deepEqual(sortSilences([s('e', 'expired', '2026-01-01T00:00:00Z'), s('p', 'pending', '2026-01-01T00:00:00Z'), s('a2', 'active', '2026-01-03T00:00:00Z'), s('a1', 'active', '2026-01-02T00:00:00Z')]).map((x) => x.id), ['a1', 'a2', 'p', 'e']);
  const a = alert('PaymentErrors', 'firing', '2026-12-05T10:00:00Z', { app: 'pay' });
  const notifier = [
    { labels: { alertname: 'PaymentErrors', app: 'web', cluster: 'eu-1' }, fingerprint: '1', status: { state: 'active' as const, silencedBy: [], inhibitedBy: [] } },
    { labels: { alertname: 'PaymentErrors', app: 'pay', cluster: 'eu-1' }, fingerprint: '2', status: { state: 'suppressed' as const, silencedBy: ['s-1'], inhibitedBy: [] } },
  ];
  assert.deepEqual(silencedBy(a, notifier), ['s-1']);
  assert.deepEqual(silencedBy(alert('Other', 'firing', ''), notifier), []);
});

test('an external Alertmanager is linked without credentials, at its root', () => {
  assert.deepEqual(alertmanagerLinks('http://user:secret@am:9093/api/v2/alerts, http://gw/am'), ['http://am:9093/', 'http://gw/am']);
  assert.deepEqual(alertmanagerLinks('not a url'), []);
  // The server's public settings never carry them either.
  assert.equal(withoutCredentials('http://user:secret@am:9093, https://a:b@gw/am/api/v2/alerts'), 'http://am:9093/,https://gw/am/api/v2/alerts');
  assert.equal(withoutCredentials(''), '');
});
