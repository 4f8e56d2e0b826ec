/**
 * The built-in notifier against the real tools: Debian's amtool (Alertmanager 0.25) manages it
 * unchanged (alerts, silences, config), the notify block it shows is a configuration a real
 * Alertmanager accepts (`amtool check-config`), and a real Alertmanager started with that same
 * block answers the same v2 API requests with the same JSON shapes, compared field by field.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, removeDir, tempDir, type RunningServer } from './helpers/server.js';
import { startWebhookReceiver, delivered, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { waitFor } from '../helpers/wait-for.js';
import { AMTOOL_BIN as AMTOOL, startAlertmanager } from '../helpers/alertmanager.js';
import { requireBinary } from '../helpers/peer-process.js';

const run = promisify(execFile);

let recv: WebhookReceiver;
let srv: RunningServer;
let am: string;

before(async () => {
  recv = await startWebhookReceiver();
  srv = await startServer({
    notify: {
      route: { receiver: 'team', group_by: ['alertname'], group_wait: '1s', group_interval: '2s', repeat_interval: '1h' },
      receivers: [{ name: 'team', webhook_configs: [{ url: `${recv.url}hook` }] }],
    },
  });
  am = `${srv.url}/alertmanager`;
});

after(async () => {
  await srv.close();
  removeDir(srv.dir);
  await recv.close();
});

async function amtool(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(AMTOOL, [`--alertmanager.url=${am}`, ...args], { timeout: 20_000 });
  assert.doesNotMatch(stderr, /version .* are different/, 'we report the API level amtool speaks');
  return stdout;
}

test('amtool adds and queries alerts, adds, queries and expires silences', async (t) => {
  if (!requireBinary(t, AMTOOL, 'prometheus-alertmanager')) return;
  await amtool('alert', 'add', 'DiskFull', 'instance=db1', '--annotation=summary=disk is full');
  const listed = JSON.parse(await amtool('alert', 'query', '-o', 'json')) as Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
  assert.deepEqual(listed.map((a) => a.labels), [{ alertname: 'DiskFull', instance: 'db1' }]);
  assert.equal(listed[0]!.annotations.summary, 'disk is full');
  assert.match(await amtool('alert', 'query', 'alertname=DiskFull'), /DiskFull .*disk is full/);
  assert.doesNotMatch(await amtool('alert', 'query', 'alertname=Other'), /DiskFull/);
  const first = await waitFor('the webhook notified', () => delivered(recv)[0]);
  assert.equal(first.body.alerts[0].labels.alertname, 'DiskFull');

  const id = (await amtool('silence', 'add', 'alertname=~"Disk.*"', '--comment=disk swap', '--author=ops', '--duration=1h')).trim();
  assert.match(id, /^[0-9a-f-]{36}$/);
  const silences = JSON.parse(await amtool('silence', 'query', '-o', 'json')) as Array<{ id: string; createdBy: string; comment: string; matchers: unknown[]; status: { state: string } }>;
  assert.equal(silences.length, 1);
  assert.equal(silences[0]!.id, id);
  assert.equal(silences[0]!.createdBy, 'ops');
  assert.equal(silences[0]!.comment, 'disk swap');
  assert.deepEqual(silences[0]!.matchers, [{ name: 'alertname', value: 'Disk.*', isRegex: true, isEqual: true }]);
  assert.equal(silences[0]!.status.state, 'active');
  assert.equal((await amtool('silence', 'query', '-q')).trim(), id);
  assert.equal((await amtool('silence', 'query', '-q', 'alertname=~"Disk.*"')).trim(), id, 'filter by the silence\'s matcher');
  assert.equal((await amtool('silence', 'query', '-q', 'alertname=Cpu')).trim(), '');
  // amtool hides silenced alerts by default, and shows them with --silenced.
  assert.doesNotMatch(await amtool('alert', 'query'), /DiskFull/);
  assert.match(await amtool('alert', 'query', '--silenced'), /DiskFull/);

  // An update that only moves the end keeps the silence (and its id), as Alertmanager does.
  await amtool('silence', 'update', id, '--duration=3h', '--comment=longer');
  const updated = JSON.parse(await amtool('silence', 'query', '-o', 'json')) as Array<{ id: string; comment: string; startsAt: string; endsAt: string }>;
  assert.deepEqual(updated.map((u) => [u.id, u.comment]), [[id, 'longer']]);
  const hours = (Date.parse(updated[0]!.endsAt) - Date.parse(updated[0]!.startsAt)) / 3_600_000;
  assert.ok(hours > 2.9 && hours < 3.1, `about 3h long (${hours})`);

  await amtool('silence', 'expire', id);
  assert.equal((await amtool('silence', 'query', '-q')).trim(), '', 'an expired silence is not listed by default');
  assert.equal((await amtool('silence', 'query', '-q', '--expired')).trim(), id);
  assert.match(await amtool('alert', 'query'), /DiskFull/);
  await amtool('silence', 'expire', id);
  await assert.rejects(amtool('silence', 'expire', '00000000-0000-0000-0000-000000000000'), /status 404|not found/);
});

test('amtool config show prints the notify block, which amtool check-config accepts as an Alertmanager configuration', async (t) => {
  if (!requireBinary(t, AMTOOL, 'prometheus-alertmanager')) return;
  const shown = await amtool('config', 'show');
  assert.match(shown, /receiver: team/);
  assert.match(shown, /group_wait: 1s/);
  assert.match(shown, new RegExp(`url: ${recv.url}hook`));
  const routes = await amtool('config', 'routes');
  assert.match(routes, /default-route {2}receiver: team/);
  const dir = tempDir('amtool-');
  try {
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, shown);
    const { stdout } = await run(AMTOOL, ['check-config', file]);
    assert.match(stdout, /SUCCESS/);
    assert.match(stdout, /1 receivers/);
  } finally {
    removeDir(dir);
  }
});

/** Replaces every value that differs between two runs (times, ids) by its type, keeping the shape. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, /At$|^id$|^uptime$|^silenceID$/.test(k) || (k === 'silencedBy' && Array.isArray(x)) ? (Array.isArray(x) ? x.map((y) => typeof y) : typeof x) : shape(x)]));
  return v;
}

test('a real Alertmanager 0.25 run with the same notify block answers with the same JSON, field by field', async (t) => {
  const shown = (await (await fetch(`${am}/api/v2/status`)).json()) as { config: { original: string } };
  const realAm = await startAlertmanager(t, shown.config.original);
  if (!realAm) return;
  try {
    const real = realAm.url;
    const now = Date.now();
    const alerts = [
      { labels: { alertname: 'Compare', instance: 'a' }, annotations: { summary: 's' }, startsAt: new Date(now).toISOString(), generatorURL: 'http://x/graph' },
      { labels: { alertname: 'Compare', instance: 'b' }, annotations: {}, startsAt: new Date(now).toISOString() },
    ];
    const silence = { matchers: [{ name: 'instance', value: 'b', isRegex: false, isEqual: true }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: 'cmp', comment: 'compare' };
    const answers: Record<string, Record<string, unknown>> = {};
    for (const [name, base] of [['real', `${real}/api/v2`], ['ours', `${am}/api/v2`]] as const) {
      const post = (path: string, body: unknown) => fetch(`${base}/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal((await post('alerts', alerts)).status, 200);
      const sil = await post('silences', silence);
      const { silenceID } = (await sil.json()) as { silenceID: string };
      const get = async (path: string) => (await fetch(`${base}/${path}`)).json();
      answers[name] = {
        silenceResponse: { silenceID },
        alerts: await get('alerts?filter=alertname%3D%22Compare%22'),
        groups: ((await get('alerts/groups')) as Array<{ labels: Record<string, string> }>).filter((g) => g.labels.alertname === 'Compare'),
        silence: await get(`silence/${silenceID}`),
        silences: ((await get('silences')) as Array<{ comment: string }>).filter((s) => s.comment === 'compare'),
        receivers: await get('receivers'),
        statusKeys: shape(Object.keys((await get('status')) as object).sort()),
        badAlert: await (await post('alerts', [{ labels: {} }])).text(),
      };
    }
    const fingerprints = (x: unknown) => (x as Array<{ fingerprint: string }>).map((a) => a.fingerprint);
    assert.deepEqual(fingerprints(answers.ours!.alerts), fingerprints(answers.real!.alerts));
    for (const k of Object.keys(answers.real!)) {
      if (k === 'badAlert') continue;
      assert.deepEqual(shape(answers.ours![k]), shape(answers.real![k]), k);
    }
    assert.match(JSON.parse(answers.ours!.badAlert as string) as string, new RegExp(JSON.parse(answers.real!.badAlert as string) as string));
  } finally {
    await realAm.close();
  }
});
