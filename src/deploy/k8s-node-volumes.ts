/**
 * The volumes of a DaemonSet that reads a node's logs (the agent, or the OpenTelemetry Collector in
 * its place): its configuration, the kubelet's and Docker's log directories read-only, a host path
 * for its read positions so a restarted pod resumes, and the server's CA and the agent token when
 * the values turn TLS and tokens on. One place, so both collectors mount the same things alike.
 */
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { DeployValues } from './values.js';
import { HOST_LOG_DIRS, TLS_DIR, TOKEN_DIR } from './layout.js';

/** The host-path volume names of HOST_LOG_DIRS, in order. */
const HOST_VOLUMES = ['varlogpods', 'varlogcontainers', 'dockercontainers'];

export function nodeCollectorVolumes(
  v: DeployValues,
  config: { configMap: string; mountPath: string },
  state: { name: string; hostPath: string; mountPath: string },
): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const volumes: IVolume[] = [
    { name: 'config', configMap: { name: config.configMap } },
    ...HOST_LOG_DIRS.map((path, i): IVolume => ({ name: HOST_VOLUMES[i]!, hostPath: { path } })),
    { name: state.name, hostPath: { path: state.hostPath, type: 'DirectoryOrCreate' } },
  ];
  const mounts: IVolumeMount[] = [
    { name: 'config', mountPath: config.mountPath, readOnly: true },
    ...HOST_LOG_DIRS.map((path, i): IVolumeMount => ({ name: HOST_VOLUMES[i]!, mountPath: path, readOnly: true })),
    { name: state.name, mountPath: state.mountPath },
  ];
  if (v.tls.secret) {
    // Only the CA: a collector verifies the server and needs none of its key.
    volumes.push({ name: 'tls-ca', secret: { secretName: v.tls.secret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    mounts.push({ name: 'tls-ca', mountPath: TLS_DIR, readOnly: true });
  }
  if (v.tokens.enabled) {
    volumes.push({ name: 'token', secret: { secretName: v.tokens.agent_secret, items: [{ key: 'token', path: 'token' }] } });
    mounts.push({ name: 'token', mountPath: TOKEN_DIR, readOnly: true });
  }
  return { volumes, mounts };
}
