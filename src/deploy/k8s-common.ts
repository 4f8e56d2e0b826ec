/** What the Kubernetes builders share: the object shape, labels, and the values' scheduling and resources in the API's spelling. */
import type { DeployValues } from './values.js';

/** A Kubernetes object as the API takes it; test/unit/deploy validates each against the OpenAPI schema. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

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

export function meta(v: DeployValues, name: string, component: string): K8sObject['metadata'] {
  return { name, namespace: v.namespace, labels: labels(name, component) };
}

export function tolerations(list: DeployValues['agent']['tolerations']): Record<string, unknown>[] {
  return list.map((t) => {
    const out: Record<string, unknown> = { operator: t.operator };
    if (t.key !== undefined) out.key = t.key;
    if (t.value !== undefined) out.value = t.value;
    if (t.effect !== undefined) out.effect = t.effect;
    if (t.toleration_seconds !== undefined) out.tolerationSeconds = t.toleration_seconds;
    return out;
  });
}

/** Pod spec fields that are only written when set, so the default manifests stay short. */
export function scheduling(nodeSelector: Record<string, string>, tol: DeployValues['agent']['tolerations']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Object.keys(nodeSelector).length > 0) out.nodeSelector = nodeSelector;
  if (tol.length > 0) out.tolerations = tolerations(tol);
  return out;
}

/** Every container: no privilege escalation, no capabilities, read-only root filesystem. */
export function containerSecurity(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, ...extra };
}

export function httpProbe(path: string, port: string, scheme: 'HTTP' | 'HTTPS', timing: Record<string, number>): Record<string, unknown> {
  return { httpGet: { path, port, scheme }, ...timing };
}
