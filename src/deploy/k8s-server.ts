/**
 * The server: one StatefulSet replica with its PersistentVolumeClaim (the embedded store is a single
 * writer on one volume; it does not replicate), its configuration from a ConfigMap, TLS from a
 * Secret, probes on /ready, a Service, a PodDisruptionBudget and a NetworkPolicy.
 */
import { stringify } from 'yaml';
import type { DeployValues } from './values.js';
import { serverConfig } from './role-configs.js';
import { COLLECTOR_NAME } from './k8s-collector.js';
import { DATA_DIR, LAUNCHER, METRICS_TOKEN_FILE, RUN_AS, SERVER_CONFIG, SERVER_PORT, TLS_DIR } from './layout.js';
import { dirname } from 'node:path';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { IPersistentVolumeClaimSpec } from 'kubernetes-models/v1/PersistentVolumeClaimSpec';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { AGENT_NAME, SERVER_NAME, containerSecurity, httpProbe, labels, meta, scheduling, selector, type IConfigMap, type INetworkPolicy, type IPodDisruptionBudget, type IService, type IStatefulSet, type K8sObject, type Named } from './k8s-common.js';

export function serverObjects(v: DeployValues, image: string): K8sObject[] {
  const tls = Boolean(v.tls.secret);
  const scheme = tls ? 'HTTPS' : 'HTTP';
  const configMap: Named<IConfigMap> = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(v, `${SERVER_NAME}-config`, 'server'),
    data: { 'server.yaml': stringify(serverConfig(v, { tls })) },
  };
  const volumes: IVolume[] = [
    { name: 'config', configMap: { name: `${SERVER_NAME}-config` } },
    // The root filesystem is read-only; Node and SQLite may still want a scratch directory.
    { name: 'tmp', emptyDir: {} },
  ];
  const mounts: IVolumeMount[] = [
    { name: 'data', mountPath: DATA_DIR },
    { name: 'config', mountPath: SERVER_CONFIG, subPath: 'server.yaml', readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (tls) {
    volumes.push({ name: 'tls', secret: { secretName: v.tls.secret } });
    // Not a subPath: the kubelet updates a renewed Secret in place only for a whole-volume mount.
    mounts.push({ name: 'tls', mountPath: TLS_DIR, readOnly: true });
  }
  if (v.prometheus.metrics_token.enabled) {
    // A whole-directory mount, so a rotated Secret reaches the server (it re-reads the file).
    volumes.push({ name: 'metrics-token', secret: { secretName: v.prometheus.metrics_token.secret, items: [{ key: 'token', path: 'token' }] } });
    mounts.push({ name: 'metrics-token', mountPath: dirname(METRICS_TOKEN_FILE), readOnly: true });
  }
  const claim: IPersistentVolumeClaimSpec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: v.server.storage_size } } };
  if (v.server.storage_class) claim.storageClassName = v.server.storage_class;
  const statefulSet: Named<IStatefulSet> = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(v, SERVER_NAME, 'server'),
    spec: {
      serviceName: `${SERVER_NAME}-headless`,
      replicas: 1,
      selector: { matchLabels: selector(SERVER_NAME) },
      template: {
        metadata: { labels: labels(SERVER_NAME, 'server') },
        spec: {
          // SIGTERM seals heads and syncs the WAL; give it time on a slow volume.
          terminationGracePeriodSeconds: 60,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            fsGroup: RUN_AS,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...scheduling(v.server.node_selector, v.server.tolerations),
          containers: [
            {
              name: 'server',
              image,
              imagePullPolicy: v.image_pull_policy,
              command: [LAUNCHER],
              args: ['server', '--config', SERVER_CONFIG],
              ports: [{ name: 'http', containerPort: SERVER_PORT, protocol: 'TCP' }],
              resources: v.server.resources,
              // /ready answers 503 until the WAL is replayed: the startup probe allows 10 minutes for
              // a large one, so liveness never kills a replay.
              startupProbe: httpProbe('/ready', 'http', scheme, { periodSeconds: 5, failureThreshold: 120 }),
              readinessProbe: httpProbe('/ready', 'http', scheme, { periodSeconds: 10, failureThreshold: 3 }),
              livenessProbe: httpProbe('/ready', 'http', scheme, { periodSeconds: 20, failureThreshold: 6 }),
              securityContext: containerSecurity(),
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data', labels: labels(SERVER_NAME, 'server') }, spec: claim }],
    },
  };
  const port: IServicePort = { name: 'http', port: SERVER_PORT, targetPort: 'http', protocol: 'TCP' };
  const service: Named<IService> = { apiVersion: 'v1', kind: 'Service', metadata: meta(v, SERVER_NAME, 'server'), spec: { selector: selector(SERVER_NAME), ports: [port] } };
  const headless: Named<IService> = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(v, `${SERVER_NAME}-headless`, 'server'),
    spec: { clusterIP: 'None', selector: selector(SERVER_NAME), ports: [port] },
  };
  // One replica: minAvailable 1 would block every node drain for good. maxUnavailable 1 lets a drain
  // evict it (it restarts elsewhere on its volume) while still stating that no more than one goes.
  const pdb: Named<IPodDisruptionBudget> = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(v, SERVER_NAME, 'server'),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(SERVER_NAME) } },
  };
  const objects: K8sObject[] = [configMap, statefulSet, service, headless, pdb];
  if (v.network_policy.enabled) objects.push(networkPolicy(v));
  return objects;
}

/** Admits the agents (or the Collectors that replace them), Grafana (in any namespace) and the allowed namespaces, on the server port only. */
function networkPolicy(v: DeployValues): Named<INetworkPolicy> {
  const collectors = v.collector.enabled ? COLLECTOR_NAME : AGENT_NAME;
  const from: INetworkPolicyPeer[] = [{ podSelector: { matchLabels: selector(collectors) } }];
  if (v.grafana.enabled) from.push({ namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'grafana' } } });
  for (const ns of v.network_policy.allowed_namespaces) {
    from.push({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(v, SERVER_NAME, 'server'),
    spec: {
      podSelector: { matchLabels: selector(SERVER_NAME) },
      policyTypes: ['Ingress'],
      ingress: [{ from, ports: [{ port: SERVER_PORT, protocol: 'TCP' }] }],
    },
  };
}
