/**
 * Every panel query of the provisioned dashboards returns data (issue #14): the container logs
 * overview's LogQL against a real server holding the benchmark corpus (bench/corpus.mjs), the health
 * dashboard's PromQL against a real Prometheus scraping that server's /metrics. Service health
 * (issue #16): a small service instrumented with the kit (httpMiddleware, registry) in this process,
 * scraped by a real Prometheus running the rendered Compose scrape configuration (its static
 * target and services directory rewritten to this test's ports and a temporary directory, its
 * intervals to 1s), its kit lines pushed into the real server. Grafana itself does
 * not run here: its variables and interval macros are replaced the way Grafana does for "All" and a
 * range (`$container` → `.+`, `$__auto` → a step, `$__range` → the range).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, removeDir, tempDir, type RunningServer } from './helpers/server.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { waitFor } from '../helpers/wait-for.js';
import { containerLogsDashboard, healthDashboard } from '../../src/deploy/dashboards.js';
import { SOURCES_PATH, type SourceReport } from '../../src/api/sources.js';
import { createServer as createHttpServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { serviceHealthDashboard } from '../../src/deploy/dashboards.js';
import { render } from '../../src/deploy/render.js';
import { parseDeployValues } from '../../src/deploy/values.js';
import { PROMETHEUS_SERVICES_DIR } from '../../src/deploy/prometheus.js';
import { SERVER_PORT } from '../../src/deploy/layout.js';
import { createLogger, getLogger, httpMiddleware, registry } from '../../src/kit/index.js';

const GENERATOR = fileURLToPath(new URL('../../bench/corpus.mjs', import.meta.url));
const SEED = 7;
const LINES = 20_000;
// The corpus spans about a day from START: end it just before now, so nothing is in the future.
const HOUR = 3_600_000;
const START_MS = Math.floor(Date.now() / HOUR) * HOUR - 26 * HOUR;
const RANGE_S = 27 * 3600;

let server: RunningServer;
let dir: string;

before(async () => {
  dir = tempDir('logwharf-dashboards-');
  const corpus = join(dir, 'corpus.tsv');
  execFileSync(process.execPath, [GENERATOR], { env: { ...process.env, SEED: String(SEED), LINES: String(LINES), START: new Date(START_MS).toISOString(), OUT: corpus }, stdio: 'ignore' });
  server = await startServer({
    data: join(dir, 'data'),
    limits: { reject_old_samples: false, ingestion_rate_mb: 1024, ingestion_burst_size_mb: 1024, per_stream_rate_limit_mb: 1024, per_stream_rate_limit_burst_mb: 1024 },
    retention: { period: '30d' },
  });
  const streams = new Map<string, Array<[string, string]>>();
  for (const row of readFileSync(corpus, 'utf8').split('\n')) {
    if (row === '') continue;
    const t1 = row.indexOf('\t');
    const t2 = row.indexOf('\t', t1 + 1);
    const c = row.slice(t1 + 1, t2);
    (streams.get(c) ?? streams.set(c, []).get(c)!).push([`${row.slice(0, t1)}000000`, row.slice(t2 + 1)]);
  }
  const body = JSON.stringify({ streams: [...streams].map(([container, values]) => ({ stream: { job: 'docker', container }, values })) });
  const res = await fetch(`${server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 204, await res.text());
});

after(async () => {
  await server?.close();
  if (dir) removeDir(dir);
});

/** Grafana's substitutions for "All" selected over the corpus' range. */
function expand(expr: string): string {
  return expr.replaceAll('$container', '.+').replaceAll('$level', '.+').replaceAll('$__auto', '10m').replaceAll('$__range', `${RANGE_S}s`);
}

test('every panel of the container logs overview returns data from the corpus', async () => {
  const d = containerLogsDashboard();
  assert.ok(d.panels.length >= 5);
  const end = Date.now();
  for (const panel of d.panels) {
    for (const target of panel.targets) {
      const expr = expand(target.expr);
      const params = target.queryType === 'instant'
        ? new URLSearchParams({ query: expr, time: String(end / 1000) })
        : new URLSearchParams({ query: expr, start: String(end / 1000 - RANGE_S), end: String(end / 1000), step: '600', limit: '100' });
      const path = target.queryType === 'instant' ? '/loki/api/v1/query' : '/loki/api/v1/query_range';
      const res = await fetch(`${server.url}${path}?${params}`);
      const text = await res.text();
      assert.equal(res.status, 200, `${panel.title} ${target.refId}: ${text}`);
      const result = (JSON.parse(text) as { data: { result: unknown[] } }).data.result;
      assert.ok(result.length > 0, `${panel.title} ${target.refId} returned no data: ${expr}`);
    }
  }
  // The level variable's values are what the detector gives: each one the corpus has is found.
  const levels = await fetch(`${server.url}/loki/api/v1/query?${new URLSearchParams({ query: `sum by (detected_level) (count_over_time({container=~".+"} [${RANGE_S}s]))`, time: String(end / 1000) })}`);
  const found = ((await levels.json()) as { data: { result: Array<{ metric: Record<string, string> }> } }).data.result.map((r) => r.metric.detected_level!);
  const offered = String(d.templating.list.find((v) => v.name === 'level')!.query).split(',');
  for (const l of found) assert.ok(offered.includes(l), `detected_level "${l}" is not offered by the level variable (${offered.join(',')})`);
});

