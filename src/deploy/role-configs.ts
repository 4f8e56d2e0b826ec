/**
 * The server's and the agent's configuration files as the deployments ship them, built from the
 * values. They are typed as the roles' own schema inputs, and test/unit/deploy/kubernetes.test.ts
 * parses the rendered files with those schemas, so a renamed key fails a test, not a rollout.
 */
import type { z } from 'zod';
import type { serverConfigSchema } from '../config/server.js';
import type { agentConfigSchema } from '../config/agent.js';
import type { DeployValues } from './values.js';
import { AGENT_PORT, DATA_DIR, HOST_LOG_DIRS, METRICS_TOKEN_FILE, SERVER_PORT, TLS_DIR, TOKEN_DIR } from './layout.js';

export type ServerConfigInput = z.input<typeof serverConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

/** The server's in-cluster name; its TLS certificate must name it. */
export function serviceHost(v: DeployValues): string {
  return `logwharf.${v.namespace}.svc`;
}

export function serverUrl(v: DeployValues, host: string): string {
  return `${v.tls.secret ? 'https' : 'http'}://${host}:${SERVER_PORT}`;
}

/** The server's file. Listen on every address of the pod or container: probes and peers come from outside it. */
export function serverConfig(v: DeployValues, opts: { tls: boolean }): ServerConfigInput {
  const cfg: ServerConfigInput = {
    listen: `0.0.0.0:${SERVER_PORT}`,
    data: DATA_DIR,
    retention: { period: v.server.retention.period, streams: v.server.retention.streams },
  };
  if (v.tokens.enabled) cfg.auth = { tokens_enabled: true };
  // Independent of tokens: a /metrics guarded by its own token, which the rendered scrape configuration sends.
  if (v.prometheus.metrics_token.enabled) cfg.auth = { ...cfg.auth, metrics_token_file: METRICS_TOKEN_FILE };
  if (v.alertmanager_url) cfg.ruler = { alertmanager_url: v.alertmanager_url };
  // kubernetes.io/tls Secrets name their files tls.crt and tls.key; a renewed Secret is picked up
  // without a restart because the server watches cert_file (docs/security.md).
  if (opts.tls) cfg.tls = { cert_file: `${TLS_DIR}/tls.crt`, key_file: `${TLS_DIR}/tls.key` };
  return cfg;
}

/** The agent DaemonSet's file: pods from the kubelet's directory, no Docker socket (a node's runtime is not ours to talk to). */
export function agentConfig(v: DeployValues): AgentConfigInput {
  const tls = Boolean(v.tls.secret);
  const client: NonNullable<AgentConfigInput['client']> = { url: serverUrl(v, serviceHost(v)) };
  if (tls) client.tls = { ca_file: `${TLS_DIR}/ca.crt` };
  if (v.tokens.enabled) client.bearer_token_file = `${TOKEN_DIR}/token`;
  return {
    client,
    data: v.agent.positions_dir,
    // Probes reach /ready from the kubelet, outside the pod's loopback.
    metrics_listen: `0.0.0.0:${AGENT_PORT}`,
    docker: { enabled: 'false' },
    kubernetes: { enabled: 'true', pods_dir: HOST_LOG_DIRS[0] },
    // Positions survive restarts on the host path; the buffer stays off so a node's disk is not
    // filled by an unreachable server: the log files themselves are the buffer.
    buffer: { enabled: false },
  };
}
