/**
 * The OpenTelemetry Collector alternative to the agent DaemonSet (`collector.enabled`): the
 * upstream Collector on every node reads the kubelet's pod logs with the filelog receiver and its
 * `container` operator, adds pod metadata with k8sattributes, and ships OTLP/HTTP to the server's
 * /otlp/v1/logs. Same RBAC, host mounts and limits as the agent; its checkpoints (file_storage) on
 * a host path so a restart resumes. Not run here (no Collector binary): its configuration is
 * checked for shape and for the endpoint the server serves (test/unit/deploy/collector.test.ts).
 */
import { nodeCollectorVolumes } from './k8s-node-volumes.js';
import type { DeployValues } from './values.js';
import { agentConfig, serverUrl, serviceHost } from './role-configs.js';
import { agentConfigSchema } from '../config/agent.js';
import { renderCollectorConfig } from '../fleet/otel-collector.js';
import { HOST_LOG_DIRS, TLS_DIR, TOKEN_DIR } from './layout.js';
import { AGENT_NAME, containerSecurity, httpProbe, labels, meta, scheduling, selector, type IConfigMap, type IDaemonSet, type K8sObject, type Named } from './k8s-common.js';

export const COLLECTOR_NAME = 'logwharf-otel-collector';
const HEALTH_PORT = 13133;
const CHECKPOINTS = '/var/lib/otelcol';
const CONFIG = '/etc/otelcol/config.yaml';

/**
 * The Collector's configuration: the fleet's builder (src/fleet/otel-collector.ts) over the agent
 * DaemonSet's own settings, so the Collector and the agent collect the same way and a fleet renders
 * the same file. The deployment adds what only it knows: checkpoints, the health port, its own logs left out.
 */
export function collectorConfigFile(v: DeployValues): { yaml: string; config: Record<string, unknown> } {
  const settings = agentConfigSchema.parse(agentConfig(v));
  const { yaml, config } = renderCollectorConfig(
    settings,
    { server: serverUrl(v, serviceHost(v)), ...(v.tokens.enabled ? { tokenFile: `${TOKEN_DIR}/token` } : {}), ...(v.tls.secret ? { caFile: `${TLS_DIR}/ca.crt` } : {}) },
    {
      checkpointDir: CHECKPOINTS,
      healthCheckEndpoint: `0.0.0.0:${HEALTH_PORT}`,
      // Its own logs would loop back through it.
      excludePodLogs: [`${HOST_LOG_DIRS[0]}/${v.namespace}_${COLLECTOR_NAME}-*/*/*.log`],
      nodeEnvVar: 'NODE_NAME',
    },
  );
  return { yaml, config };
}

export function collectorConfig(v: DeployValues): Record<string, unknown> {
  return collectorConfigFile(v).config;
}

export function collectorObjects(v: DeployValues): K8sObject[] {
  const configMap: Named<IConfigMap> = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(v, `${COLLECTOR_NAME}-config`, 'agent'), data: { 'config.yaml': collectorConfigFile(v).yaml } };
  const { volumes, mounts } = nodeCollectorVolumes(v, { configMap: `${COLLECTOR_NAME}-config`, mountPath: '/etc/otelcol' }, { name: 'checkpoints', hostPath: `${v.agent.positions_dir}-otelcol`, mountPath: CHECKPOINTS });
  const daemonSet: Named<IDaemonSet> = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(v, COLLECTOR_NAME, 'agent'),
    spec: {
      selector: { matchLabels: selector(COLLECTOR_NAME) },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        // The server's NetworkPolicy admits these pods by their name label instead of the agent's.
        metadata: { labels: labels(COLLECTOR_NAME, 'agent') },
        spec: {
          // The agent's ServiceAccount and its read-only ClusterRole cover what k8sattributes reads.
          serviceAccountName: AGENT_NAME,
          terminationGracePeriodSeconds: 30,
          // Root with no capabilities, for the same reason as the agent: pod logs are 0640 root:root.
          securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
          ...scheduling(v.agent.node_selector, v.agent.tolerations),
          containers: [
            {
              name: 'otel-collector',
              image: v.collector.image,
              imagePullPolicy: v.image_pull_policy,
              args: [`--config=${CONFIG}`],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              ports: [{ name: 'health', containerPort: HEALTH_PORT, protocol: 'TCP' }],
              resources: v.agent.resources,
              readinessProbe: httpProbe('/', 'health', 'HTTP', { periodSeconds: 10, failureThreshold: 3 }),
              livenessProbe: httpProbe('/', 'health', 'HTTP', { initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 6 }),
              securityContext: containerSecurity(),
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };
  return [configMap, daemonSet];
}
