/**
 * Loki's ruler API against the real server on port 0: the whole create/read/replace/delete cycle
 * with Loki's status codes and bodies under both prefixes, tenants kept apart, groups surviving a
 * restart, read-only namespaces from ruler.rules_dir, and hostile requests (each a clear 4xx, the
 * server still answering afterwards).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { startServer, startChildServer, startCli, removeDir, tempDir, type RunningServer } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { formatNamespacesYaml, parseRuleGroup } from '../../src/rules/parse.js';

const V1 = '/loki/api/v1/rules';
const LEGACY = '/api/prom/rules';
/** Loki's body for an accepted write, byte for byte. */
const ACCEPTED = '{"status":"success","data":null,"errorType":"","error":""}';

interface Reply {
  status: number;
  type: string;
  text: string;
}

/** One request through node:http, so the headers sent are exactly the ones given (plus Host). */
function send(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const sized = body === undefined || headers['Transfer-Encoding'] !== undefined ? headers : { 'Content-Length': String(Buffer.byteLength(body)), ...headers };
    const req = request({ host: u.hostname, port: u.port, method, path, headers: sized }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function groupYaml(name: string, threshold = 5, extra = ''): string {
  return `name: ${name}
interval: 1m
rules:
  - alert: HighErrorRate
    expr: sum by (container) (count_over_time({container="web"} |= "ERROR" [1m])) > ${threshold}
    for: 5m
    labels:
      severity: page
    annotations:
      summary: '{{ $labels.container }} logs {{ $value }} errors a minute'
  - record: container:errors:rate1m
    expr: sum by (container) (rate({container="web"} |= "ERROR" [1m]))
${extra}`;
}

async function expectAccepted(r: Reply | Promise<Reply>): Promise<void> {
  const reply = await r;
  assert.equal(reply.status, 202, reply.text);
  assert.equal(reply.text, ACCEPTED);
  assert.match(reply.type, /^application\/json/);
}

async function expectError(r: Reply | Promise<Reply>, status: number, re: RegExp): Promise<Reply> {
  const reply = await r;
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text}`);
  assert.match(reply.text, re);
  return reply;
}

async function getYaml(srv: RunningServer, path: string, headers: Record<string, string> = {}): Promise<unknown> {
  const r = await send(srv.url, 'GET', path, headers);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.type, 'application/yaml');
  return parseYaml(r.text);
}

async function started(t: { after(fn: () => Promise<void>): void }, overrides: Record<string, unknown> = {}): Promise<RunningServer> {
  const srv = await startServer(overrides);
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  return srv;
}

for (const prefix of [V1, LEGACY]) {
  test(`the whole ruler API cycle under ${prefix} answers as Loki does`, async (t) => {
    const srv = await started(t);
    await expectError(send(srv.url, 'GET', prefix), 404, /^no rule groups found\n$/);
    await expectError(send(srv.url, 'GET', `${prefix}/web`), 404, /^no rule groups found\n$/);
    await expectError(send(srv.url, 'GET', `${prefix}/web/errors`), 404, /^group does not exist\n$/);

    await expectAccepted(send(srv.url, 'POST', `${prefix}/web`, {}, groupYaml('errors')));
    await expectAccepted(send(srv.url, 'POST', `${prefix}/web`, {}, groupYaml('latency')));
    await expectAccepted(send(srv.url, 'POST', `${prefix}/db`, {}, groupYaml('slow')));

    const errors = parseYaml(groupYaml('errors'));
    assert.deepEqual(await getYaml(srv, prefix), {
      db: [parseYaml(groupYaml('slow'))],
      web: [errors, parseYaml(groupYaml('latency'))],
    });
    assert.deepEqual(await getYaml(srv, `${prefix}/web`), { web: [errors, parseYaml(groupYaml('latency'))] });
    assert.deepEqual(await getYaml(srv, `${prefix}/web/errors`), errors);
    // The other prefix serves the same groups.
    const other = prefix === V1 ? LEGACY : V1;
    assert.deepEqual(await getYaml(srv, `${other}/web/errors`), errors);

    // POST of an existing name replaces that group.
    await expectAccepted(send(srv.url, 'POST', `${prefix}/web`, {}, groupYaml('errors', 50)));
    assert.deepEqual(await getYaml(srv, `${prefix}/web/errors`), parseYaml(groupYaml('errors', 50)));
    assert.equal((((await getYaml(srv, `${prefix}/web`)) as Record<string, unknown[]>).web ?? []).length, 2);

    await expectAccepted(send(srv.url, 'DELETE', `${prefix}/web/latency`));
    await expectError(send(srv.url, 'DELETE', `${prefix}/web/latency`), 404, /^group does not exist\n$/);
    await expectError(send(srv.url, 'GET', `${prefix}/web/latency`), 404, /^group does not exist\n$/);
    await expectAccepted(send(srv.url, 'DELETE', `${prefix}/db`));
    await expectError(send(srv.url, 'DELETE', `${prefix}/db`), 404, /^group namespace does not exist\n$/);
    assert.deepEqual(await getYaml(srv, prefix), { web: [parseYaml(groupYaml('errors', 50))] });
    await expectAccepted(send(srv.url, 'DELETE', `${prefix}/web/errors`));
    await expectError(send(srv.url, 'GET', prefix), 404, /^no rule groups found\n$/);
  });
}

test('with auth_enabled each X-Scope-OrgID sees and changes only its own groups', async (t) => {
  const srv = await started(t, { auth_enabled: true });
  await expectError(send(srv.url, 'GET', V1), 401, /no org id/);
  await expectError(send(srv.url, 'POST', `${V1}/web`, {}, groupYaml('errors')), 401, /no org id/);
  const a = { 'X-Scope-OrgID': 'team-a' };
  const b = { 'X-Scope-OrgID': 'team-b' };
  await expectAccepted(send(srv.url, 'POST', `${V1}/web`, a, groupYaml('errors')));
  await expectError(send(srv.url, 'GET', V1, b), 404, /^no rule groups found\n$/);
  await expectError(send(srv.url, 'GET', `${V1}/web/errors`, b), 404, /group does not exist/);
  await expectError(send(srv.url, 'DELETE', `${V1}/web/errors`, b), 404, /group does not exist/);
  await expectError(send(srv.url, 'DELETE', `${V1}/web`, b), 404, /group namespace does not exist/);
  await expectAccepted(send(srv.url, 'POST', `${V1}/web`, b, groupYaml('errors', 99)));
  assert.deepEqual(await getYaml(srv, `${V1}/web/errors`, a), parseYaml(groupYaml('errors')));
  assert.deepEqual(await getYaml(srv, `${V1}/web/errors`, b), parseYaml(groupYaml('errors', 99)));
  await expectAccepted(send(srv.url, 'DELETE', `${V1}/web`, a));
  await expectError(send(srv.url, 'GET', V1, a), 404, /no rule groups found/);
  assert.deepEqual(await getYaml(srv, V1, b), { web: [parseYaml(groupYaml('errors', 99))] });
});

test('groups written through the API survive a restart on the same data directory', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const first = await startServer({ data: dir, auth_enabled: true });
  const h = { 'X-Scope-OrgID': 'tenant-1' };
  await expectAccepted(send(first.url, 'POST', `${V1}/web`, h, groupYaml('errors')));
  await expectAccepted(send(first.url, 'POST', `${V1}/a%2Fb`, h, groupYaml('slashed')));
  await expectAccepted(send(first.url, 'POST', `${V1}/gone`, h, groupYaml('x')));
  await expectAccepted(send(first.url, 'DELETE', `${V1}/gone`, h));
  const before = await getYaml(first, V1, h);
  await first.close();

  const second = await startServer({ data: dir, auth_enabled: true });
  t.after(() => second.close());
  assert.deepEqual(await getYaml(second, V1, h), before);
  assert.deepEqual(Object.keys(before as object).sort(), ['a/b', 'web']);
  assert.deepEqual(await getYaml(second, `${V1}/a%2Fb/slashed`, h), parseYaml(groupYaml('slashed')));
});

test('groups acknowledged by `logwharf server` survive kill -9 of the process', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const first = await startChildServer(dir, ['--log-level', 'warn']);
  try {
    for (const g of ['a', 'b', 'c']) await expectAccepted(send(first.url, 'POST', `${V1}/web`, {}, groupYaml(g)));
    await expectAccepted(send(first.url, 'DELETE', `${V1}/web/b`));
  } finally {
    first.proc.kill('SIGKILL');
    await first.exited;
  }
  const second = await startCli(['server', '--listen', '127.0.0.1:0', '--data', dir, '--log-level', 'warn'], 'logwharf server ready');
  try {
    assert.deepEqual(await getYaml({ url: String(second.ready.address) } as RunningServer, `${V1}/web`), { web: [parseYaml(groupYaml('a')), parseYaml(groupYaml('c'))] });
    // Nothing was found damaged or left over: every warning of the start is about something else.
    assert.deepEqual(second.stdoutLines().filter((l) => /rule/.test(l) && /"level":"warn"/.test(l)), []);
  } finally {
    second.proc.kill('SIGTERM');
    await second.exited;
  }
});

test('a damaged rule file found at start is moved aside and counted on /metrics; the server starts with the rest', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const first = await startServer({ data: dir });
  await expectAccepted(send(first.url, 'POST', `${V1}/good`, {}, groupYaml('kept')));
  await expectAccepted(send(first.url, 'POST', `${V1}/bad`, {}, groupYaml('lost')));
  await first.close();
  const badFile = join(dir, 'rules', 'fake', 'bad.yaml');
  writeFileSync(badFile, '{"groups": [{"name": "lost", "rules": [{"alert": "A", "ex');

  const second = await started(t, { data: dir });
  assert.deepEqual(await getYaml(second, V1), { good: [parseYaml(groupYaml('kept'))] });
  assert.match((await send(second.url, 'GET', '/metrics')).text, /^logwharf_ruler_damaged_rule_files_total 1$/m);
  assert.ok(!existsSync(badFile));
  assert.equal(readdirSync(join(dir, 'rules', 'fake')).filter((f) => f.startsWith('bad.yaml.damaged-')).length, 1);
  // The namespace can be written again.
  await expectAccepted(send(second.url, 'POST', `${V1}/bad`, {}, groupYaml('again')));
});

test('namespaces from ruler.rules_dir are served, reloaded on change, and refuse writes with 403', async (t) => {
  const rulesDir = tempDir('logwharf-rules-dir-');
  t.after(() => removeDir(rulesDir));
  mkdirSync(join(rulesDir, 'fake'));
  const file = join(rulesDir, 'fake', 'git.yaml');
  writeFileSync(file, 'groups:\n' + groupYaml('from-git').replace(/^/gm, '    ').replace(/^    name/, '  - name'));
  const srv = await started(t, { ruler: { rules_dir: rulesDir } });
  assert.deepEqual(await getYaml(srv, `${V1}/git/from-git`), parseYaml(groupYaml('from-git')));
  await expectAccepted(send(srv.url, 'POST', `${V1}/api-ns`, {}, groupYaml('mine')));
  assert.deepEqual(Object.keys((await getYaml(srv, V1)) as object).sort(), ['api-ns', 'git']);

  const readOnly = /^namespace "git" is read-only: its rules come from ruler\.rules_dir \(.*\/fake\/git\.yaml\); change that file instead\n$/;
  await expectError(send(srv.url, 'POST', `${V1}/git`, {}, groupYaml('sneaky')), 403, readOnly);
  await expectError(send(srv.url, 'DELETE', `${V1}/git/from-git`), 403, readOnly);
  await expectError(send(srv.url, 'DELETE', `${V1}/git`), 403, readOnly);
  assert.deepEqual(await getYaml(srv, `${V1}/git`), { git: [parseYaml(groupYaml('from-git'))] });

  // An edit of the file (as git checks it out: a new file renamed over the old) shows up on its own.
  writeFileSync(file + '.new', 'groups:\n' + groupYaml('edited').replace(/^/gm, '    ').replace(/^    name/, '  - name'));
  renameSync(file + '.new', file);
  await waitFor('the edited rule file to be served', async () => (await send(srv.url, 'GET', `${V1}/git/edited`)).status === 200);
  await expectError(send(srv.url, 'GET', `${V1}/git/from-git`), 404, /group does not exist/);
});

test('hostile requests each get a clear 4xx and the server keeps answering', async (t) => {
  const srv = await started(t, { max_body_bytes: 64 * 1024, ruler: { max_rules_per_group: 5, max_groups_per_tenant: 3 } });
  const post = (path: string, body: string, headers: Record<string, string> = {}) => send(srv.url, 'POST', path, headers, body);

  // Malformed YAML, wrong shapes, unknown fields, a missing expression.
  await expectError(post(`${V1}/ns`, 'name: g\nrules: [\n  - alert: {'), 400, /./);
  await expectError(post(`${V1}/ns`, ''), 400, /./);
  await expectError(post(`${V1}/ns`, '- name: g\n'), 400, /./);
  await expectError(post(`${V1}/ns`, 'just a string'), 400, /./);
  await expectError(post(`${V1}/ns`, groupYaml('g') + 'colour: blue\n'), 400, /colour/);
  await expectError(post(`${V1}/ns`, 'name: g\nrules:\n  - alert: A\n    expr: sum(x) > 1\n    severity: page\n'), 400, /severity/);
  await expectError(post(`${V1}/ns`, 'name: g\nrules:\n  - alert: A\n'), 400, /expr/);
  // A group with more rules than ruler.max_rules_per_group.
  const six = 'name: big\nrules:\n' + Array.from({ length: 6 }, (_, i) => `  - record: r${i}\n    expr: sum(rate({a="b"}[1m]))\n`).join('');
  await expectError(post(`${V1}/ns`, six), 400, /5|limit|many/);
  // More groups than ruler.max_groups_per_tenant.
  for (const g of ['g1', 'g2', 'g3']) await expectAccepted(post(`${V1}/ns`, groupYaml(g)));
  await expectError(post(`${V1}/ns`, groupYaml('g4')), 400, /^per-user rule groups limit \(limit: 3 actual: 4\) exceeded\n$/);
  await expectAccepted(post(`${V1}/ns`, groupYaml('g1', 7)));
  // A body over max_body_bytes, declared and chunked.
  const huge = 'name: huge\nrules:\n' + '  - record: r\n    expr: sum(rate({a="b"}[1m]))\n'.repeat(2000);
  await expectError(post(`${V1}/ns`, huge), 413, /exceeds the limit of 65536 bytes/);
  await expectError(post(`${V1}/ns`, huge, { 'Transfer-Encoding': 'chunked' }), 413, /exceeds the limit of 65536 bytes/);

  // Names: dots never reach the store, bad escapes and over-long names are refused.
  for (const bad of ['%2E%2E', '..', '%2e']) {
    const r = await post(`${V1}/${bad}`, groupYaml('dots'));
    assert.ok(r.status >= 400 && r.status < 500, `${bad}: ${r.status} ${r.text}`);
  }
  await expectError(post(`${V1}/ns`, groupYaml('..')), 400, /invalid group name "\.\."/);
  await expectError(post(`${V1}/%ZZ`, groupYaml('x')), 400, /invalid URL escape in path segment "%ZZ"/);
  await expectError(post(`${V1}/%C3%28`, groupYaml('x')), 400, /invalid URL escape/);
  await expectError(post(`${V1}/${'n'.repeat(300)}`, groupYaml('x')), 400, /namespace name too long/);
  // Longer than node's header limit: refused before routing (Request Header Fields Too Large).
  assert.equal((await send(srv.url, 'GET', `${V1}/${'n'.repeat(20_000)}`)).status, 431);
  const list = (await getYaml(srv, V1)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(list), ['ns'], 'nothing but the accepted groups was stored');

  assert.equal((await send(srv.url, 'GET', '/ready')).status, 200);
});

test('odd but valid names round-trip: encoded slashes, spaces, Unicode, __proto__', async (t) => {
  const srv = await started(t);
  const names = ['a/b', 'with space', 'ünïcødé 名前', '__proto__', '%2F literally', "!*'()"];
  for (const ns of names) await expectAccepted(send(srv.url, 'POST', `${V1}/${encodeURIComponent(ns)}`, {}, groupYaml('g')));
  const list = (await getYaml(srv, V1)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(list).sort(), [...names].sort());
  for (const ns of names) {
    assert.deepEqual(await getYaml(srv, `${V1}/${encodeURIComponent(ns)}/g`), parseYaml(groupYaml('g')));
    await expectAccepted(send(srv.url, 'DELETE', `${V1}/${encodeURIComponent(ns)}`));
  }
  await expectError(send(srv.url, 'GET', V1), 404, /no rule groups found/);
});

/**
 * Runs `fn` while timing the event loop of this process (the server's): the longest gap between
 * ticks, less the garbage-collection pauses inside it. A major GC of the test's own 8000-rule objects
 * can land in the window on a loaded machine (it once held the loop 858 ms); it is not the parsing or
 * printing this test is about, and the rest of the gap still is counted.
 */
async function longestStall(fn: () => Promise<void>): Promise<number> {
  const gaps: Array<{ start: number; end: number }> = [];
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    gaps.push({ start: last, end: now });
    last = now;
  }, 5);
  const gc = new PerformanceObserver(() => {});
  gc.observe({ entryTypes: ['gc'] });
  try {
    await fn();
  } finally {
    clearInterval(ticker);
  }
  const now = performance.now();
  gaps.push({ start: last, end: now });
  const pauses = gc.takeRecords();
  gc.disconnect();
  let longest = 0;
  for (const g of gaps) {
    let inGc = 0;
    for (const p of pauses) inGc += Math.max(0, Math.min(g.end, p.startTime + p.duration) - Math.max(g.start, p.startTime));
    longest = Math.max(longest, g.end - g.start - inGc);
  }
  return longest;
}

test('a large group is parsed and printed off the event loop: the server keeps its pace meanwhile', async (t) => {
  const srv = await started(t, { ruler: { max_rules_per_group: 100_000 } });
  const rules = Array.from({ length: 8000 }, (_, i) => `  - alert: A${i}\n    expr: sum(count_over_time({app="a${i}"} |= "ERROR" [1m])) > ${i}\n    for: 5m\n    labels:\n      severity: page\n`);
  const body = 'name: large\nrules:\n' + rules.join('');
  // What the work would cost on the event loop here, now (the machine may be loaded).
  let t0 = performance.now();
  const spec = parseRuleGroup(body, { maxRulesPerGroup: 100_000 });
  const parseMs = performance.now() - t0;
  // Printing is timed warm (its first run also compiles), so the bound below is not loose.
  formatNamespacesYaml({ big: [spec] });
  t0 = performance.now();
  formatNamespacesYaml({ big: [spec] });
  const formatMs = performance.now() - t0;

  const postStall = await longestStall(() => expectAccepted(send(srv.url, 'POST', `${V1}/big`, {}, body)));
  assert.ok(postStall < parseMs / 2, `event loop held ${postStall.toFixed(0)} ms by a POST whose parse takes ${parseMs.toFixed(0)} ms`);
  let listed: Reply | undefined;
  const getStall = await longestStall(async () => {
    listed = await send(srv.url, 'GET', V1);
  });
  assert.ok(getStall < formatMs / 2, `event loop held ${getStall.toFixed(0)} ms by a GET whose printing takes ${formatMs.toFixed(0)} ms`);
  t.diagnostic(`parse ${parseMs.toFixed(0)} ms, POST stall ${postStall.toFixed(0)} ms; print ${formatMs.toFixed(0)} ms, GET stall ${getStall.toFixed(0)} ms`);
  assert.equal(listed!.status, 200);
  assert.equal((parseYaml(listed!.text) as { big: Array<{ rules: unknown[] }> }).big[0]!.rules.length, 8000);
});

test('with ruler.enabled false the ruler API is not served and nothing is written under the data directory', async (t) => {
  const srv = await started(t, { ruler: { enabled: false } });
  await expectError(send(srv.url, 'POST', `${V1}/ns`, {}, groupYaml('g')), 404, /404 page not found/);
  await expectError(send(srv.url, 'GET', V1), 404, /404 page not found/);
  assert.ok(!existsSync(join(srv.dir, 'rules')));
});