test('every panel of the health dashboard returns data from a real Prometheus scraping the server', async (t) => {
  const target = server.url.replace(/^http:\/\//, '');
  const prom = await startPrometheus(t, { scrapeConfigs: [{ job_name: 'logwharf', scrape_interval: '1s', static_configs: [{ targets: [target] }] }] });
  if (!prom) return;
  t.after(() => prom.close());
  // An agent's report, as src/agent sends it, so the registry's gauges have series.
  const report: SourceReport = {
    agent: { id: 'dash-agent', host: 'node-1', version: 'test', started_at: new Date().toISOString() },
    sources: [{ id: 'docker:abc', kind: 'docker', container: 'api-gateway', labels: { container: 'api-gateway' }, state: 'tailing', lines_read: 10, lines_shipped: 10, bytes_shipped: 100, lines_dropped: 0, lag_seconds: 0, first_seen: new Date().toISOString(), last_shipped_at: new Date().toISOString() }],
  };
  const posted = await fetch(`${server.url}${SOURCES_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
  assert.ok(posted.ok, await posted.text());
  // Queries for the latency panel, between scrapes.
  await fetch(`${server.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{container="api-gateway"}', limit: '10' })}`);
  for (const panel of healthDashboard().panels) {
    for (const q of panel.targets) {
      const expr = q.expr.replaceAll('$__rate_interval', '15s');
      await waitFor(`${panel.title} ${q.refId} to return data (${expr})`, async () => {
        // Keep the latency histogram moving so rate() sees two different scrapes.
        await fetch(`${server.url}/loki/api/v1/query?${new URLSearchParams({ query: 'count_over_time({container="api-gateway"}[1m])' })}`);
        const r = await prom.query(expr, Date.now());
        // A route without requests in the window is NaN in histogram_quantile, as in Grafana: data is a number somewhere.
        return r.some((s) => s.value[1] !== 'NaN') ? r : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500 });
    }
  }
});

/** The kit-instrumented service: 200s, some slow, and 500s that log an error; /metrics outside the middleware, as a service would. */
async function startKitService(destination: Writable): Promise<{ server: Server; url: string }> {
  const log = createLogger({ service: 'checkout', version: '1.0.0', env: 'test', level: 'info', destination });
  const mw = httpMiddleware(log);
  const server = createHttpServer((req, res) => {
    if (req.url === '/metrics') {
      void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
      return;
    }
    mw(req, res, () => {
      if (req.url?.startsWith('/fail')) {
        getLogger().error({ err: new Error('payment provider down') }, 'charge failed');
        res.writeHead(500).end('failed');
        return;
      }
      getLogger().info('order loaded');
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${addr.port}` };
}

test('every panel of the service health dashboard returns data: kit metrics via the rendered Compose scrape configuration, kit logs in the server', async (t) => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(l);
      done();
    },
  });
  const svc = await startKitService(destination);
  t.after(() => new Promise<void>((resolve) => svc.server.close(() => resolve())));

  // The rendered Compose scrape configuration, pointed at this test's processes.
  const rendered = parse(render('compose', parseDeployValues({})).get('prometheus/prometheus.yml')!) as { scrape_configs: Array<Record<string, unknown>> };
  const servicesDir = join(dir, 'prometheus-services');
  mkdirSync(servicesDir);
  writeFileSync(join(servicesDir, 'checkout.yml'), stringify([{ targets: [svc.url.replace('http://', '')], labels: { service: 'checkout' } }]));
  const serverTarget = server.url.replace(/^http:\/\//, '');
  const jobs: Array<Record<string, unknown>> = rendered.scrape_configs.map((job) => ({
    ...(JSON.parse(JSON.stringify(job).replaceAll(`logwharf:${SERVER_PORT}`, serverTarget).replaceAll(PROMETHEUS_SERVICES_DIR, servicesDir)) as Record<string, unknown>),
    scrape_interval: '1s',
  }));
  assert.deepEqual(jobs.map((j) => j.job_name), ['logwharf', 'services']);
  const prom = await startPrometheus(t, { scrapeConfigs: jobs });
  if (!prom) return;
  t.after(() => prom.close());

  async function traffic(): Promise<void> {
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${svc.url}/orders/${i}`)).status, 200);
    assert.equal((await fetch(`${svc.url}/fail`)).status, 500);
  }
  await traffic();
  // Both targets up, each with its `service` label: the server (and under `up` its agent) and the kit service.
  await waitFor('both jobs of the rendered configuration to be scraped', async () => {
    const up = await prom.query('up == 1', Date.now());
    const jobsUp = up.map((s) => `${s.metric.job}/${s.metric.service}`).sort();
    return jobsUp.join(',') === 'logwharf/logwharf,services/checkout' ? jobsUp : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 });

  // The service variable offers the service.
  const values = await fetch(`${prom.url}/api/v1/label/service/values?${new URLSearchParams({ 'match[]': 'http_requests_total' })}`);
  assert.deepEqual(((await values.json()) as { data: string[] }).data, ['checkout']);

  const d = serviceHealthDashboard();
  assert.ok(d.templating.list.some((v) => v.name === 'service'));
  // "All" and the one service, as Grafana substitutes them.
  for (const selected of ['.+', 'checkout']) {
    for (const panel of d.panels.filter((p) => p.datasource.type === 'prometheus')) {
      for (const q of panel.targets) {
        const expr = q.expr.replaceAll('$service', selected).replaceAll('$__rate_interval', '15s');
        await waitFor(`${panel.title} ${q.refId} to return data (${expr})`, async () => {
          await traffic();
          const r = await prom.query(expr, Date.now());
          const numbers = r.filter((s) => s.value[1] !== 'NaN');
          return numbers.length > 0 && numbers.every((s) => s.metric.service === 'checkout') ? numbers : undefined;
        }, { timeoutMs: 60_000, intervalMs: 500 });
      }
    }
  }
  // The error rate is the 5xx share: one request in six fails.
  const errPanel = d.panels.find((p) => p.title.startsWith('Error rate'))!;
  const share = await prom.query(errPanel.targets[0]!.expr.replaceAll('$service', 'checkout').replaceAll('$__rate_interval', '1m'), Date.now());
  const ratio = Number(share[0]!.value[1]);
  assert.ok(ratio > 0.1 && ratio < 0.25, `error share ${ratio}, expected about 1/6`);

  // Ship the service's kit lines into the server as the agent would (a container's stream).
  const now = Date.now();
  const values2 = lines.map((l, i): [string, string] => [String(BigInt(now - lines.length + i) * 1_000_000n), l]);
  const pushed = await fetch(`${server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: { job: 'docker', container: 'shop-checkout-1' }, values: values2 }] }) });
  assert.equal(pushed.status, 204, await pushed.text());
  const end = Date.now() + 1000;
  for (const selected of ['.+', 'checkout']) {
    for (const panel of d.panels.filter((p) => p.datasource.type === 'loki')) {
      for (const q of panel.targets) {
        const expr = q.expr.replaceAll('$service', selected).replaceAll('$__auto', '1m');
        const params = new URLSearchParams({ query: expr, start: String(end / 1000 - 3600), end: String(end / 1000), step: '60', limit: '100' });
        const res = await fetch(`${server.url}/loki/api/v1/query_range?${params}`);
        const text = await res.text();
        assert.equal(res.status, 200, `${panel.title} ${q.refId}: ${text}`);
        const data = (JSON.parse(text) as { data: { resultType: string; result: Array<{ metric?: Record<string, string>; values: Array<[string, string]> }> } }).data;
        assert.ok(data.result.length > 0, `${panel.title} ${q.refId} returned no data: ${expr}`);
        if (panel.type === 'logs') {
          const texts = data.result.flatMap((r) => r.values.map((v) => v[1]));
          // The handler's error and the 500's access line (the kit logs a 5xx at error), nothing at info.
          assert.ok(texts.every((l) => (JSON.parse(l) as { level: string }).level === 'error'), `${panel.title}: a line below error`);
          assert.ok(texts.some((l) => l.includes('"msg":"charge failed"')), `${panel.title}: the handler's error is missing`);
        } else {
          assert.ok(data.result.some((r) => r.metric?.detected_level === 'error'), `${panel.title}: no error-level series`);
          assert.ok(data.result.every((r) => r.metric?.service === 'checkout'), `${panel.title}: a series of another service`);
        }
      }
    }
  }
  // Another service's selection shows none of checkout's lines.
  const other = await fetch(`${server.url}/loki/api/v1/query_range?${new URLSearchParams({ query: d.panels.find((p) => p.type === 'logs')!.targets[0]!.expr.replaceAll('$service', 'billing'), start: String(end / 1000 - 3600), end: String(end / 1000), limit: '10' })}`);
  assert.equal(((await other.json()) as { data: { result: unknown[] } }).data.result.length, 0);
});
