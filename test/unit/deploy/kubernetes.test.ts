/**
 * The Kubernetes path: every rendered object is valid against the OpenAPI schemas, the agent and
 * server have the limits, mounts, probes and security the issue asks for, RBAC grants only reads,
 * and the ConfigMaps hold configurations the roles' own schemas accept. There is no cluster here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments, parse } from 'yaml';
import { parseDeployValues } from '../../../src/deploy/values.js';
import { kubernetesObjects, render } from '../../../src/deploy/render.js';
import type { K8sObject } from '../../../src/deploy/k8s-common.js';
import { serverConfigSchema } from '../../../src/config/server.js';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { validateObject } from './k8s-validate.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

function objects(raw: unknown = {}): K8sObject[] {
  return [...kubernetesObjects(parseDeployValues(raw)).values()].flat();
}
function find(list: K8sObject[], kind: string, name?: string): Any {
  const o = list.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  assert.ok(o, `no ${kind} ${name ?? ''}`);
  return o;
}
const FULL = {
  namespace: 'logs',
  image: 'registry.example.com/logwharf:9.9.9',
  server: { storage_size: '100Gi', storage_class: 'fast-ssd', node_selector: { 'kubernetes.io/os': 'linux' }, tolerations: [{ key: 'dedicated', value: 'logs', effect: 'NoSchedule' }], retention: { period: '30d', streams: [{ selector: '{namespace="dev"}', period: '2d' }] } },
  agent: { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute', toleration_seconds: 60 }] },
  tls: { secret: 'logwharf-tls' },
  tokens: { enabled: true },
  alertmanager_url: 'http://alertmanager.monitoring.svc:9093',
  network_policy: { allowed_namespaces: ['monitoring', 'apps'] },
  prometheus: { metrics_token: { enabled: true, secret: 'scrape-token' } },
};

test('every object of the defaults and of a values file using every option is valid against the Kubernetes OpenAPI schemas', () => {
  for (const raw of [{}, FULL, { grafana: { enabled: false }, network_policy: { enabled: false } }]) {
    const list = objects(raw);
    assert.ok(list.length >= 11, `only ${list.length} objects`);
    for (const o of list) validateObject(o);
  }
});

test('the schema check is real: a malformed DaemonSet is refused', () => {
  const ds = structuredClone(find(objects(), 'DaemonSet'));
  ds.spec.template.spec.containers[0].ports[0].containerPort = 'metrics';
  assert.throws(() => validateObject(ds), /containerPort must be integer/);
  const sts = structuredClone(find(objects(), 'StatefulSet'));
  delete sts.spec.selector;
  assert.throws(() => validateObject(sts), /selector/);
});

test('agent DaemonSet: 100m/128Mi, the small-heap launcher, read-only host log mounts, positions on the host, NODE_NAME, every taint tolerated, probes, read-only root', () => {
  const ds = find(objects(), 'DaemonSet', 'logwharf-agent');
  const pod = ds.spec.template.spec;
  const c = pod.containers[0];
  assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '100m', memory: '128Mi' } });
  assert.deepEqual(c.command, ['/app/bin/logwharf']);
  assert.deepEqual(c.args, ['agent', '--config', '/etc/logwharf/agent.yaml']);
  const volumeOf = (name: string) => pod.volumes.find((v: Any) => v.name === name);
  const mounts = Object.fromEntries(c.volumeMounts.map((m: Any) => [m.mountPath, m]));
  for (const dir of ['/var/log/pods', '/var/log/containers', '/var/lib/docker/containers']) {
    assert.equal(mounts[dir]?.readOnly, true, `${dir} must be mounted read-only`);
    assert.equal(volumeOf(mounts[dir].name).hostPath.path, dir);
  }
  const positions = mounts['/var/lib/logwharf-agent'];
  assert.equal(volumeOf(positions.name).hostPath.path, '/var/lib/logwharf-agent');
  assert.equal(volumeOf(positions.name).hostPath.type, 'DirectoryOrCreate');
  assert.notEqual(positions.readOnly, true);
  // Only the positions directory is writable.
  assert.deepEqual(c.volumeMounts.filter((m: Any) => m.readOnly !== true).map((m: Any) => m.mountPath), ['/var/lib/logwharf-agent']);
  assert.deepEqual(c.env, [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
  assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
  assert.equal(c.readinessProbe.httpGet.path, '/ready');
  assert.equal(c.livenessProbe.httpGet.path, '/ready');
  assert.equal(c.readinessProbe.httpGet.port, c.ports[0].name);
  assert.equal(c.ports[0].containerPort, 3101);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
  assert.equal(pod.serviceAccountName, 'logwharf-agent');
});

test('RBAC: a ServiceAccount bound to a ClusterRole that may only get, list and watch pods, namespaces and nodes', () => {
  const list = objects({ namespace: 'logs' });
  const role = find(list, 'ClusterRole');
  assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] }]);
  const binding = find(list, 'ClusterRoleBinding');
  assert.equal(binding.roleRef.name, role.metadata.name);
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'logwharf-agent', namespace: 'logs' }]);
  assert.equal(find(list, 'ServiceAccount').metadata.namespace, 'logs');
});

test('server StatefulSet: 30Gi claim, probes on /ready, non-root, read-only root, Service, PDB that lets a drain through, NetworkPolicy', () => {
  const list = objects();
  const sts = find(list, 'StatefulSet', 'logwharf');
  const claim = sts.spec.volumeClaimTemplates[0];
  assert.equal(claim.spec.resources.requests.storage, '30Gi');
  assert.equal(claim.spec.storageClassName, undefined);
  const pod = sts.spec.template.spec;
  const c = pod.containers[0];
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    assert.equal(c[probe].httpGet.path, '/ready', probe);
    assert.equal(c[probe].httpGet.scheme, 'HTTP');
  }
  assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } });
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 10001);
  assert.equal(pod.securityContext.fsGroup, 10001);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.volumeMounts.find((m: Any) => m.name === 'data').mountPath, '/var/lib/logwharf');
  assert.equal(sts.spec.serviceName, 'logwharf-headless');
  assert.equal(find(list, 'Service', 'logwharf-headless').spec.clusterIP, 'None');
  assert.equal(find(list, 'Service', 'logwharf').spec.ports[0].port, 3100);
  assert.equal(find(list, 'PodDisruptionBudget').spec.maxUnavailable, 1);
  const np = find(list, 'NetworkPolicy');
  assert.deepEqual(np.spec.policyTypes, ['Ingress']);
  const from = np.spec.ingress[0].from;
  assert.deepEqual(from[0], { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'logwharf-agent' } } });
  assert.deepEqual(from[1].podSelector, { matchLabels: { 'app.kubernetes.io/name': 'grafana' } });
  assert.equal(from.length, 2);
});

test('values reach the objects: namespace, image, storage, scheduling, TLS from a Secret, tokens, allowed namespaces, Alertmanager', () => {
  const list = objects(FULL);
  for (const o of list.filter((x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind))) assert.equal(o.metadata.namespace, 'logs', `${o.kind} ${o.metadata.name}`);
  const sts = find(list, 'StatefulSet');
  const pod = sts.spec.template.spec;
  assert.equal(pod.containers[0].image, 'registry.example.com/logwharf:9.9.9');
  assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '100Gi');
  assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, 'fast-ssd');
  assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
  assert.deepEqual(pod.tolerations, [{ operator: 'Equal', key: 'dedicated', value: 'logs', effect: 'NoSchedule' }]);
  assert.equal(pod.containers[0].readinessProbe.httpGet.scheme, 'HTTPS');
  assert.equal(pod.volumes.find((v: Any) => v.name === 'tls').secret.secretName, 'logwharf-tls');
  const ds = find(list, 'DaemonSet');
  assert.deepEqual(ds.spec.template.spec.tolerations, [{ operator: 'Exists', key: 'gpu', effect: 'NoExecute', tolerationSeconds: 60 }]);
  const agentVolumes = ds.spec.template.spec.volumes;
  assert.deepEqual(agentVolumes.find((v: Any) => v.name === 'tls-ca').secret, { secretName: 'logwharf-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
  assert.equal(agentVolumes.find((v: Any) => v.name === 'token').secret.secretName, 'logwharf-agent-token');
  const np = find(list, 'NetworkPolicy');
  assert.deepEqual(np.spec.ingress[0].from.slice(2), [
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } } },
  ]);
  const server = serverConfigSchema.parse(parse(find(list, 'ConfigMap', 'logwharf-config').data['server.yaml']));
  assert.equal(server.auth.tokens_enabled, true);
  assert.equal(server.tls.cert_file, '/etc/logwharf/tls/tls.crt');
  assert.equal(server.ruler.alertmanager_url, 'http://alertmanager.monitoring.svc:9093');
  assert.deepEqual(server.retention, { period: '30d', streams: [{ selector: '{namespace="dev"}', period: '2d', priority: 0 }] });
  const agent = agentConfigSchema.parse(parse(find(list, 'ConfigMap', 'logwharf-agent-config').data['agent.yaml']));
  assert.equal(agent.client.url, 'https://logwharf.logs.svc:3100');
  assert.equal(agent.client.tls.ca_file, '/etc/logwharf/tls/ca.crt');
  assert.equal(agent.client.bearer_token_file, '/etc/logwharf/token/token');
  const ds2 = parse(find(list, 'ConfigMap', 'logwharf-grafana-datasource').data['logwharf-datasource.yaml']);
  assert.equal(ds2.datasources[0].url, 'https://logwharf.logs.svc:3100');
  assert.equal(ds2.datasources[0].secureJsonData.httpHeaderValue1, 'Bearer $LOGWHARF_TOKEN');
});

test('the ConfigMaps hold configurations the server\'s and the agent\'s own schemas accept, pointing at the mounted paths', () => {
  const list = objects();
  const server = serverConfigSchema.parse(parse(find(list, 'ConfigMap', 'logwharf-config').data['server.yaml']));
  assert.equal(server.listen, '0.0.0.0:3100');
  assert.equal(server.data, '/var/lib/logwharf');
  assert.equal(server.auth.tokens_enabled, false);
  assert.equal(server.tls.cert_file, undefined);
  const agent = agentConfigSchema.parse(parse(find(list, 'ConfigMap', 'logwharf-agent-config').data['agent.yaml']));
  assert.equal(agent.client.url, 'http://logwharf.logwharf.svc:3100');
  assert.equal(agent.metrics_listen, '0.0.0.0:3101');
  assert.equal(agent.data, '/var/lib/logwharf-agent');
  assert.equal(agent.kubernetes.enabled, 'true');
  assert.equal(agent.kubernetes.pods_dir, '/var/log/pods');
  assert.equal(agent.docker.enabled, 'false');
  // The StatefulSet's --config names where the ConfigMap is mounted.
  const c = find(list, 'StatefulSet').spec.template.spec.containers[0];
  const mount = c.volumeMounts.find((m: Any) => m.name === 'config');
  assert.equal(c.args[2], mount.mountPath);
});

test('grafana off: no datasource ConfigMap and no Grafana in the NetworkPolicy', () => {
  const files = render('kubernetes', parseDeployValues({ grafana: { enabled: false } }));
  assert.equal(files.has('40-grafana.yaml'), false);
  const docs = [...files.values()].flatMap((t) => parseAllDocuments(t).map((d) => d.toJS() as K8sObject)).filter(Boolean);
  assert.equal(docs.some((d) => JSON.stringify(d).includes('"grafana"')), false);
});

test('tls.cert_manager_issuer renders a valid cert-manager Certificate writing tls.secret for the Service\'s names', () => {
  const list = objects({ namespace: 'logs', tls: { secret: 'logwharf-tls', cert_manager_issuer: { name: 'internal-ca' } } });
  const cert = find(list, 'Certificate');
  validateObject(cert);
  assert.equal(cert.spec.secretName, 'logwharf-tls');
  assert.deepEqual(cert.spec.issuerRef, { name: 'internal-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  assert.ok(cert.spec.dnsNames.includes('logwharf.logs.svc'), 'the name the agents use');
  assert.equal(objects().some((o) => o.kind === 'Certificate'), false, 'no Certificate unless asked for');
  const bad = structuredClone(cert);
  bad.spec.usages = ['server-auth'];
  assert.throws(() => validateObject(bad), /usages/);
});

test('the default datasource ConfigMap carries the sidecar label and trace_id derived field', () => {
  const cm = find(objects(), 'ConfigMap', 'logwharf-grafana-datasource');
  assert.equal(cm.metadata.labels.grafana_datasource, '1');
  const ds = parse(cm.data['logwharf-datasource.yaml']).datasources[0];
  assert.equal(ds.type, 'loki');
  assert.equal(ds.url, 'http://logwharf.logwharf.svc:3100');
  assert.equal(ds.jsonData.derivedFields[0].name, 'trace_id');
  assert.match('{"level":"info","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}', new RegExp(ds.jsonData.derivedFields[0].matcherRegex));
});
