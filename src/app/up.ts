/**
 * `logwharf up`: the server and the agent in one process, for one Docker host (issue #4 §1). The
 * agent ships to the server over loopback HTTP — the same path an agent on another host takes, so
 * there is one code path to trust — and its metrics join the server's /metrics.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAgent, type AgentRole } from '../agent/agent.js';
import type { AgentConfig } from '../config/agent.js';
import type { ServerConfig } from '../config/server.js';
import { childLogger, type Logger } from '../util/logger.js';
import { BUILD_INFO } from './build-info.js';
import { createServer, type ServerRole } from './server.js';

export interface UpRole {
  start(): Promise<{ url: string }>;
  close(): Promise<void>;
  readonly server: ServerRole;
  readonly agent: AgentRole | undefined;
}

/** Agent settings `up` decides for the user: data under the server's, no separate metrics port. */
export function upAgentDefaults(server: ServerConfig): { data: string; metricsListen: string } {
  return { data: join(server.data, 'agent'), metricsListen: '' };
}

export function createUp(serverConfig: ServerConfig, agentConfig: AgentConfig, deps: { log: Logger }): UpRole {
  const server = createServer(serverConfig, { log: childLogger(deps.log, { component: 'server' }) });
  let agent: AgentRole | undefined;
  return {
    server,
    get agent() {
      return agent;
    },
    async start() {
      const { url, host } = await server.start();
      try {
        agent = createAgent(
          { ...agentConfig, client: embeddedAgentClient(url, host, serverConfig, agentConfig.client) },
          { log: childLogger(deps.log, { component: 'agent' }), registry: server.registry, version: BUILD_INFO.logwharf },
        );
        await agent.start();
      } catch (e) {
        await server.close();
        throw e;
      }
      return { url };
    },
    async close() {
      // The agent first, so what it has read reaches the store before the store closes.
      await agent?.close();
      await server.close();
    },
  };
}

/** Listen addresses that mean "every interface": not an address to connect to. */
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * Where the embedded agent ships, and how it trusts the server (issue #11). The server's own URL
 * when it listens on one address; on a wildcard (0.0.0.0, ::), loopback of the same family, since
 * the wildcard is not an address to connect to and no certificate names it.
 *
 * With TLS, unless the agent configuration says otherwise:
 * - the agent trusts exactly the certificate the server serves: `ca_file` is the server's
 *   `tls.cert_file` (its certificates are anchors, ../agent/ship/http-client.ts), so this works
 *   for a private CA and a public one alike, and follows rotation (both re-read the file);
 * - the name checked is one the certificate holds: none needed when it names the loopback address
 *   shipped to; else its first DNS name as `server_name` (a wildcard `*.example.com` as
 *   `up.example.com`, a name it matches); a certificate naming only other IP addresses is reached
 *   at the first of them (the server listens on every interface, that one included).
 * A server with `tls.client_auth: require` also needs the agent's client certificate
 * (`client.tls.cert_file`/`key_file` in --agent-config); `up` has none of its own to give.
 */
export function embeddedAgentClient(serverUrl: string, listenHost: string, server: ServerConfig, client: AgentConfig['client']): AgentConfig['client'] {
  const url = new URL(serverUrl);
  const wildcard = WILDCARDS.has(listenHost);
  if (wildcard) url.hostname = listenHost.includes(':') ? '[::1]' : '127.0.0.1';
  if (url.protocol !== 'https:' || server.tls.cert_file === undefined) return { ...client, url: url.href.replace(/\/$/, '') };
  const tls = { ...client.tls };
  tls.ca_file ??= server.tls.cert_file;
  if (tls.server_name === undefined) {
    const names = certificateNames(readFileSync(server.tls.cert_file));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!names.ips.includes(host)) {
      const dns = names.dns.find((n) => !n.startsWith('*.')) ?? names.dns[0]?.replace(/^\*\./, 'up.');
      if (dns !== undefined) tls.server_name = dns;
      else if (wildcard && names.ips.length > 0) url.hostname = names.ips[0]!.includes(':') ? `[${names.ips[0]}]` : names.ips[0]!;
    }
  }
  return { ...client, url: url.href.replace(/\/$/, ''), tls };
}

/** The DNS names and IP addresses a PEM certificate (the first of a chain) is valid for. */
export function certificateNames(pem: Buffer): { dns: string[]; ips: string[] } {
  const cert = new X509Certificate(pem);
  const dns: string[] = [];
  const ips: string[] = [];
  // node's format: "DNS:a.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1".
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) dns.push(part.slice(4));
    else if (part.startsWith('IP Address:')) ips.push(normalizeIp(part.slice(11)));
  }
  // Without subjectAltName, clients check the subject's CN.
  if (dns.length === 0 && ips.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
    if (cn !== undefined) dns.push(cn);
  }
  return { dns, ips };
}

/** `0:0:0:0:0:0:0:1` (how node prints an IPv6 SAN) as `::1`; IPv4 as is. */
function normalizeIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  return ip.toLowerCase().replace(/\b0+(?=[0-9a-f])/g, '').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}
