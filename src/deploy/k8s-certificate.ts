/**
 * The optional cert-manager Certificate (`tls.cert_manager_issuer`): it writes `tls.secret` with
 * tls.crt, tls.key and ca.crt for every name the server is reached by inside the cluster, and
 * renews it; the server reloads a renewed certificate without a restart (docs/security.md).
 */
import type { ICertificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import type { DeployValues } from './values.js';
import { SERVER_NAME, meta, type Meta } from './k8s-common.js';

export type CertificateObject = ICertificate & { metadata: Meta };

export function certificateObjects(v: DeployValues): CertificateObject[] {
  const issuer = v.tls.cert_manager_issuer;
  if (!issuer || !v.tls.secret) return [];
  const ns = v.namespace;
  return [
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: meta(v, SERVER_NAME, 'server'),
      spec: {
        secretName: v.tls.secret,
        dnsNames: [SERVER_NAME, `${SERVER_NAME}.${ns}`, `${SERVER_NAME}.${ns}.svc`, `${SERVER_NAME}.${ns}.svc.cluster.local`],
        issuerRef: { name: issuer.name, kind: issuer.kind, group: 'cert-manager.io' },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['server auth'],
      },
    },
  ];
}
