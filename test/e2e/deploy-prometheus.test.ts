/**
 * The Prometheus scrape configurations rendered with the deployment outputs (issue #16):
 * - every rendered prometheus.yml (Kubernetes ConfigMap, Compose profile, grafana target; defaults
 *   and with TLS, tokens, the metrics token, the Collector) passes the real `promtool check config`,
 *   and promtool refuses a broken one, so the check can fail;
 * - a real Prometheus running the Compose configuration with the metrics token on scrapes a real
 *   server whose /metrics needs it (the static target and the token path rewritten to this test's
 *   port and a temporary file);
 * - the Kubernetes jobs' relabelling keeps and labels the right pods in a real Prometheus.
 * Kubernetes is not available here, and Debian's Prometheus 2.42 is built without Kubernetes service
 * discovery (promtool rejects `kubernetes_sd_configs` as an unknown field). So each Kubernetes job's
 * `kubernetes_sd_configs` is replaced by a `file_sd_configs` stand-in listing the pods that pod
 * discovery would give, with the same `__meta_kubernetes_*` labels; the relabel rules, TLS and
 * authorization sections are the rendered ones.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer as createHttpServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { startServer, removeDir, tempDir, type RunningServer } from './helpers/server.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { requireBinary } from '../helpers/peer-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { render } from '../../src/deploy/render.js';
import { parseDeployValues } from '../../src/deploy/values.js';
import { PROMETHEUS_CA_FILE, PROMETHEUS_SERVICES_DIR, PROMETHEUS_TOKEN_FILE } from '../../src/deploy/prometheus.js';
import { SERVER_PORT } from '../../src/deploy/layout.js';
import { registry, requestsTotal } from '../../src/kit/metrics.js';

const PROMTOOL = '/usr/bin/promtool';
const run = promisify(execFile);
type Job = Record<string, unknown>;
type Config = { scrape_configs: Job[] };

let dir: string;
before(() => {
  dir = tempDir('logwharf-deploy-prom-');
});
after(() => removeDir(dir));

const VARIANTS: Record<string, unknown> = {
  defaults: {},
  secured: { namespace: 'logs', tls: { secret: 'logwharf-tls' }, tokens: { enabled: true }, prometheus: { metrics_token: { enabled: true } } },
  collector: { collector: { enabled: true } },
};

/** Every prometheus.yml the targets render from `raw` values, by where it is written. */
function renderedConfigs(raw: unknown): Map<string, Config> {
  const v = parseDeployValues(raw);
  const out = new Map<string, Config>();
  const k8s = render('kubernetes', v).get('50-prometheus.yaml')!;
  const cm = parseAllDocuments(k8s).map((d) => d.toJS() as { kind: string; metadata: { name: string }; data: Record<string, string> }).find((o) => o.metadata.name === 'logwharf-prometheus')!;
  out.set('kubernetes', parse(cm.data['prometheus.yml']!) as Config);
  out.set('compose', parse(render('compose', v).get('prometheus/prometheus.yml')!) as Config);
  out.set('grafana', parse(render('grafana', v).get('prometheus/prometheus.yml')!) as Config);
  return out;
}

/** The files the configuration names, made to exist under `root` (promtool checks that they do). */
function localise(cfg: Config, root: string, sd: (job: Job) => Job = (j) => j): Config {
  mkdirSync(join(root, 'services'), { recursive: true });
  // The Compose profile's services file as rendered (no targets).
  writeFileSync(join(root, 'services', 'services.yml'), render('compose', parseDeployValues({})).get('prometheus/services/services.yml')!);
  writeFileSync(join(root, 'token'), 'metrics-token-for-promtool-0123456789\n');
  writeFileSync(join(root, 'ca.crt'), '');
  const text = JSON.stringify(cfg).replaceAll(PROMETHEUS_TOKEN_FILE, join(root, 'token')).replaceAll(PROMETHEUS_CA_FILE, join(root, 'ca.crt')).replaceAll(PROMETHEUS_SERVICES_DIR, join(root, 'services'));
  const local = JSON.parse(text) as Config;
  return { ...local, scrape_configs: local.scrape_configs.map(sd) };
}

