/**
 * `logwharf up`: the server and the agent in one process, for one Docker host (issue #4 §1). The
 * agent ships to the server over loopback HTTP — the same path an agent on another host takes, so
 * there is one code path to trust — and its metrics join the server's /metrics.
 */
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
      const { url } = await server.start();
      try {
        agent = createAgent(
          { ...agentConfig, client: { ...agentConfig.client, url } },
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
