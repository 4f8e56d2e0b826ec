/**
 * The agent's control plane side (issue #13), loaded only when `control.enabled` is not false (an
 * agent without it pays nothing for it): the OpAMP client on `control.url` with the shipper's
 * credentials and TLS, the remote configuration it feeds (merge, hot apply, health window,
 * rollback), and the instance_uid kept in the data directory.
 */
import { hostname, platform } from 'node:os';
import type { AgentConfig } from '../../config/agent.js';
import { parseDurationMs } from '../../config/duration.js';
import { remotePartYaml } from '../../config/agent-remote.js';
import { OPAMP_AGENT_SERVICE_NAME } from '../../api/opamp-agent.js';
import { childLogger, type Logger } from '../../util/logger.js';
import type { AgentRole } from '../agent.js';
import { createRemoteConfig, type RemoteConfig, type StoredRemoteConfig } from '../remote-config.js';
import { createHttpClient } from '../ship/http-client.js';
import { loadInstanceUid, saveInstanceUid } from './instance-uid.js';
import { createOpampClient, type OpampClient } from './opamp-client.js';

export interface ControlDeps {
  agent: AgentRole;
  /** The local configuration (file, environment, flags) every remote one is merged over. */
  local: AgentConfig;
  /** What loadRemoteConfig read from the data directory. */
  stored: StoredRemoteConfig;
  log: Logger;
  version: string;
}

export interface Control {
  readonly client: OpampClient;
  readonly remote: RemoteConfig;
  readonly instanceUid: string;
  close(): Promise<void>;
}

/** Shipping counts as unhealthy in the reported health after this long without an acknowledgement. */
const STALLED_UNHEALTHY_MS = 30_000;

export async function startControl(deps: ControlDeps): Promise<Control> {
  const { agent, local } = deps;
  const log = childLogger(deps.log, { component: 'agent-control' });
  const url = local.control.url ?? local.client.url!;
  const http = createHttpClient({ ...local.client, url }, { timeoutMs: parseDurationMs(local.client.timeout), version: deps.version });
  const uid = await loadInstanceUid(local.data);
  const startedAt = Date.now();
  let client: OpampClient | undefined;
  const remote = createRemoteConfig(
    { agent, local, windowMs: parseDurationMs(local.control.health_window), log, onStatus: () => client?.reportNow() },
    deps.stored,
  );
  client = createOpampClient({
    http,
    instanceUid: uid,
    heartbeatMs: parseDurationMs(local.control.heartbeat),
    enabled: local.control.enabled === 'true' ? 'true' : 'auto',
    log,
    state: {
      description: () => ({
        identifying: { 'service.name': OPAMP_AGENT_SERVICE_NAME, 'service.version': deps.version, 'service.instance.id': uid.toString('hex') },
        nonIdentifying: { 'host.name': agent.config.host || hostname(), 'os.type': platform(), ...local.control.attributes },
      }),
      health: () => {
        const h = agent.health();
        const s = h.shipping;
        const stalled = s.stalledSince !== undefined && s.lastFailure !== undefined && Date.now() - s.stalledSince >= STALLED_UNHEALTHY_MS;
        const [failedId, failedErr] = [...h.failedSources][0] ?? [];
        const lastError = stalled ? `shipping to ${h.pushUrl}: ${s.lastFailure}` : failedId !== undefined ? `source ${failedId}: ${failedErr}` : '';
        return { healthy: lastError === '', status: lastError === '' ? 'running' : 'degraded', lastError, startTimeMs: startedAt };
      },
      effectiveConfig: () => remotePartYaml(agent.config),
      remoteStatus: () => remote.status(),
      offer: (yaml, hash) => remote.offer(yaml, hash),
      refuse: (hash, reason) => remote.refuse(hash, reason),
      newInstanceUid: (next) => {
        saveInstanceUid(local.data, next).catch((e: unknown) => log.error({ err: (e as Error).message }, 'cannot store the new instance_uid'));
      },
    },
  });
  client.start();
  log.info({ url, instance_uid: uid.toString('hex') }, 'reporting to the control plane (OpAMP)');
  return {
    client,
    remote,
    instanceUid: uid.toString('hex'),
    async close() {
      await remote.close();
      await client!.close();
      http.close();
    },
  };
}
