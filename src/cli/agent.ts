/**
 * `logwharf agent`: collects container and file logs on this host and ships them to any
 * Loki-compatible URL. Runs until SIGTERM/SIGINT, which send what is queued (a few seconds at most),
 * write positions and exit 0. One JSON line says when it is ready.
 */
import { getHeapStatistics } from 'node:v8';
import { clientUrl, loadAgentConfig } from '../config/agent.js';
import { UsageError } from './io.js';
import { createAgentProcess } from '../app/agent.js';
import { createLogger } from '../util/logger.js';
import { BUILD_INFO } from '../app/build-info.js';
import { parseRoleFlags, waitForSignal } from './role.js';

export const AGENT_USAGE = `Usage: logwharf agent --server URL [--config FILE] [--data DIR] [--metrics-listen HOST:PORT] [--log-level LEVEL]

Collects the logs of every Docker container, Kubernetes pod (from /var/log/pods) and configured file
on this host and ships them to a Loki-compatible server (logwharf or Loki).
  --server          base URL of the server, e.g. http://127.0.0.1:3100 (or LOGWHARF_SERVER, or client.url
                    in the config file); required: the agent does not guess where to ship. The agent also
                    takes its remote configuration from there over OpAMP (POST /v1/opamp; the control
                    section of the config file; off by itself against a server without it, e.g. Loki)
  --config          YAML configuration file (see docs/configuration.md, "Agent")
  --data            directory for positions and the disk buffer (default ./agent-data)
  --metrics-listen  address of /metrics, /ready and /sources (default 127.0.0.1:3101; "" turns it off)
  --log-level       debug | info | warn | error | silent (default info)
`;

/** Above this the small-heap flags are not in effect (bin/logwharf gives 128 MB of old space plus the young generation). */
const SMALL_HEAP_MAX_MB = 256;

export async function runAgent(argv: string[]): Promise<number> {
  const values = parseRoleFlags('agent', argv, {
    server: { type: 'string' },
    config: { type: 'string' },
    data: { type: 'string' },
    'metrics-listen': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(AGENT_USAGE);
    return 0;
  }
  const config = loadAgentConfig({
    server: values.server,
    config: values.config,
    data: values.data,
    logLevel: values['log-level'],
    metricsListen: values['metrics-listen'],
  });
  try {
    clientUrl(config.client);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const log = createLogger({ level: config.log_level, component: 'agent', version: BUILD_INFO.logwharf });
  const proc = createAgentProcess(config, { log });
  const { metricsUrl } = await proc.start();
  // The heap limit shows whether bin/logwharf's small-heap flags (or NODE_OPTIONS) are in effect.
  const heapLimitMb = Math.round(getHeapStatistics().heap_size_limit / 1048576);
  if (heapLimitMb > SMALL_HEAP_MAX_MB) {
    // Started around bin/logwharf (node dist/cli/main.js agent, an image's own entrypoint): V8's heap
    // limits cannot be set from here any more, so say how to get the agent's memory budget.
    log.warn(
      { heap_limit_mb: heapLimitMb },
      'the agent runs with Node\'s default heap (RSS grows ~30 MB higher on a busy node): start it as `logwharf agent` (bin/logwharf) or set NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=2 --v8-pool-size=1"',
    );
  }
  // Handlers before the ready line: a SIGTERM sent on reading it must still stop the agent cleanly.
  const stopped = waitForSignal(() => proc.close(), log);
  createLogger({ level: 'info', component: 'agent', version: BUILD_INFO.logwharf }).info(
    { server: config.client.url, metrics: metricsUrl, data: config.data, heap_limit_mb: heapLimitMb },
    'logwharf agent ready',
  );
  return stopped;
}
