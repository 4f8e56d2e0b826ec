/**
 * The agent's identity: it reads metadata to label streams, and nothing else. Today
 * src/agent/discovery/k8s-api.ts lists and watches pods of its node only; namespaces and nodes are
 * granted as the issue and Promtail's ClusterRole do, read-only, for namespace and node metadata.
 * No verb that changes anything, no Secrets.
 */
import type { DeployValues } from './values.js';
import { AGENT_NAME, labels, meta, type IClusterRole, type IClusterRoleBinding, type IServiceAccount, type K8sObject, type Named } from './k8s-common.js';

export const AGENT_RULES: NonNullable<IClusterRole['rules']> = [{ apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] }];

export function agentRbac(v: DeployValues): K8sObject[] {
  const clusterMeta = { name: `${AGENT_NAME}-${v.namespace}`, labels: labels(AGENT_NAME, 'agent') };
  const account: Named<IServiceAccount> = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(v, AGENT_NAME, 'agent'), automountServiceAccountToken: true };
  const role: Named<IClusterRole> = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: clusterMeta, rules: AGENT_RULES };
  const binding: Named<IClusterRoleBinding> = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: clusterMeta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterMeta.name },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: v.namespace }],
  };
  return [account, role, binding];
}
