/**
 * The sources page in real Chromium against the real server: a real agent collecting real Docker
 * containers shows each by name with its state and the coverage; a silent container and, after the
 * agent stops, stopped sources stand out and sort first; a failing source reported through the
 * registry API shows its error; each name opens Explore on that container's lines; the filter and
 * the empty state explain themselves.
 */
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createAgent } from '../../../src/agent/agent.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { testAgentConfig } from '../agent/helpers.js';
import { dockerOrSkip, runContainer, removeContainer, BUSYBOX_IMAGE } from '../../helpers/docker.js';
import { launchBrowser, openUi, type UiBrowser } from '../../helpers/browser.js';
import { waitFor } from '../../helpers/wait-for.js';

// One browser for the file, launched by the first test that needs it.
let launched: Promise<UiBrowser | undefined> | undefined;
const browser = (t: TestContext) => (launched ??= launchBrowser(t));
after(async () => (await launched)?.close());

const row = (name: string) => `tr.source-row[data-source="${name}"]`;

test('a real agent\'s Docker containers are listed by name with state and coverage; silent and stopped ones stand out; a name opens Explore', async (t) => {
  const ui = await browser(t);
  if (!ui || !(await dockerOrSkip(t))) return;
  const server = await startServer();
  const data = tempDir();
  const run = randomUUID().slice(0, 8);
  const talker = `lh-ui-talk-${run}`;
  const quiet = `lh-ui-quiet-${run}`;
  const ids: string[] = [];
  const agent = createAgent(testAgentConfig(server.url, data), { log: createLogger({ level: 'silent' }) });
  let agentOpen = true;
  t.after(async () => {
    if (agentOpen) await agent.close();
    for (const id of ids) await removeContainer(id);
    await server.close();
    removeDir(server.dir);
    removeDir(data);
  });
  ids.push(await runContainer(['--name', talker, BUSYBOX_IMAGE, 'sh', '-c', 'seq 1 25; sleep 120']));
  ids.push(await runContainer(['--name', quiet, BUSYBOX_IMAGE, 'sleep', '120']));
  await agent.start();
  // The registry has both (the page must show what the registry says, so wait for it to say it).
  await waitFor('both containers in the registry, the talker with its 25 lines', async () => {
    const body = (await (await fetch(`${server.url}/api/v1/sources`)).json()) as { data: { sources: Array<{ container?: string; lines_shipped: number }> } };
    const s = body.data.sources;
    return s.some((x) => x.container === talker && x.lines_shipped === 25) && s.some((x) => x.container === quiet);
  }, { timeoutMs: 20_000, intervalMs: 200 });

  const p = await openUi(ui, server.url, '/sources');
  await p.page.waitForSelector(row(talker));
  await p.page.waitForSelector(row(quiet));
  const talk = p.page.locator(row(talker));
  assert.match(await talk.locator('.source-status').innerText(), /tailing/);
  assert.match(await talk.getAttribute('class') ?? '', /attention-ok/);
  assert.equal((await talk.locator('td').nth(1).innerText()).trim(), 'docker');
  assert.equal((await talk.locator('td').nth(5).innerText()).trim(), '25');
  assert.match(await talk.locator('td').nth(8).innerText(), /\d+ s ago|now/);
  // The quiet container has written nothing: it stands out, with words, above the one delivering.
  const q = p.page.locator(row(quiet));
  assert.match(await q.getAttribute('class') ?? '', /attention-warn/);
  assert.match(await q.locator('.source-status').innerText(), /no line yet/);
  const order = await p.page.$$eval('tr.source-row', (rows) => rows.map((r) => r.getAttribute('data-source')));
  assert.ok(order.indexOf(quiet) < order.indexOf(talker), `the silent container sorts first: ${order.join(', ')}`);

  // Coverage: the figure is the registry's (it counts every container this host's agent sees, so
  // compare with the API at the same moment rather than a fixed number).
  await waitFor('the coverage figure to match the registry', async () => {
    const c = ((await (await fetch(`${server.url}/api/v1/sources`)).json()) as { data: { coverage: { containers_seen: number; containers_with_logs: number; containers_silent: number; ratio: number } } }).data.coverage;
    const text = await p.page.locator('.coverage').innerText();
    const want = `${c.containers_with_logs} of ${c.containers_seen - c.containers_silent} container`;
    return text.includes(`${Math.floor(c.ratio * 1000) / 10} %`) && text.includes(want) && c.containers_silent >= 1 && text.includes(`${c.containers_silent} silent`);
  }, { timeoutMs: 25_000, intervalMs: 250 });

  // The filter narrows the table to what matches.
  await p.page.getByLabel('Filter').fill(talker);
  await p.page.waitForSelector(row(quiet), { state: 'detached' });
  assert.equal(await p.page.locator('tr.source-row').count(), 1);
  assert.match(p.page.url(), new RegExp(`filter=${talker}`));
  await p.page.getByLabel('Filter').fill(run);
  await p.page.waitForSelector(row(quiet));

  // The agent shuts down cleanly: both sources become `stopped` and stand out (the page refreshes by itself).
  await agent.close();
  agentOpen = false;
  await p.page.waitForSelector(`${row(talker)}.attention-warn`, { timeout: 25_000 });
  assert.match(await talk.locator('.source-status').innerText(), /stopped/);
  assert.match(await p.page.locator('tr.agent-row').filter({ hasText: 'test-host' }).innerText(), /stopped/);

  // A name opens Explore with a query for that container's stream.
  await talk.locator('td.source-name a').click();
  await p.page.waitForURL(/\/explore\?/);
  assert.equal(new URL(p.page.url()).searchParams.get('query'), `{container="${talker}"}`);
  p.assertClean();
  await p.close();
});

