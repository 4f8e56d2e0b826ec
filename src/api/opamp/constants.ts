/**
 * OpAMP's enums and bit sets (opamp-spec `proto/opamp/v1/opamp.proto`) as named constants. Bit sets
 * are combined with `|`; the wire type is uint64 but every defined bit fits in 32.
 */

/** AgentToServer.capabilities. */
export const AgentCapabilities = {
  Unspecified: 0,
  ReportsStatus: 0x1,
  AcceptsRemoteConfig: 0x2,
  ReportsEffectiveConfig: 0x4,
  AcceptsPackages: 0x8,
  ReportsPackageStatuses: 0x10,
  ReportsOwnTraces: 0x20,
  ReportsOwnMetrics: 0x40,
  ReportsOwnLogs: 0x80,
  AcceptsOpAMPConnectionSettings: 0x100,
  AcceptsOtherConnectionSettings: 0x200,
  AcceptsRestartCommand: 0x400,
  ReportsHealth: 0x800,
  ReportsRemoteConfig: 0x1000,
  ReportsHeartbeat: 0x2000,
  ReportsAvailableComponents: 0x4000,
  ReportsConnectionSettingsStatus: 0x8000,
} as const;

/** ServerToAgent.capabilities. */
export const ServerCapabilities = {
  Unspecified: 0,
  AcceptsStatus: 0x1,
  OffersRemoteConfig: 0x2,
  AcceptsEffectiveConfig: 0x4,
  OffersPackages: 0x8,
  AcceptsPackagesStatus: 0x10,
  OffersConnectionSettings: 0x20,
  AcceptsConnectionSettingsRequest: 0x40,
} as const;

/** AgentToServer.flags. */
export const AgentToServerFlags = {
  Unspecified: 0,
  RequestInstanceUid: 0x1,
} as const;

/** ServerToAgent.flags. */
export const ServerToAgentFlags = {
  Unspecified: 0,
  ReportFullState: 0x1,
  ReportAvailableComponents: 0x2,
} as const;

/** RemoteConfigStatus.status. */
export const RemoteConfigStatuses = {
  UNSET: 0,
  APPLIED: 1,
  APPLYING: 2,
  FAILED: 3,
} as const;

/** ServerErrorResponse.type. */
export const ServerErrorResponseType = {
  Unknown: 0,
  BadRequest: 1,
  Unavailable: 2,
} as const;

/** The media type of both directions of the plain-HTTP transport. */
export const OPAMP_CONTENT_TYPE = 'application/x-protobuf';

/**
 * How deep AnyValue arrays/kvlists and ComponentHealth maps may nest before a message is refused:
 * real agents nest two or three levels; the bound keeps a hostile message from exhausting the stack.
 */
export const OPAMP_MAX_NESTING = 32;
