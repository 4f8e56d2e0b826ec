/**
 * The alerts page in real Chromium against the real server: a rule posted through the ruler API,
 * evaluated every second, fires on pushed error lines; the page shows the rule firing and the alert
 * with its labels and summary; a silence created from the alert in the page is listed (and is in the
 * notifier's API), silences the alert, and can be expired. With the ruler off the page says so; with
 * an external Alertmanager it says where silences live, without credentials and without calling it.
 */
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from '../helpers/server.js';
import { launchBrowser, openUi, type UiBrowser } from '../../helpers/browser.js';
import { waitFor } from '../../helpers/wait-for.js';

// One browser for the file, launched by the first test.
let launched: Promise<UiBrowser | undefined> | undefined;
const browser = (t: TestContext) => (launched ??= launchBrowser(t));
after(async () => (await launched)?.close());

async function server(t: TestContext, overrides: Record<string, unknown>): Promise<RunningServer> {
  const s = await startServer(overrides);
  t.after(async () => (await s.close(), removeDir(s.dir)));
  return s;
}

// A 10 s window, so the rule fires as soon as three error lines are in it.
const EXPR = 'sum by (app) (count_over_time({app="pay"} |= "ERROR" [10s])) > 2';
const GROUP = `name: payments
rules:
  - alert: PaymentErrors
    expr: ${EXPR}
    labels:
      severity: page
    annotations:
      summary: "{{ $labels.app }} logged {{ $value }} errors in 10s"
      description: Card payments are failing.
  - alert: PaymentsDown
    expr: sum(count_over_time({app="pay"} |= "FATAL" [10s])) > 0
`;
// One alert per order, more than the group's limit allows: the evaluation fails and says why.
const LIMITED = `name: per-order
limit: 1
rules:
  - alert: OrderErrors
    expr: 'sum by (order) (count_over_time({app="pay"} | regexp "order=(?P<order>[0-9]+)" [10s])) > 0'
`;

async function pushErrors(url: string, n: number): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const values = Array.from({ length: n }, (_, i) => [String(now + BigInt(i)), `ERROR card declined order=${i}`]);
  const res = await fetch(`${url}/loki/api/v1/push`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: { app: 'pay' }, values }] }) });
  assert.equal(res.status, 204, await res.text());
}

interface SilenceJson {
  id: string;
  matchers: Array<{ name: string; value: string; isRegex: boolean }>;
  createdBy: string;
  comment: string;
  endsAt: string;
  status: { state: string };
}

test('a firing rule and its alert show; a silence created from the alert is listed, holds it, and expires', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  const s = await server(t, { ruler: { evaluation_interval: '1s' } });
  const posted = await fetch(`${s.url}/loki/api/v1/rules/shop`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: GROUP });
  assert.equal(posted.status, 202, await posted.text());
  const limited = await fetch(`${s.url}/loki/api/v1/rules/shop`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: LIMITED });
  assert.equal(limited.status, 202, await limited.text());
  // Errors keep coming while the page is looked at, so the alert stays firing however slow the machine.
  let pushing = true;
  const pusher = (async () => {
    while (pushing) {
      await pushErrors(s.url, 2);
      await new Promise((r) => setTimeout(r, 400));
    }
  })();
  try {
    await silenceFiringAlert(ui, s.url);
  } finally {
    pushing = false;
    await pusher;
  }
});