/** The file_sd stand-in for pod discovery (see the header): the job's pods in a file of their own. */
function podDiscoveryStandIn(root: string, pods: PodTarget[]): (job: Job) => Job {
  return (job) => {
    const k8s = job.kubernetes_sd_configs as Array<{ role: string; namespaces?: { names: string[] } }> | undefined;
    if (!k8s) return job;
    assert.deepEqual(k8s.map((s) => s.role), ['pod']);
    const names = k8s[0]!.namespaces?.names;
    const file = join(root, `${String(job.job_name)}.json`);
    const groups = pods.filter((p) => !names || names.includes(p.labels.__meta_kubernetes_namespace!));
    writeFileSync(file, JSON.stringify(groups));
    const { kubernetes_sd_configs: _dropped, ...rest } = job;
    return { ...rest, file_sd_configs: [{ files: [file], refresh_interval: '1s' }] };
  };
}

interface PodTarget {
  targets: string[];
  labels: Record<string, string>;
}

/** One target of pod discovery: a pod's container port, with the meta labels Prometheus' Kubernetes SD gives it. */
function pod(p: { ns: string; name: string; container: string; port: string; address: string; labels?: Record<string, string>; annotations?: Record<string, string> }): PodTarget {
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: p.ns,
    __meta_kubernetes_pod_name: p.name,
    __meta_kubernetes_pod_phase: 'Running',
    __meta_kubernetes_pod_container_name: p.container,
    __meta_kubernetes_pod_container_port_name: p.port,
  };
  const clean = (k: string) => k.replace(/[^a-zA-Z0-9_]/g, '_');
  for (const [k, v] of Object.entries(p.labels ?? {})) labels[`__meta_kubernetes_pod_label_${clean(k)}`] = v;
  for (const [k, v] of Object.entries(p.annotations ?? {})) labels[`__meta_kubernetes_pod_annotation_${clean(k)}`] = v;
  return { targets: [p.address], labels };
}

