/**
 * Configurations for OpenTelemetry Collectors managed over OpAMP (issue #13: the Collector
 * configuration builder's output "offered to Collectors over OpAMP"). A configuration whose selector
 * names a Collector `type` (selector.ts) is written, checked and versioned in our agent's format like
 * any other; at apply it is also rendered with `renderCollectorConfig`, and the rendering is what is
 * stored as the version's offered text, hashed and offered. Rendering once at apply, not at every
 * offer, keeps what a rollout offers fixed: a changed `fleet.collector` setting or a newer renderer
 * reaches Collectors only through a new version and its rollout, never silently.
 *
 * Where the Collector ships: the server does not know the URL its clients reach it at (a proxy, a
 * load balancer, a DNS name), so `fleet.collector.server_url` says it; a configuration's own
 * `client.url` wins (as for our agents, where logs go may change remotely). Neither set: refused at
 * apply. Credentials are the server's settings (`token_file`/`token_env`, `ca_file`), because a
 * remote configuration may not carry credentials (remote-config.ts).
 */
import { LogwharfError } from '../api/errors.js';
import type { AgentConfig } from '../config/agent.js';
import { renderCollectorConfig, type CollectorTarget } from './otel-collector.js';

/**
 * The AgentConfigMap key a Collector's configuration travels under: `""`, OpAMP's key for an agent
 * with a single configuration file. The Collector's OpAMP supervisor loads the `""` entry first (its
 * "instance" configuration) and merges any other entries over it in the order of their keys; it reads
 * every entry as YAML, whatever its content type.
 */
export const COLLECTOR_CONFIG_FILE = '';
/** The content type the supervisor itself gives the Collector's YAML when it reports its effective configuration. */
export const COLLECTOR_CONFIG_CONTENT_TYPE = 'text/yaml';

/** `fleet.collector` in the server's configuration. */
export interface CollectorFleetSettings {
  /** Base URL Collectors ship to (http(s)://host:port); they post to <url>/otlp/v1/logs. */
  serverUrl?: string | undefined;
  tokenFile?: string | undefined;
  tokenEnv?: string | undefined;
  tenant?: string | undefined;
  caFile?: string | undefined;
}

/** `fleet.collector` as the configuration schema parses it. */
export function collectorFleetSettings(c: { server_url?: string | undefined; token_file?: string | undefined; token_env?: string | undefined; tenant?: string | undefined; ca_file?: string | undefined }): CollectorFleetSettings {
  return { serverUrl: c.server_url, tokenFile: c.token_file, tokenEnv: c.token_env, tenant: c.tenant, caFile: c.ca_file };
}

export interface CollectorRendering {
  yaml: string;
  warnings: string[];
}

/** The Collector configuration offered for these (already checked) agent settings; a bad_request error says why it cannot be. */
export function renderForCollectors(cfg: AgentConfig, settings: CollectorFleetSettings): CollectorRendering {
  const server = cfg.client.url ?? settings.serverUrl;
  if (server === undefined) {
    throw new LogwharfError(
      'bad_request',
      'invalid remote configuration: it is for Collectors (its selector names a type other than logwharf-agent) and the server does not know where they should ship: set fleet.collector.server_url in the server\'s configuration (the URL Collectors reach this server at), or client.url in this configuration',
    );
  }
  const target: CollectorTarget = { server };
  if (settings.tokenFile !== undefined) target.tokenFile = settings.tokenFile;
  else if (settings.tokenEnv !== undefined) target.tokenEnv = settings.tokenEnv;
  // The configuration's own tenant wins over the fleet's default, as its client.url does.
  if (cfg.client.tenant_id === undefined && settings.tenant !== undefined) target.tenant = settings.tenant;
  if (settings.caFile !== undefined) target.caFile = settings.caFile;
  try {
    const r = renderCollectorConfig(cfg, target);
    return { yaml: r.yaml, warnings: r.warnings };
  } catch (e) {
    if (e instanceof LogwharfError) throw new LogwharfError(e.code, `invalid remote configuration for Collectors: ${e.message}`);
    throw e;
  }
}
