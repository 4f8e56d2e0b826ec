/**
 * OpAMP's messages (the Open Agent Management Protocol, opamp-spec `proto/opamp/v1/opamp.proto` and
 * `anyvalue.proto`) as plain TypeScript values: the subset a log agent and its server exchange over
 * the plain-HTTP transport. Field names follow the .proto in camelCase. Messages the codec does not
 * model (packages, custom messages, available components, commands, own telemetry settings) are
 * skipped on decode like any unknown field, so newer peers stay readable.
 *
 * Scalars are always present after decoding (proto3 defaults: 0, '', empty Buffer); a nested
 * message is `undefined` when it was not sent. Maps are null-prototype records, so a key such as
 * `__proto__` is an ordinary entry.
 */

/** AnyValue's oneof; `undefined` where the .proto leaves it unset. int64 values are bigint (exact). */
export type AnyValue =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'double'; value: number }
  | { kind: 'array'; values: Array<AnyValue | undefined> }
  | { kind: 'kvlist'; values: KeyValue[] }
  | { kind: 'bytes'; value: Buffer };

export interface KeyValue {
  key: string;
  value?: AnyValue;
}

export interface AgentDescription {
  identifyingAttributes: KeyValue[];
  nonIdentifyingAttributes: KeyValue[];
}

export interface ComponentHealth {
  healthy: boolean;
  /** fixed64 nanoseconds since the epoch; 0n = not set. */
  startTimeUnixNano: bigint;
  lastError: string;
  status: string;
  statusTimeUnixNano: bigint;
  /** Sub-components by name (the agent's pipelines, receivers, …). */
  componentHealthMap: Record<string, ComponentHealth>;
  attributes: KeyValue[];
}

export interface AgentConfigFile {
  body: Buffer;
  contentType: string;
}

export interface AgentConfigMap {
  /** File name → file; `""` is "the whole configuration" for single-file agents. */
  configMap: Record<string, AgentConfigFile>;
}

export interface EffectiveConfig {
  configMap?: AgentConfigMap;
}

export interface RemoteConfigStatus {
  lastRemoteConfigHash: Buffer;
  /** A `RemoteConfigStatuses` value (open enum: unknown numbers are kept). */
  status: number;
  errorMessage: string;
}

export interface AgentToServer {
  /** 16 bytes (a UUID) in current OpAMP. */
  instanceUid: Buffer;
  /** uint64 on the wire; values past 2^53 lose precision (a counter never gets there). */
  sequenceNum: number;
  agentDescription?: AgentDescription;
  /** `AgentCapabilities` bits. */
  capabilities: number;
  health?: ComponentHealth;
  effectiveConfig?: EffectiveConfig;
  remoteConfigStatus?: RemoteConfigStatus;
  /** AgentDisconnect is an empty message: its presence is the information. */
  agentDisconnect?: boolean;
  /** `AgentToServerFlags` bits. */
  flags: number;
}

export interface AgentRemoteConfig {
  config?: AgentConfigMap;
  configHash: Buffer;
}

export interface RetryInfo {
  retryAfterNanoseconds: bigint;
}

export interface ServerErrorResponse {
  /** A `ServerErrorResponseType` value. */
  type: number;
  errorMessage: string;
  retryInfo?: RetryInfo;
}

/** OpAMPConnectionSettings: only the polling interval is modelled (endpoint, headers, TLS are not offered). */
export interface OpAMPConnectionSettings {
  heartbeatIntervalSeconds: number;
}

/** ConnectionSettingsOffers: the OpAMP connection only (own telemetry and other connections are skipped). */
export interface ConnectionSettingsOffers {
  hash: Buffer;
  opamp?: OpAMPConnectionSettings;
}

export interface AgentIdentification {
  newInstanceUid: Buffer;
}

export interface ServerToAgent {
  instanceUid: Buffer;
  errorResponse?: ServerErrorResponse;
  remoteConfig?: AgentRemoteConfig;
  connectionSettings?: ConnectionSettingsOffers;
  /** `ServerToAgentFlags` bits. */
  flags: number;
  /** `ServerCapabilities` bits. */
  capabilities: number;
  agentIdentification?: AgentIdentification;
}
