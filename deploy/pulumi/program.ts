/**
 * The Pulumi program's body: the objects of `logwharf deploy kubernetes` (src/deploy's builders, the
 * one source) as @pulumi/kubernetes resources, in the same order, each depending on the namespace.
 * Kept apart from index.ts so test/unit/deploy/pulumi.test.ts can run it under Pulumi's mocks.
 */
import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { kubernetesObjects } from '../../src/deploy/render.js';
import type { DeployValues } from '../../src/deploy/values.js';
import type { K8sObject } from '../../src/deploy/k8s-common.js';

type Ctor = new (name: string, args: never, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** apiVersion/kind → the typed resource class; anything else (the cert-manager Certificate) is a CustomResource. */
const CLASSES: Record<string, Ctor> = {
  'v1/Namespace': k8s.core.v1.Namespace as unknown as Ctor,
  'v1/ServiceAccount': k8s.core.v1.ServiceAccount as unknown as Ctor,
  'v1/ConfigMap': k8s.core.v1.ConfigMap as unknown as Ctor,
  'v1/Service': k8s.core.v1.Service as unknown as Ctor,
  'apps/v1/DaemonSet': k8s.apps.v1.DaemonSet as unknown as Ctor,
  'apps/v1/StatefulSet': k8s.apps.v1.StatefulSet as unknown as Ctor,
  'rbac.authorization.k8s.io/v1/ClusterRole': k8s.rbac.v1.ClusterRole as unknown as Ctor,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': k8s.rbac.v1.ClusterRoleBinding as unknown as Ctor,
  'policy/v1/PodDisruptionBudget': k8s.policy.v1.PodDisruptionBudget as unknown as Ctor,
  'networking.k8s.io/v1/NetworkPolicy': k8s.networking.v1.NetworkPolicy as unknown as Ctor,
};

/** The Pulumi resource name of an object: unique per kind and name, stable across runs. */
export function resourceName(o: K8sObject): string {
  return `${o.kind.toLowerCase()}-${o.metadata.name}`;
}

export function createResources(values: DeployValues): pulumi.CustomResource[] {
  const objects = [...kubernetesObjects(values).values()].flat();
  const [namespace, ...rest] = objects;
  const ns = new k8s.core.v1.Namespace(resourceName(namespace!), namespace as never);
  const created: pulumi.CustomResource[] = [ns];
  for (const o of rest) {
    const Ctor = CLASSES[`${o.apiVersion}/${o.kind}`];
    const opts: pulumi.CustomResourceOptions = { dependsOn: [ns] };
    created.push(Ctor ? new Ctor(resourceName(o), o as never, opts) : new k8s.apiextensions.CustomResource(resourceName(o), o as never, opts));
  }
  return created;
}
