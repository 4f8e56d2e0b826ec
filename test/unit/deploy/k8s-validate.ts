/**
 * Validates rendered objects against the Kubernetes OpenAPI schemas shipped by `kubernetes-models`
 * (and cert-manager's CRD schema from `@kubernetes-models/cert-manager`)
 * (no cluster runs here). It checks types, required fields and enums; it does not reject unknown
 * fields (the builders' kubernetes-models types do, at compile time), and the tests assert the
 * fields that matter by name as well.
 */
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import type { K8sObject } from '../../../src/deploy/k8s-common.js';

type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace as unknown as Model,
  'v1/ConfigMap': ConfigMap as unknown as Model,
  'v1/Service': Service as unknown as Model,
  'v1/ServiceAccount': ServiceAccount as unknown as Model,
  'apps/v1/DaemonSet': DaemonSet as unknown as Model,
  'apps/v1/StatefulSet': StatefulSet as unknown as Model,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole as unknown as Model,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding as unknown as Model,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Model,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as unknown as Model,
  'cert-manager.io/v1/Certificate': Certificate as unknown as Model,
};

/** Throws with the object's kind and name and the schema's complaint; an unknown kind is an error too. */
export function validateObject(o: K8sObject): void {
  const Ctor = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Ctor) throw new Error(`no schema for ${o.apiVersion} ${o.kind}: add its model to k8s-validate.ts`);
  try {
    // The round trip through JSON is what kubectl sends: no undefined, no class instances.
    new Ctor(JSON.parse(JSON.stringify(o)) as never).validate();
  } catch (e) {
    throw new Error(`${o.kind} ${o.metadata.name}: ${(e as Error).message}`);
  }
}
