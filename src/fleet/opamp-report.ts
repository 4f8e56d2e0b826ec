/**
 * OpAMP messages ⇄ the control plane's contract (model.ts): an AgentToServer becomes an
 * AgentReport, a ControllerAnswer becomes a ServerToAgent. Pure, so the mapping is tested without
 * HTTP.
 */
import { LogwharfError } from '../api/errors.js';
import {
  RemoteConfigStatuses,
  ServerCapabilities,
  ServerToAgentFlags,
  instanceUidHex,
  type AgentConfigFile,
  type AgentToServer,
  type AnyValue,
  type KeyValue,
  type ServerToAgent,
} from '../api/opamp/index.js';
import type { AgentReport, ControllerAnswer, RemoteConfigState } from './model.js';

/**
 * What this server tells agents it does: it reads status (description, health, remote config
 * status), offers remote configuration, and reads the effective configuration. Not: packages,
 * connection settings, own telemetry.
 */
export const SERVER_CAPABILITIES = ServerCapabilities.AcceptsStatus | ServerCapabilities.OffersRemoteConfig | ServerCapabilities.AcceptsEffectiveConfig;

/** Current OpAMP requires a 16-byte instance_uid (a UUID); the model keys agents by its 32 hex digits. */
export const INSTANCE_UID_BYTES = 16;

/** The AgentReport of one message; throws `bad_request` for an instance_uid the model cannot key. */
export function agentReport(m: AgentToServer): AgentReport {
  if (m.instanceUid.length !== INSTANCE_UID_BYTES) {
    throw new LogwharfError('bad_request', `invalid OpAMP AgentToServer message: instance_uid must be ${INSTANCE_UID_BYTES} bytes (a UUID), got ${m.instanceUid.length}`);
  }
  const report: AgentReport = { instanceUid: instanceUidHex(m.instanceUid), sequenceNum: m.sequenceNum };
  // Scalars cannot say "not sent"; a zero capability set is what a heartbeat of a minimal client carries.
  if (m.capabilities !== 0) report.capabilities = m.capabilities;
  if (m.agentDescription) {
    report.description = {
      identifying: attributeTexts(m.agentDescription.identifyingAttributes),
      nonIdentifying: attributeTexts(m.agentDescription.nonIdentifyingAttributes),
    };
  }
  if (m.health) {
    const h = m.health;
    report.health = { healthy: h.healthy, status: h.status, lastError: h.lastError };
    if (h.startTimeUnixNano !== 0n) report.health.startTimeUnixNano = h.startTimeUnixNano;
  }
  if (m.effectiveConfig) report.effectiveConfig = files(m.effectiveConfig.configMap?.configMap);
  if (m.remoteConfigStatus) {
    const s = m.remoteConfigStatus;
    report.remoteConfigStatus = { lastRemoteConfigHash: s.lastRemoteConfigHash.toString('hex'), status: remoteConfigState(s.status), errorMessage: s.errorMessage };
  }
  if (m.agentDisconnect) report.disconnect = true;
  return report;
}

/** The ServerToAgent answering `instanceUid` with the controller's answer. */
export function serverToAgent(instanceUid: Buffer, answer: ControllerAnswer): ServerToAgent {
  const out: ServerToAgent = { instanceUid, flags: answer.reportFullState ? ServerToAgentFlags.ReportFullState : 0, capabilities: SERVER_CAPABILITIES };
  if (answer.remoteConfig) {
    const { hash, files: offered } = answer.remoteConfig;
    const configHash = Buffer.from(hash, 'hex');
    if (configHash.length * 2 !== hash.length) throw new LogwharfError('internal', `the fleet offered a config hash that is not hex: ${JSON.stringify(hash)}`);
    const configMap = Object.create(null) as Record<string, AgentConfigFile>;
    for (const [name, f] of Object.entries(offered)) configMap[name] = { body: f.body, contentType: f.contentType };
    out.remoteConfig = { config: { configMap }, configHash };
  }
  return out;
}

const STATES: Record<number, RemoteConfigState> = {
  [RemoteConfigStatuses.UNSET]: 'unset',
  [RemoteConfigStatuses.APPLIED]: 'applied',
  [RemoteConfigStatuses.APPLYING]: 'applying',
  [RemoteConfigStatuses.FAILED]: 'failed',
};

/** A status from a newer spec than ours reads as `unset`: the controller then keeps waiting for a known one. */
function remoteConfigState(n: number): RemoteConfigState {
  return STATES[n] ?? 'unset';
}

function files(m: Record<string, AgentConfigFile> | undefined): Record<string, { body: Buffer; contentType: string }> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([name, f]) => [name, { body: f.body, contentType: f.contentType }]));
}

/** Attributes as text; a key sent twice keeps its last value (OpAMP leaves duplicates undefined). */
function attributeTexts(kvs: KeyValue[]): Record<string, string> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, anyValueText(kv.value)]));
}

/**
 * A non-string AnyValue as text: booleans and numbers as written, bytes as base64, arrays and
 * kvlists as JSON of their members' texts (selectors compare strings).
 */
export function anyValueText(v: AnyValue | undefined): string {
  const j = jsonish(v);
  return typeof j === 'string' ? j : JSON.stringify(j);
}

function jsonish(v: AnyValue | undefined): unknown {
  if (!v) return '';
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'bool':
      return String(v.value);
    case 'int':
      return v.value.toString();
    case 'double':
      return String(v.value);
    case 'bytes':
      return v.value.toString('base64');
    case 'array':
      return v.values.map(jsonish);
    case 'kvlist':
      return Object.fromEntries(v.values.map((kv) => [kv.key, jsonish(kv.value)]));
  }
}