test('a failing source reported to the registry stands out first with its error; with no agent the page says how to start one', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  const server = await startServer();
  t.after(async () => (await server.close(), removeDir(server.dir)));
  const empty = await openUi(ui, server.url, '/sources');
  await empty.page.waitForSelector('.sources-empty');
  const text = await empty.page.locator('.sources-empty').innerText();
  assert.match(text, new RegExp(`logwharf agent --server ${server.url.replace(/[.]/g, '\\.')}`));
  assert.match(text, /logwharf up/);
  empty.assertClean();
  await empty.close();

  const now = new Date().toISOString();
  const status = (name: string, over: Record<string, unknown>) => ({
    id: `docker:${name}`, kind: 'docker', container: name, container_id: name, labels: { container: name, host: 'node-a' },
    state: 'tailing', lines_read: 5, lines_shipped: 5, bytes_shipped: 300, lines_dropped: 0, lag_seconds: 0, first_seen: now, last_shipped_at: now, ...over,
  });
  const res = await fetch(`${server.url}/api/v1/sources`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      agent: { id: 'node-a', host: 'node-a', version: '0.1.0', started_at: now },
      sources: [status('api', {}), status('zz-broken', { state: 'error', last_error: 'open /var/lib/docker/containers/x-json.log: permission denied' })],
    }),
  });
  assert.equal(res.status, 204, await res.text());
  const p = await openUi(ui, server.url, '/sources');
  await p.page.waitForSelector(row('zz-broken'));
  const order = await p.page.$$eval('tr.source-row', (rows) => rows.map((r) => r.getAttribute('data-source')));
  assert.deepEqual(order, ['zz-broken', 'api'], 'the failing source sorts first');
  const broken = p.page.locator(row('zz-broken'));
  assert.match(await broken.getAttribute('class') ?? '', /attention-bad/);
  assert.match(await broken.locator('.source-status').innerText(), /failing/);
  assert.match(await broken.locator('.source-error').innerText(), /permission denied/);
  assert.match(await p.page.locator('.sources-trouble').innerText(), /1 source not delivering/);
  p.assertClean();
  await p.close();
});
