/**
 * The agent DaemonSet: one agent per node reading the kubelet's pod logs from read-only host mounts,
 * its positions on a host path so a restarted agent resumes, NODE_NAME from the downward API (the
 * agent lists only its node's pods), and the small-heap launcher within the seeds' 100m / 128Mi.
 *
 * It runs as root with every capability dropped: the kubelet writes pod logs 0640 root:root, so
 * only their owner can read them, and root without CAP_DAC_OVERRIDE reads exactly what it owns.
 * That is as far as "non-root" goes where the files allow it; the root filesystem is read-only.
 */
import { stringify } from 'yaml';
import type { DeployValues } from './values.js';
import { agentConfig } from './role-configs.js';
import { AGENT_CONFIG, AGENT_PORT, CONFIG_DIR, LAUNCHER } from './layout.js';
import { nodeCollectorVolumes } from './k8s-node-volumes.js';
import { AGENT_NAME, containerSecurity, httpProbe, labels, meta, scheduling, selector, type IConfigMap, type IDaemonSet, type K8sObject, type Named } from './k8s-common.js';

export function agentObjects(v: DeployValues, image: string): K8sObject[] {
  const configMap: Named<IConfigMap> = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(v, `${AGENT_NAME}-config`, 'agent'),
    data: { 'agent.yaml': stringify(agentConfig(v)) },
  };
  const { volumes, mounts } = nodeCollectorVolumes(v, { configMap: `${AGENT_NAME}-config`, mountPath: CONFIG_DIR }, { name: 'positions', hostPath: v.agent.positions_dir, mountPath: v.agent.positions_dir });
  const daemonSet: Named<IDaemonSet> = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(v, AGENT_NAME, 'agent'),
    spec: {
      selector: { matchLabels: selector(AGENT_NAME) },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: labels(AGENT_NAME, 'agent') },
        spec: {
          serviceAccountName: AGENT_NAME,
          // SIGTERM sends what is queued and writes positions within a few seconds (docs/agent.md).
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
          ...scheduling(v.agent.node_selector, v.agent.tolerations),
          containers: [
            {
              name: 'agent',
              image,
              imagePullPolicy: v.image_pull_policy,
              // The launcher, not `node`: it starts the agent with the small V8 heap that fits 128Mi.
              command: [LAUNCHER],
              args: ['agent', '--config', AGENT_CONFIG],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              ports: [{ name: 'metrics', containerPort: AGENT_PORT, protocol: 'TCP' }],
              resources: v.agent.resources,
              readinessProbe: httpProbe('/ready', 'metrics', 'HTTP', { periodSeconds: 10, failureThreshold: 3 }),
              livenessProbe: httpProbe('/ready', 'metrics', 'HTTP', { initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 6 }),
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
