/**
 * The OpenTelemetry Collector alternative (`collector.enabled`): it replaces the agent DaemonSet,
 * its objects are valid Kubernetes objects with the agent's limits, mounts and identity, and its
 * exporter points at the OTLP endpoint a real server serves. The Collector itself cannot run here:
 * the test posts what its otlphttp exporter posts (OTLP/HTTP JSON at <endpoint>/v1/logs) to that path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseDeployValues } from '../../../src/deploy/values.js';
import { kubernetesObjects } from '../../../src/deploy/render.js';
import type { K8sObject } from '../../../src/deploy/k8s-common.js';
import { validateObject } from './k8s-validate.js';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { agentConfig } from '../../../src/deploy/role-configs.js';
import { renderCollectorConfig } from '../../../src/fleet/otel-collector.js';
import { collectorProblems } from '../fleet/collector-schema.js';
import { startServer, removeDir } from '../../e2e/helpers/server.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

function render(raw: unknown): { files: string[]; objects: K8sObject[] } {
  const m = kubernetesObjects(parseDeployValues(raw));
  return { files: [...m.keys()], objects: [...m.values()].flat() };
}

test('collector.enabled replaces the agent DaemonSet with the Collector; every object is valid', () => {
  const { files, objects } = render({ collector: { enabled: true }, tls: { secret: 'logwharf-tls' }, tokens: { enabled: true } });
  assert.ok(files.includes('30-otel-collector.yaml'));
  assert.ok(!files.includes('30-agent.yaml'));
  for (const o of objects) validateObject(o);
  const ds = objects.filter((o) => o.kind === 'DaemonSet') as Any[];
  assert.deepEqual(ds.map((d) => d.metadata.name), ['logwharf-otel-collector']);
  const pod = ds[0].spec.template.spec;
  const c = pod.containers[0];
  assert.equal(c.image, 'otel/opentelemetry-collector-contrib:0.111.0');
  assert.deepEqual(c.resources.limits, { cpu: '100m', memory: '128Mi' });
  for (const dir of ['/var/log/pods', '/var/log/containers', '/var/lib/docker/containers']) {
    assert.equal(c.volumeMounts.find((m: Any) => m.mountPath === dir)?.readOnly, true, dir);
  }
  assert.equal(pod.serviceAccountName, 'logwharf-agent');
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  const np = objects.find((o) => o.kind === 'NetworkPolicy') as Any;
  assert.deepEqual(np.spec.ingress[0].from[0], { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'logwharf-otel-collector' } } });
  const cfg = parse((objects.find((o) => o.metadata.name === 'logwharf-otel-collector-config') as Any).data['config.yaml']);
  assert.equal(cfg.exporters.otlphttp.endpoint, 'https://logwharf.logwharf.svc:3100/otlp');
  assert.equal(cfg.exporters.otlphttp.tls.ca_file, '/etc/logwharf/tls/ca.crt');
  assert.equal(cfg.exporters.otlphttp.headers.Authorization, 'Bearer ${file:/etc/logwharf/token/token}');
  assert.deepEqual(cfg.receivers.filelog.include, ['/var/log/pods/*/*/*.log']);
  // transform/labels: the agent's `app` label from pod labels (src/fleet/otel-collector.ts).
  assert.deepEqual(cfg.service.pipelines.logs, { receivers: ['filelog'], processors: ['memory_limiter', 'k8sattributes', 'transform/labels', 'batch'], exporters: ['otlphttp'] });
  // The deployment's Collector is the fleet builder's rendering of the agent DaemonSet's settings (one source).
  const settings = agentConfigSchema.parse(agentConfig(parseDeployValues({ collector: { enabled: true }, tls: { secret: 'logwharf-tls' }, tokens: { enabled: true } })));
  const fromBuilder = renderCollectorConfig(settings, { server: 'https://logwharf.logwharf.svc:3100', tokenFile: '/etc/logwharf/token/token', caFile: '/etc/logwharf/tls/ca.crt' }).config as Any;
  assert.deepEqual(cfg.processors, fromBuilder.processors);
  assert.deepEqual(cfg.exporters, fromBuilder.exporters);
  assert.deepEqual(cfg.receivers.filelog.operators, fromBuilder.receivers.filelog.operators);
  // Against the Collector components' documented settings (no Collector runs here).
  assert.deepEqual(collectorProblems(cfg), []);
  // What only the deployment adds: checkpoints, the health port, its own logs left out.
  assert.equal(cfg.receivers.filelog.storage, 'file_storage');
  assert.deepEqual(cfg.receivers.filelog.exclude, ['/var/log/pods/logwharf_logwharf-otel-collector-*/*/*.log']);
  assert.deepEqual(cfg.service.extensions, ['health_check', 'file_storage']);
  // Every component the pipeline names is configured.
  for (const kind of ['receivers', 'processors', 'exporters'] as const) for (const name of cfg.service.pipelines.logs[kind]) assert.ok(cfg[kind][name], `${kind}.${name}`);
  for (const name of cfg.service.extensions) assert.ok(cfg.extensions[name], `extensions.${name}`);
});

test('the Collector\'s exporter endpoint + /v1/logs is where a real server takes OTLP logs', async () => {
  const server = await startServer();
  try {
    const { objects } = render({ collector: { enabled: true } });
    const cfg = parse((objects.find((o) => o.metadata.name === 'logwharf-otel-collector-config') as Any).data['config.yaml']);
    const path = new URL(`${cfg.exporters.otlphttp.endpoint}/v1/logs`).pathname;
    const body = {
      resourceLogs: [{
        resource: { attributes: [{ key: 'k8s.namespace.name', value: { stringValue: 'shop' } }, { key: 'k8s.pod.name', value: { stringValue: 'web-1' } }, { key: 'service.name', value: { stringValue: 'web' } }] },
        scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: 'from the collector path' } }] }],
      }],
    };
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok(res.ok, `${path}: ${res.status} ${await res.text()}`);
    const q = await fetch(`${server.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{service_name="web"}', since: '1h' })}`);
    const result = ((await q.json()) as { data: { result: Array<{ values: string[][] }> } }).data.result;
    assert.deepEqual(result.flatMap((s) => s.values.map((v) => v[1])), ['from the collector path']);
  } finally {
    await server.close();
    removeDir(server.dir);
  }
});
