/**
 * The agent's OpAMP client over plain HTTP (issue #13): every heartbeat — and at once when its
 * state changes — it POSTs an AgentToServer to `<control.url>/v1/opamp` and acts on the
 * ServerToAgent answer. It reports its description, capabilities, health, effective configuration
 * (the remotely changeable part, as YAML) and the status of the remote configuration; it hands an
 * offered remote configuration to the agent's RemoteConfig and reports APPLYING → APPLIED or FAILED
 * with the hash. ReportFullState is honoured; AgentDisconnect is sent at close.
 *
 * The protocol side only: what it reports and what it does with a configuration come through
 * OpampAgentState, so it can be tested on its own. Compression, WebSocket and packages are not
 * used (plain HTTP polling is the transport the server offers).
 */
import {
  AgentCapabilities,
  OPAMP_CONTENT_TYPE,
  RemoteConfigStatuses,
  ServerErrorResponseType,
  ServerToAgentFlags,
  decodeServerToAgent,
  encodeAgentToServer,
  type AgentDescription,
  type AgentToServer,
  type ComponentHealth,
  type KeyValue,
} from '../../api/opamp/index.js';
import { OPAMP_AGENT_CONFIG_CONTENT_TYPE, OPAMP_AGENT_CONFIG_FILE, OPAMP_PATH } from '../../api/opamp-agent.js';
import { createBackoff } from '../../util/backoff.js';
import type { Logger } from '../../util/logger.js';
import type { HttpClient } from '../ship/http-client.js';
import type { RemoteConfigStatus } from '../remote-config.js';

/** What the client reports and where an offered configuration goes. */
export interface OpampAgentState {
  /** Identifying (service.*) and non-identifying (host.name, os.type, control.attributes) attributes. */
  description(): { identifying: Record<string, string>; nonIdentifying: Record<string, string> };
  health(): { healthy: boolean; status: string; lastError: string; startTimeMs: number };
  /** The running configuration's remotely changeable part, as YAML. */
  effectiveConfig(): string;
  remoteStatus(): RemoteConfigStatus;
  /** A remote configuration (YAML text of logwharf-agent.yaml, '' for an empty map) with its hash (hex). */
  offer(yaml: string, hash: string): void;
  /** A configuration this agent cannot use at all (no logwharf-agent.yaml in it): reported as FAILED. */
  refuse(hash: string, reason: string): void;
  /** The server assigned a new instance_uid. */
  newInstanceUid?(uid: Buffer): void;
}

export interface OpampClientOptions {
  /** The control plane's HTTP client (the shipper's credentials and TLS, on control.url). */
  http: HttpClient;
  instanceUid: Buffer;
  heartbeatMs: number;
  /** auto: a 404 from the server (no OpAMP there, e.g. Loki) turns the client off; true: it keeps trying. */
  enabled: 'auto' | 'true';
  state: OpampAgentState;
  log: Logger;
}

export interface OpampClient {
  start(): void;
  /** Reports now (a status changed); coalesced with a report under way. */
  reportNow(): void;
  /** Sends AgentDisconnect (best effort, once) and stops. */
  close(): Promise<void>;
  readonly disabled: boolean;
  /** Messages answered by the server so far (tests and metrics). */
  readonly exchanges: number;
}

export const AGENT_CAPABILITIES =
  AgentCapabilities.ReportsStatus |
  AgentCapabilities.AcceptsRemoteConfig |
  AgentCapabilities.ReportsEffectiveConfig |
  AgentCapabilities.ReportsHealth |
  AgentCapabilities.ReportsRemoteConfig |
  AgentCapabilities.ReportsHeartbeat;

