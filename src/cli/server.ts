/**
 * `logwharf server` and `logwharf up` (server and agent in one process): parse flags and run until
 * SIGTERM/SIGINT, which flush the store and exit 0. One JSON line with the address is logged when the
 * server is ready.
 */
import { loadServerConfig, UP_SERVER_DEFAULTS } from '../config/server.js';
import { loadAgentConfig } from '../config/agent.js';
import { createServer } from '../app/server.js';
import { createUp, upAgentDefaults } from '../app/up.js';
import { createLogger } from '../util/logger.js';
import { BUILD_INFO } from '../app/build-info.js';
import { parseRoleFlags, startRole, waitForSignal } from './role.js';

export const SERVER_USAGE = `Usage: logwharf server [--listen HOST:PORT] [--data DIR] [--config FILE] [--log-level LEVEL] [--auth-enabled]

Starts the Loki-compatible server with its embedded store.
  --listen        address to listen on (default 127.0.0.1:3100; port 0 picks a free port)
  --data          data directory (default ./data)
  --config        YAML configuration file (flags override it; see docs/configuration.md)
  --log-level     debug | info | warn | error | silent (default info)
  --auth-enabled  require X-Scope-OrgID (default off: every request is tenant "fake")
`;

export async function runServer(argv: string[]): Promise<number> {
  const values = parseRoleFlags('server', argv, {
    listen: { type: 'string' },
    data: { type: 'string' },
    config: { type: 'string' },
    'log-level': { type: 'string' },
    'auth-enabled': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(SERVER_USAGE);
    return 0;
  }
  const config = loadServerConfig({
    listen: values.listen,
    data: values.data,
    config: values.config,
    logLevel: values['log-level'],
    authEnabled: values['auth-enabled'],
  });
  const log = createLogger({ level: config.log_level, component: 'server', version: BUILD_INFO.logwharf });
  const server = createServer(config, { log });
  const { url } = await startRole(server, config.listen);
  // Handlers first: a script that sends SIGTERM as soon as it reads the ready line must get a clean stop.
  const stopped = waitForSignal(() => server.close(), log);
  // The ready line is part of the CLI contract (scripts wait for it), so it is written whatever the log level.
  createLogger({ level: 'info', component: 'server', version: BUILD_INFO.logwharf }).info({ address: url, data: config.data }, 'logwharf server ready');
  return stopped;
}

export const UP_USAGE = `Usage: logwharf up [--listen HOST:PORT] [--data DIR] [--config FILE] [--agent-config FILE] [--log-level LEVEL] [--auth-enabled]

Runs the server and the agent in one process: every container on this Docker host (and any
Kubernetes pod logs or files the agent configuration names) becomes searchable at --listen.
  --listen        address to listen on (default 127.0.0.1:3100)
  --data          data directory (default ./data; the agent keeps its positions in DIR/agent)
  --config        server YAML configuration file
  --agent-config  agent YAML configuration file (its client section is ignored: the agent ships here)
  --log-level     debug | info | warn | error | silent (default info)
  --auth-enabled  require X-Scope-OrgID (the agent then needs client.tenant_id in --agent-config)
`;

export async function runUp(argv: string[]): Promise<number> {
  const values = parseRoleFlags('up', argv, {
    listen: { type: 'string' },
    data: { type: 'string' },
    config: { type: 'string' },
    'agent-config': { type: 'string' },
    'log-level': { type: 'string' },
    'auth-enabled': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(UP_USAGE);
    return 0;
  }
  const serverConfig = loadServerConfig({
    listen: values.listen,
    data: values.data,
    config: values.config,
    logLevel: values['log-level'],
    authEnabled: values['auth-enabled'],
  }, UP_SERVER_DEFAULTS);
  const defaults = upAgentDefaults(serverConfig);
  const agentConfig = loadAgentConfig({
    config: values['agent-config'],
    data: defaults.data,
    logLevel: values['log-level'] ?? serverConfig.log_level,
    metricsListen: defaults.metricsListen,
  });
  const log = createLogger({ level: serverConfig.log_level, component: 'up', version: BUILD_INFO.logwharf });
  const up = createUp(serverConfig, agentConfig, { log });
  const { url } = await startRole(up, serverConfig.listen);
  const stopped = waitForSignal(() => up.close(), log);
  createLogger({ level: 'info', component: 'up', version: BUILD_INFO.logwharf }).info({ address: url, data: serverConfig.data }, 'logwharf server ready');
  return stopped;
}
