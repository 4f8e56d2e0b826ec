/**
 * The Collector's `otlphttp` exporter to this server (issue #13): `<server>/otlp` (the exporter
 * appends /v1/logs; the server serves /otlp/v1/logs), the tenant as X-Scope-OrgID, the bearer token as
 * a reference the Collector expands (`${file:PATH}`, `${env:NAME}`) or the agent's inline token, TLS
 * from the agent's client settings, and the agent's retry policy: back off between min and max, and
 * never give up (nothing is dropped).
 */
import type { AgentConfig } from '../config/agent.js';
import { LogwharfError } from '../api/errors.js';
import type { CollectorTarget } from './otel-collector.js';

const PUSH_SUFFIXES = ['/loki/api/v1/push', '/otlp/v1/logs'];

export function serverBase(url: string): string {
  let base = url.replace(/\/+$/, '');
  for (const s of PUSH_SUFFIXES) if (base.endsWith(s)) base = base.slice(0, -s.length);
  return base;
}

export interface ExporterParts {
  /** The exporter without its headers; every string literal. */
  exporter: Record<string, unknown>;
  /** Literal headers (the tenant). */
  headers: Record<string, string>;
  /** The bearer token: a reference for the Collector to expand, or a literal. */
  authorization?: { reference: string } | { literal: string };
}

export function exporterConfig(a: AgentConfig, target: CollectorTarget, server: string, warnings: string[]): ExporterParts {
  const exporter: Record<string, unknown> = { endpoint: `${serverBase(server)}/otlp` };
  const headers: Record<string, string> = {};
  const tenant = target.tenant ?? a.client.tenant_id;
  if (tenant) headers['X-Scope-OrgID'] = tenant;
  let authorization: ExporterParts['authorization'];
  if (target.tokenFile !== undefined) authorization = { reference: `\${file:${checkPath(target.tokenFile, 'token file')}}` };
  else if (target.tokenEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(target.tokenEnv)) throw new LogwharfError('bad_request', `token environment variable ${JSON.stringify(target.tokenEnv)} is not a variable name`);
    authorization = { reference: `\${env:${target.tokenEnv}}` };
  } else if (a.client.bearer_token !== undefined) authorization = { literal: a.client.bearer_token };
  else if (a.client.bearer_token_file) authorization = { reference: `\${file:${checkPath(a.client.bearer_token_file, 'client.bearer_token_file')}}` };
  if (a.client.basic_auth && authorization === undefined) warnings.push('client.basic_auth: not translated (use a token: --token-file or --token-env)');
  const tls: Record<string, unknown> = {};
  const ca = target.caFile ?? a.client.tls.ca_file;
  if (ca) tls.ca_file = ca;
  if (a.client.tls.cert_file) tls.cert_file = a.client.tls.cert_file;
  if (a.client.tls.key_file) tls.key_file = a.client.tls.key_file;
  if (a.client.tls.server_name) tls.server_name_override = a.client.tls.server_name;
  if (a.client.tls.insecure_skip_verify) tls.insecure_skip_verify = true;
  if (Object.keys(tls).length) exporter.tls = tls;
  if (a.client.compression === 'gzip') exporter.compression = 'gzip';
  exporter.timeout = a.client.timeout;
  exporter.retry_on_failure = { enabled: true, initial_interval: a.client.min_backoff, max_interval: a.client.max_backoff, max_elapsed_time: '0s' };
  if (a.buffer.enabled) warnings.push('buffer.enabled: not translated (give the exporter a sending_queue with a storage extension for a disk buffer)');
  return { exporter, headers, ...(authorization ? { authorization } : {}) };
}

/** A path inside ${file:…}: it ends at the first `}`, and a line break would end the header. */
function checkPath(path: string, what: string): string {
  if (path === '' || /[}\r\n]/.test(path)) throw new LogwharfError('bad_request', `${what} ${JSON.stringify(path)} cannot be referenced by the Collector (empty, or a "}" or line break in it)`);
  return path;
}
