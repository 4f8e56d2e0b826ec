/**
 * Every panel query of the provisioned dashboards returns data (issue #14): the container logs
 * overview's LogQL against a real server holding the benchmark corpus (bench/corpus.mjs), the health
 * dashboard's PromQL against a real Prometheus scraping that server's /metrics. Grafana itself does
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