/** An answer larger than this is refused (a remote configuration is a few KB). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const ERROR_LOG_EVERY_MS = 60_000;

const STATUS_CODES: Record<RemoteConfigStatus['state'], number> = {
  unset: RemoteConfigStatuses.UNSET,
  applying: RemoteConfigStatuses.APPLYING,
  applied: RemoteConfigStatuses.APPLIED,
  failed: RemoteConfigStatuses.FAILED,
};

function attributes(r: Record<string, string>): KeyValue[] {
  return Object.entries(r).map(([key, value]) => ({ key, value: { kind: 'string', value } }));
}

export function createOpampClient(opts: OpampClientOptions): OpampClient {
  const { http, state, log } = opts;
  let uid = opts.instanceUid;
  let heartbeatMs = opts.heartbeatMs;
  let sequenceNum = 0;
  let disabled = false;
  let closed = false;
  let exchanges = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let again = false;
  let lastErrorLog = -Infinity;
  /** What the server was last told; a field is sent again only when it changed (or on ReportFullState). */
  let fullState = true;
  let sentConfig: string | undefined;
  let sentStatus: string | undefined;
  let sentHealth: string | undefined;
  const backoff = createBackoff(1000, 60_000);

  function build(): AgentToServer {
    const m: AgentToServer = { instanceUid: uid, sequenceNum: sequenceNum++, capabilities: AGENT_CAPABILITIES, flags: 0 };
    const h = state.health();
    const health: ComponentHealth = {
      healthy: h.healthy,
      startTimeUnixNano: BigInt(h.startTimeMs) * 1_000_000n,
      lastError: h.lastError,
      status: h.status,
      statusTimeUnixNano: BigInt(Date.now()) * 1_000_000n,
      componentHealthMap: {},
      attributes: [],
    };
    const healthKey = `${h.healthy}\u0000${h.status}\u0000${h.lastError}`;
    if (fullState || healthKey !== sentHealth) {
      m.health = health;
      sentHealth = healthKey;
    }
    if (fullState) {
      const d = state.description();
      const description: AgentDescription = { identifyingAttributes: attributes(d.identifying), nonIdentifyingAttributes: attributes(d.nonIdentifying) };
      m.agentDescription = description;
    }
    const yaml = state.effectiveConfig();
    if (fullState || yaml !== sentConfig) {
      m.effectiveConfig = { configMap: { configMap: { [OPAMP_AGENT_CONFIG_FILE]: { body: Buffer.from(yaml), contentType: OPAMP_AGENT_CONFIG_CONTENT_TYPE } } } };
      sentConfig = yaml;
    }
    const rs = state.remoteStatus();
    const statusKey = `${rs.state}\u0000${rs.hash}\u0000${rs.error}`;
    if (fullState || statusKey !== sentStatus) {
      m.remoteConfigStatus = { lastRemoteConfigHash: Buffer.from(rs.hash, 'hex'), status: STATUS_CODES[rs.state], errorMessage: rs.error };
      sentStatus = statusKey;
    }
    fullState = false;
    return m;
  }

  /** One exchange; returns how long to wait before the next one. */
  async function exchange(m: AgentToServer): Promise<number> {
    let res;
    try {
      res = await http.exchange(OPAMP_PATH, { contentType: OPAMP_CONTENT_TYPE, body: encodeAgentToServer(m) }, MAX_ANSWER_BYTES);
    } catch (e) {
      return failed(`cannot reach the control plane: ${(e as Error).message}`);
    }
    if (res.status === 404 && opts.enabled === 'auto') {
      disabled = true;
      log.info({ status: 404 }, `the server has no OpAMP endpoint ${OPAMP_PATH} (e.g. Loki); remote configuration is off`);
      return 0;
    }
    if (res.status < 200 || res.status >= 300) return failed(`HTTP ${res.status}: ${res.body.toString('utf8', 0, 200)}`);
    let answer;
    try {
      answer = decodeServerToAgent(res.body);
    } catch (e) {
      return failed(`the control plane's answer is not a ServerToAgent message: ${(e as Error).message}`);
    }
    exchanges++;
    if (answer.errorResponse) {
      const e = answer.errorResponse;
      const retry = e.retryInfo ? Number(e.retryInfo.retryAfterNanoseconds / 1_000_000n) : 0;
      // The server could not take the whole message: everything goes again next time.
      fullState = true;
      if (e.type === ServerErrorResponseType.Unavailable && retry > 0) {
        log.warn({ err: e.errorMessage, retry_in_ms: retry }, 'the control plane is unavailable');
        return retry;
      }
      return failed(`the control plane refused the report: ${e.errorMessage}`);
    }
    backoff.reset();
    if (answer.agentIdentification && answer.agentIdentification.newInstanceUid.length > 0) {
      uid = Buffer.from(answer.agentIdentification.newInstanceUid);
      state.newInstanceUid?.(uid);
      fullState = true;
    }
    const hb = answer.connectionSettings?.opamp?.heartbeatIntervalSeconds;
    if (hb !== undefined && hb > 0) heartbeatMs = hb * 1000;
    if ((answer.flags & ServerToAgentFlags.ReportFullState) !== 0) fullState = true;
    const rc = answer.remoteConfig;
    if (rc) {
      const hash = rc.configHash.toString('hex');
      const files = rc.config?.configMap ?? {};
      const names = Object.keys(files);
      const ours = files[OPAMP_AGENT_CONFIG_FILE];
      if (ours) state.offer(ours.body.toString('utf8'), hash);
      else if (names.length === 0) state.offer('', hash);
      else state.refuse(hash, `the remote configuration has no ${OPAMP_AGENT_CONFIG_FILE} (files: ${names.map((n) => JSON.stringify(n)).join(', ')})`);
    }
    // The server asked for something only the next message can carry: send it now, not a heartbeat later.
    return fullState ? 1 : heartbeatMs;
  }

  function failed(err: string): number {
    // The server may have lost what it was told: everything goes again once it answers.
    fullState = true;
    const wait = Math.min(backoff.next(), heartbeatMs);
    if (Date.now() - lastErrorLog >= ERROR_LOG_EVERY_MS) {
      lastErrorLog = Date.now();
      log.warn({ err, retry_in_ms: wait }, 'cannot report to the control plane; will retry');
    }
    return wait;
  }

  async function cycle(): Promise<void> {
    let wait = heartbeatMs;
    do {
      again = false;
      wait = await exchange(build());
    } while (again && !closed && !disabled);
    if (closed || disabled) return;
    clearTimeout(timer);
    timer = setTimeout(tick, wait);
    timer.unref();
  }

  function tick(): void {
    if (closed || disabled) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = cycle().finally(() => (inFlight = undefined));
  }

  return {
    get disabled() {
      return disabled;
    },
    get exchanges() {
      return exchanges;
    },
    start: tick,
    reportNow: tick,
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await inFlight;
      if (disabled) return;
      const m = build();
      m.agentDisconnect = true;
      try {
        await http.exchange(OPAMP_PATH, { contentType: OPAMP_CONTENT_TYPE, body: encodeAgentToServer(m) }, MAX_ANSWER_BYTES);
      } catch {
        // The server is gone: it will mark the agent stale instead.
      }
    },
  };
}
