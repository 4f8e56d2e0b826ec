/**
 * What the Kubernetes builders share: the object types, labels, and the values' scheduling and
 * resources in the API's spelling. The objects are typed by kubernetes-models' interfaces (types
 * only, erased at build: nothing of it is loaded at run time), so a misspelt or misplaced field is
 * a compile error; test/unit/deploy validates the values against the OpenAPI schemas at run time.
 */
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IToleration } from 'kubernetes-models/v1/Toleration';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { DeployValues } from './values.js';

/** Object metadata with the name every rendered object has. */
export type Meta = NonNullable<INamespace['metadata']> & { name: string };
type Named<T> = T & { metadata: Meta };

import type { ICertificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';

export type K8sObject = Named<
  INamespace | IServiceAccount | IConfigMap | IService | IDaemonSet | IStatefulSet | IClusterRole | IClusterRoleBinding | IPodDisruptionBudget | INetworkPolicy | ICertificate
>;
export type { IConfigMap, IDaemonSet, IStatefulSet, IService, IPodDisruptionBudget, INetworkPolicy, IServiceAccount, IClusterRole, IClusterRoleBinding, Named };

export const PART_OF = 'logwharf';
export const SERVER_NAME = 'logwharf';
export const AGENT_NAME = 'logwharf-agent';

/** The recommended app.kubernetes.io labels; `name` is also the selector of its pods. */
export function labels(name: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component, 'app.kubernetes.io/part-of': PART_OF };
}

export function selector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name };
}

export function meta(v: DeployValues, name: string, component: string): Meta {
  return { name, namespace: v.namespace, labels: labels(name, component) };
}

export function tolerations(list: DeployValues['agent']['tolerations']): IToleration[] {
  return list.map((t) => {
    const out: IToleration = { operator: t.operator };
    if (t.key !== undefined) out.key = t.key;
    if (t.value !== undefined) out.value = t.value;
    if (t.effect !== undefined) out.effect = t.effect;
    if (t.toleration_seconds !== undefined) out.tolerationSeconds = t.toleration_seconds;
    return out;
  });
}

/** Pod spec fields that are only written when set, so the default manifests stay short. */
export function scheduling(nodeSelector: Record<string, string>, tol: DeployValues['agent']['tolerations']): { nodeSelector?: Record<string, string>; tolerations?: IToleration[] } {
  const out: { nodeSelector?: Record<string, string>; tolerations?: IToleration[] } = {};
  if (Object.keys(nodeSelector).length > 0) out.nodeSelector = nodeSelector;
  if (tol.length > 0) out.tolerations = tolerations(tol);
  return out;
}

/** Every container: no privilege escalation, no capabilities, read-only root filesystem. */
export function containerSecurity(): ISecurityContext {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
}

type ProbeTiming = Pick<IProbe, 'initialDelaySeconds' | 'periodSeconds' | 'failureThreshold' | 'timeoutSeconds'>;

export function httpProbe(path: string, port: string, scheme: 'HTTP' | 'HTTPS', timing: ProbeTiming): IProbe {
  return { httpGet: { path, port, scheme }, ...timing };
}
