/**
 * The agent role as the CLI runs it: the agent plus, when `metrics_listen` is set, a small HTTP
 * endpoint with /metrics (Prometheus), /ready and /sources (this agent's view of its sources, the
 * same objects it reports to the registry). `logwharf up` uses createAgent directly instead and
 * serves the agent's metrics on the server's port.
 */
import { createServer as createHttp, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createAgent, type AgentRole } from '../agent/agent.js';
import type { AgentConfig } from '../config/agent.js';
import { loadRemoteConfig } from '../agent/remote-config.js';
import type { Control } from '../agent/control/control.js';
import { parseListen } from '../config/listen.js';
import type { Logger } from '../util/logger.js';
import { BUILD_INFO } from './build-info.js';

export interface AgentProcess {
  start(): Promise<{ metricsUrl?: string }>;
  close(): Promise<void>;
  readonly agent: AgentRole;
  /** The control plane client (OpAMP) once started, when control.enabled is not false. */
  readonly control: Control | undefined;
}

export function createAgentProcess(config: AgentConfig, deps: { log: Logger }): AgentProcess {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'logwharf_agent_process_' });
  // With a control plane, the agent starts on the last good remote configuration it kept (issue #13).
  const controlled = config.control.enabled !== 'false' && config.control.url !== undefined;
  const initial = controlled ? loadRemoteConfig(config, deps.log) : { config, stored: {} };
  const agent = createAgent(initial.config, { log: deps.log, registry, version: BUILD_INFO.logwharf });
  let control: Control | undefined;
  let http: Server | undefined;
  let ready = false;
  return {
    agent,
    get control() {
      return control;
    },
    async start() {
      // A bad address is a configuration error: found before anything starts.
      const listen = config.metrics_listen ? parseListen(config.metrics_listen) : undefined;
      await agent.start();
      if (controlled) {
        // Loaded only when used: an agent without a control plane pays nothing for it.
        const { startControl } = await import('../agent/control/control.js');
        control = await startControl({ agent, local: config, stored: initial.stored, log: deps.log, version: BUILD_INFO.logwharf });
      }
      ready = true;
      if (!listen) return {};
      const { host, port } = listen;
      http = createHttp((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method !== 'GET') {
          res.writeHead(405, { 'Content-Type': 'text/plain' }).end('method not allowed\n');
        } else if (path === '/metrics') {
          registry.metrics().then(
            (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
            (e: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(e as Error).message}\n`),
          );
        } else if (path === '/ready') {
          res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ready ? 'ready\n' : 'starting\n');
        } else if (path === '/sources') {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ sources: agent.sources() }));
        } else {
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        }
      });
      try {
        await new Promise<void>((resolve, reject) => {
          http!.once('error', reject);
          http!.listen(port, host, () => resolve());
        });
      } catch (e) {
        // The port is taken: stop what started, so the process can exit with the error.
        http = undefined;
        await control?.close();
        await agent.close();
        throw e;
      }
      const a = http.address() as AddressInfo;
      return { metricsUrl: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` };
    },
    async close() {
      ready = false;
      if (http) await new Promise<void>((resolve) => http!.close(() => resolve()));
      await control?.close();
      await agent.close();
    },
  };
}
