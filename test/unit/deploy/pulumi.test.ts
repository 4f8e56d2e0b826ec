/**
 * deploy/pulumi under Pulumi's runtime mocks (no Pulumi CLI or cluster here): the resources it
 * creates are the rendered manifests, object for object, with their limits, mounts and RBAC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import { parseDeployValues } from '../../../src/deploy/values.js';
import { kubernetesObjects } from '../../../src/deploy/render.js';

interface Created {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const created: Created[] = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      created.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  'logwharf',
  'test',
  false,
);

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Waits until Pulumi has registered every resource (registration is asynchronous). */
async function run(raw: unknown): Promise<Created[]> {
  created.length = 0;
  const { createResources } = await import('../../../deploy/pulumi/program.js');
  const resources = createResources(parseDeployValues(raw));
  await Promise.all(resources.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
  return [...created];
}

for (const raw of [{}, { namespace: 'logs', tls: { secret: 'logwharf-tls', cert_manager_issuer: { name: 'ca' } }, tokens: { enabled: true }, collector: { enabled: true } }]) {
  test(`the Pulumi program creates exactly the rendered objects (${JSON.stringify(raw)})`, async () => {
    const got = await run(raw);
    const want = [...kubernetesObjects(parseDeployValues(raw)).values()].flat();
    assert.equal(got.length, want.length);
    // Registration is asynchronous: match by resource name, not by order.
    const byName = new Map(got.map((r) => [r.name, r]));
    assert.equal(byName.size, got.length, 'resource names are unique');
    for (const o of want) {
      const r = byName.get(`${o.kind.toLowerCase()}-${o.metadata.name}`);
      assert.ok(r, `no resource for ${o.kind} ${o.metadata.name}`);
      // Pulumi's type token: the core group is spelt `core`.
      assert.equal(r.type, `kubernetes:${o.apiVersion.includes('/') ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`);
      // Pulumi's inputs are the manifest (it adds apiVersion and kind itself).
      const { apiVersion: _a, kind: _k, ...body } = o as Any;
      const inputs = { ...r.inputs } as Any;
      delete inputs.apiVersion;
      delete inputs.kind;
      assert.deepEqual(inputs, JSON.parse(JSON.stringify(body)), `${o.kind} ${o.metadata.name}`);
    }
  });
}

test('the Pulumi resources carry the agent\'s limits and read-only mounts, and read-only RBAC', async () => {
  const got = await run({});
  const ds = got.find((r) => r.type === 'kubernetes:apps/v1:DaemonSet')!.inputs as Any;
  const c = ds.spec.template.spec.containers[0];
  assert.deepEqual(c.resources.limits, { cpu: '100m', memory: '128Mi' });
  assert.ok(c.volumeMounts.filter((m: Any) => m.readOnly).map((m: Any) => m.mountPath).includes('/var/log/pods'));
  const role = got.find((r) => r.type === 'kubernetes:rbac.authorization.k8s.io/v1:ClusterRole')!.inputs as Any;
  assert.deepEqual(role.rules[0].verbs, ['get', 'list', 'watch']);
  const sts = got.find((r) => r.type === 'kubernetes:apps/v1:StatefulSet')!.inputs as Any;
  assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '30Gi');
});