async function silenceFiringAlert(ui: UiBrowser, url: string): Promise<void> {
  const s = { url };
  await waitFor('the alert firing in the API', async () => {
    const body = (await (await fetch(`${s.url}/prometheus/api/v1/alerts`)).json()) as { data: { alerts: Array<{ state: string }> } };
    return body.data.alerts.some((a) => a.state === 'firing');
  }, { timeoutMs: 30_000, intervalMs: 200 });

  const p = await openUi(ui, s.url, '/alerts');
  // The rule: firing, healthy, evaluated seconds ago, its query opening Explore.
  const rule = p.page.locator('tr.rule-row[data-rule="PaymentErrors"]');
  await rule.locator('.badge-firing').waitFor({ timeout: 30_000 });
  assert.equal((await rule.locator('.badge').innerText()).trim(), 'firing');
  assert.equal((await rule.locator('.health').innerText()).trim(), 'ok');
  assert.match(await rule.locator('td').nth(3).innerText(), /(\d+ s ago|now)/);
  const href = await rule.locator('.rule-query a').getAttribute('href');
  assert.equal(new URL(href!, s.url).searchParams.get('query'), EXPR);
  const quiet = p.page.locator('tr.rule-row[data-rule="PaymentsDown"]');
  assert.equal((await quiet.locator('.badge').innerText()).trim(), 'inactive');
  assert.equal(await p.page.locator('.rule-group[data-group="payments"] .rule-group-title').innerText(), 'shop / payments');
  // A failing rule: health "error" and the server's reason next to it.
  const failing = p.page.locator('tr.rule-row[data-rule="OrderErrors"]');
  await failing.locator('.health-err').waitFor({ timeout: 20_000 });
  assert.equal((await failing.locator('.health').innerText()).trim(), 'error');
  assert.match(await failing.locator('.rule-error').innerText(), /exceeded limit of 1 with \d+ alerts/);

  // The alert: labels, summary and description, active since.
  const row = p.page.locator('tr.alert-row.state-firing[data-alertname="PaymentErrors"]');
  await row.waitFor();
  assert.match(await row.locator('.label-chips').innerText(), /app=pay[\s\S]*severity=page/);
  assert.match(await row.locator('.alert-summary').innerText(), /^pay logged \d+ errors in 10s$/);
  assert.equal(await row.locator('.alert-description').innerText(), 'Card payments are failing.');
  assert.match(await row.locator('td').nth(4).innerText(), /(\d+ s ago|now)/);
  assert.match(await p.page.locator('.alerts-summary').innerText(), /1 firing/);

  // Silence it from the page: the form is prefilled from the alert's labels; severity left out, 4 hours.
  await row.getByRole('button', { name: 'Silence…' }).click();
  const form = p.page.getByRole('form', { name: 'New silence' });
  await form.waitFor();
  assert.deepEqual(await form.locator('.matcher-choice code').allInnerTexts(), ['alertname="PaymentErrors"', 'app="pay"', 'severity="page"']);
  // Without a comment the form says what is missing, and creates nothing.
  await form.getByLabel('Author').fill('ana');
  await form.getByRole('button', { name: 'Create silence' }).click();
  assert.match(await form.getByRole('alert').innerText(), /comment/);
  await form.locator('.matcher-choice', { hasText: 'severity' }).locator('input').uncheck();
  await form.getByLabel('For').selectOption({ label: '4 hours' });
  await form.getByLabel('Comment').fill('card provider incident, fix deploying');
  const before = Date.now();
  await form.getByRole('button', { name: 'Create silence' }).click();
  const notice = await p.page.locator('.alerts-notice').innerText();
  const id = /Silence (\S+) created/.exec(notice)?.[1];
  assert.ok(id, notice);

  // Listed in the page, and in the notifier's API as the page sent it.
  const silenceRow = p.page.locator(`tr.silence-row[data-silence="${id}"]`);
  await silenceRow.waitFor();
  assert.deepEqual(await silenceRow.locator('.silence-matchers code').allInnerTexts(), ['alertname="PaymentErrors"', 'app="pay"']);
  assert.equal((await silenceRow.locator('td').nth(2).innerText()).trim(), 'ana');
  assert.equal((await silenceRow.locator('td').nth(3).innerText()).trim(), 'card provider incident, fix deploying');
  assert.match(await silenceRow.locator('td').nth(4).innerText(), /^in [34] h$/);
  const api = (await (await fetch(`${s.url}/alertmanager/api/v2/silences`)).json()) as SilenceJson[];
  const saved = api.find((x) => x.id === id)!;
  assert.deepEqual(saved.matchers.map((m) => [m.name, m.value, m.isRegex]), [['alertname', 'PaymentErrors', false], ['app', 'pay', false]]);
  assert.equal(saved.createdBy, 'ana');
  assert.equal(saved.status.state, 'active');
  const hours = (Date.parse(saved.endsAt) - before) / 3_600_000;
  assert.ok(hours > 3.98 && hours < 4.02, `ends 4 h after creation, not ${hours} h`);
  // The notifier now holds the alert: the page marks it silenced.
  await row.locator('.badge-silenced').waitFor({ timeout: 20_000 });

  // Expire it: gone from the list (expired ones are hidden unless asked for), expired in the API.
  p.page.once('dialog', (d) => void d.accept());
  await silenceRow.getByRole('button', { name: 'Expire' }).click();
  await silenceRow.waitFor({ state: 'detached' });
  const after = ((await (await fetch(`${s.url}/alertmanager/api/v2/silence/${id}`)).json()) as SilenceJson).status.state;
  assert.equal(after, 'expired');
  await p.page.getByLabel(/show 1 expired/).check();
  await silenceRow.waitFor();

  // The query link opens Explore with the rule's expression.
  await rule.locator('.rule-query a').click();
  await p.page.waitForURL(/\/explore\?/);
  assert.equal(new URL(p.page.url()).searchParams.get('query'), EXPR);
  p.assertClean();
  await p.close();
}

test('with the ruler off the page says so and how to turn it on, and asks nothing of the missing API', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  const s = await server(t, { ruler: { enabled: false } });
  const p = await openUi(ui, s.url, '/alerts');
  const asked: string[] = [];
  p.page.on('request', (r) => asked.push(new URL(r.url()).pathname));
  await p.page.waitForSelector('.ruler-off');
  assert.match(await p.page.locator('.ruler-off').innerText(), /The ruler is off on this server[\s\S]*ruler\.enabled/);
  // The built-in notifier is still there: its silences are listed (none yet).
  await p.page.waitForSelector('.silences .empty');
  await p.page.reload();
  await p.page.waitForSelector('.silences .empty');
  assert.ok(asked.includes('/alertmanager/api/v2/silences'), asked.join(' '));
  assert.deepEqual(asked.filter((u) => u.startsWith('/prometheus/')), [], 'no call to the rules API it does not have');
  p.assertClean();
  await p.close();
});

test('with an external Alertmanager the silences section links to it, without its credentials and without calling it', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  // Nothing listens on port 9 (discard): a request to it would be recorded as a problem or fail.
  const s = await server(t, { ruler: { alertmanager_url: 'http://ops:s3cret@127.0.0.1:9/api/v2/alerts' } });
  const settings = await (await fetch(`${s.url}/api/v1/ui/settings`)).text();
  assert.doesNotMatch(settings, /s3cret/, 'the public settings never carry the Alertmanager password');
  const p = await openUi(ui, s.url, '/alerts');
  const asked: string[] = [];
  p.page.on('request', (r) => asked.push(r.url()));
  await p.page.reload();
  await p.page.waitForSelector('.silences-external a');
  assert.match(await p.page.locator('.silences-external').innerText(), /silences live there/);
  assert.equal(await p.page.locator('.silences-external a').getAttribute('href'), 'http://127.0.0.1:9/');
  await p.page.waitForSelector('.rules .empty');
  assert.deepEqual(asked.filter((u) => new URL(u).port === '9' || u.includes('/alertmanager/')), [], 'nothing asked of the external Alertmanager or of a notifier that does not receive the alerts');
  p.assertClean();
  await p.close();
});