async function promtool(file: string): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, ['check', 'config', file]);
    return { ok: true, out: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

test('every rendered prometheus.yml passes the real promtool check config, and promtool refuses a broken one', async (t) => {
  if (!requireBinary(t, PROMTOOL, 'prometheus')) return;
  for (const [variant, raw] of Object.entries(VARIANTS)) {
    for (const [target, cfg] of renderedConfigs(raw)) {
      const root = join(dir, `check-${variant}-${target}`);
      const file = join(root, 'prometheus.yml');
      const local = localise(cfg, root, podDiscoveryStandIn(root, []));
      writeFileSync(file, stringify(local));
      const r = await promtool(file);
      assert.ok(r.ok && r.out.includes('SUCCESS'), `${variant} ${target}: ${r.out}`);
      assert.doesNotMatch(r.out, /WARNING/, `${variant} ${target}`);
    }
  }
  // A relabel rule with a broken regex: the check is real.
  const cfg = renderedConfigs({}).get('kubernetes')!;
  const root = join(dir, 'check-broken');
  const local = localise(cfg, root, podDiscoveryStandIn(root, []));
  (local.scrape_configs[2]!.relabel_configs as Job[])[0]!.regex = '(true';
  writeFileSync(join(root, 'prometheus.yml'), stringify(local));
  const r = await promtool(join(root, 'prometheus.yml'));
  assert.equal(r.ok, false, r.out);
  assert.match(r.out, /error parsing regexp/);
});

test('the values reach the scrape configuration: metrics token, TLS, namespace, Collector', () => {
  const secured = renderedConfigs(VARIANTS.secured);
  const k8s = secured.get('kubernetes')!.scrape_configs;
  assert.deepEqual(k8s.map((j) => j.job_name), ['logwharf', 'logwharf-agent', 'kubernetes-pods']);
  assert.deepEqual(k8s[0]!.authorization, { type: 'Bearer', credentials_file: PROMETHEUS_TOKEN_FILE });
  assert.equal(k8s[0]!.scheme, 'https');
  assert.deepEqual(k8s[0]!.tls_config, { ca_file: PROMETHEUS_CA_FILE, server_name: 'logwharf.logs.svc' });
  assert.deepEqual((k8s[0]!.kubernetes_sd_configs as Job[])[0]!.namespaces, { names: ['logs'] });
  // The agent's /metrics is neither TLS nor guarded.
  assert.equal(k8s[1]!.authorization, undefined);
  assert.equal(k8s[1]!.scheme, undefined);
  assert.deepEqual(secured.get('compose')!.scrape_configs[0]!.authorization, { type: 'Bearer', credentials_file: PROMETHEUS_TOKEN_FILE });
  // The server is rendered with the file the token is mounted at.
  const serverDocs = parseAllDocuments(render('kubernetes', parseDeployValues(VARIANTS.secured)).get('20-server.yaml')!).map((d) => d.toJS());
  const cm = serverDocs.find((o) => o.kind === 'ConfigMap');
  assert.equal(parse(cm.data['server.yaml']).auth.metrics_token_file, '/etc/logwharf/metrics-token/token');
  const sts = serverDocs.find((o) => o.kind === 'StatefulSet');
  assert.ok(sts.spec.template.spec.volumes.some((vol: { secret?: { secretName: string } }) => vol.secret?.secretName === 'logwharf-metrics-token'));
  const composeServer = parse(render('compose', parseDeployValues(VARIANTS.secured)).get('logwharf.yaml')!);
  assert.equal(composeServer.auth.metrics_token_file, '/etc/logwharf/metrics-token/token');
  // Defaults: no token, plain HTTP; the Collector replaces the agent's job.
  const defaults = renderedConfigs({}).get('kubernetes')!.scrape_configs;
  assert.equal(defaults[0]!.authorization, undefined);
  assert.equal(defaults[0]!.scheme, undefined);
  assert.deepEqual(renderedConfigs(VARIANTS.collector).get('kubernetes')!.scrape_configs.map((j) => j.job_name), ['logwharf', 'kubernetes-pods']);
  // prometheus.enabled false renders none.
  const off = parseDeployValues({ prometheus: { enabled: false } });
  assert.equal(render('kubernetes', off).has('50-prometheus.yaml'), false);
  assert.equal(render('compose', off).has('prometheus/prometheus.yml'), false);
  assert.equal(parse(render('compose', off).get('docker-compose.yml')!).services.prometheus, undefined);
});

let server: RunningServer | undefined;
after(async () => server?.close());

test('a real Prometheus with the Compose configuration scrapes a real server whose /metrics needs the metrics token', async (t) => {
  const root = join(dir, 'compose-token');
  const local = localise(renderedConfigs(VARIANTS.secured).get('compose')!, root);
  server = await startServer({ data: join(dir, 'data'), auth: { metrics_token_file: join(root, 'token') } });
  const target = server.url.replace(/^http:\/\//, '');
  const jobs = local.scrape_configs.map((j) => ({ ...(JSON.parse(JSON.stringify(j).replaceAll(`logwharf:${SERVER_PORT}`, target)) as Job), scrape_interval: '1s' }));
  // The same job without the token, to show the guard is on.
  const unauthenticated = { ...jobs[0]!, job_name: 'no-token', authorization: undefined };
  delete unauthenticated.authorization;
  const prom = await startPrometheus(t, { scrapeConfigs: [...jobs, unauthenticated] });
  if (!prom) return;
  t.after(() => prom.close());
  const byJob = await waitFor('both logwharf jobs scraped once', async () => {
    const ts = await prom.targets();
    const m = new Map(ts.map((x) => [x.scrapePool, x]));
    return m.get('logwharf')?.health === 'up' && m.get('no-token')?.health === 'down' ? m : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  assert.match(byJob.get('no-token')!.lastError, /401/);
  const ingested = await prom.query('logwharf_store_head_bytes{job="logwharf", service="logwharf"}', Date.now());
  assert.ok(ingested.length > 0, 'the server\'s own metrics under the service label logwharf');
});

test('the Kubernetes jobs keep the server, the agents and annotated pods, with namespace, pod, container and service labels', async (t) => {
  // A server without the metrics token (the defaults' configuration has none).
  const plain = await startServer({ data: join(dir, 'data-k8s') });
  t.after(() => plain.close());
  // An application pod instrumented with the kit: its /metrics is the kit's registry.
  requestsTotal.inc({ method: 'GET', route: '/orders/:id', status_code: '200' });
  const app = createHttpServer((_req, res) => void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text)));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => app.close(() => resolve())));
  const appPort = (app.address() as { port: number }).port;
  const serverAddr = plain.url.replace(/^http:\/\//, '');
  const pods = [
    pod({ ns: 'logwharf', name: 'logwharf-0', container: 'server', port: 'http', address: serverAddr, labels: { 'app.kubernetes.io/name': 'logwharf' } }),
    // No agent runs here: the agent pod's address is the server's, whose /metrics answers too.
    pod({ ns: 'logwharf', name: 'logwharf-agent-x7k2p', container: 'agent', port: 'metrics', address: serverAddr, labels: { 'app.kubernetes.io/name': 'logwharf-agent' } }),
    // Annotated: scraped on the annotation's port, not the declared one.
    pod({ ns: 'shop', name: 'checkout-5d8f', container: 'web', port: 'http', address: '127.0.0.1:1', labels: { app: 'shop', 'app.kubernetes.io/name': 'checkout' }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(appPort) } }),
    // Not annotated, and a pod of another namespace named like the server: neither is scraped.
    pod({ ns: 'shop', name: 'billing-1', container: 'web', port: 'http', address: '127.0.0.1:2', labels: { 'app.kubernetes.io/name': 'billing' } }),
    pod({ ns: 'other', name: 'logwharf-0', container: 'server', port: 'http', address: '127.0.0.1:3', labels: { 'app.kubernetes.io/name': 'logwharf' } }),
  ];
  const root = join(dir, 'k8s-relabel');
  const local = localise(renderedConfigs({}).get('kubernetes')!, root, podDiscoveryStandIn(root, pods));
  const prom = await startPrometheus(t, { scrapeConfigs: local.scrape_configs.map((j) => ({ ...j, scrape_interval: '1s' })) });
  if (!prom) return;
  t.after(() => prom.close());
  const up = await waitFor('the three kept targets up', async () => {
    const r = await prom.query('up == 1', Date.now());
    return r.length === 3 ? r : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  const seen = up.map((s) => ({ job: s.metric.job, service: s.metric.service, namespace: s.metric.namespace, pod: s.metric.pod, container: s.metric.container })).sort((a, b) => a.job!.localeCompare(b.job!));
  assert.deepEqual(seen, [
    { job: 'kubernetes-pods', service: 'checkout', namespace: 'shop', pod: 'checkout-5d8f', container: 'web' },
    { job: 'logwharf', service: 'logwharf', namespace: 'logwharf', pod: 'logwharf-0', container: 'server' },
    { job: 'logwharf-agent', service: 'logwharf-agent', namespace: 'logwharf', pod: 'logwharf-agent-x7k2p', container: 'agent' },
  ]);
  const appSeries = await prom.query('http_requests_total{job="kubernetes-pods"}', Date.now());
  assert.equal(appSeries[0]?.metric.service, 'checkout');
  assert.equal(appSeries[0]?.metric.instance, `127.0.0.1:${appPort}`);
});
