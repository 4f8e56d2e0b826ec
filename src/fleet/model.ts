/**
 * The control plane's contract (issue #13): what the OpAMP transport (`opamp-route.ts`, the
 * protocol side) tells the fleet controller (configs, rollouts, agents: the state side) about an
 * agent, and what the controller answers it should run. The transport knows OpAMP's messages; the
 * controller knows none of them, so each side is tested on its own and both together end to end.
 *
 * Hashes are lowercase hex. An agent's id is its OpAMP instance_uid as 32 lowercase hex digits.
 */

/** What the server knows about one agent from its AgentToServer messages (fields absent = not sent this time). */
export interface AgentReport {
  /** instance_uid, 32 lowercase hex digits. */
  instanceUid: string;
  sequenceNum: number;
  /** OpAMP AgentCapabilities bit set as sent. */
  capabilities?: number;
  /**
   * AgentDescription flattened to string attributes (non-string AnyValues are rendered as text):
   * identifying (service.name, service.version, service.instance.id) and non-identifying
   * (host.name, os.type, k8s.cluster.name, `cluster`, `role`, …).
   */
  description?: { identifying: Record<string, string>; nonIdentifying: Record<string, string> };
  /** ComponentHealth of the agent as a whole. */
  health?: { healthy: boolean; status: string; lastError: string; startTimeUnixNano?: bigint };
  /** The configuration the agent runs now (EffectiveConfig), per file name. */
  effectiveConfig?: Record<string, { body: Buffer; contentType: string }>;
  /** RemoteConfigStatus. */
  remoteConfigStatus?: { lastRemoteConfigHash: string; status: RemoteConfigState; errorMessage: string };
  /** The agent said it is going away (agent_disconnect). */
  disconnect?: boolean;
}

export type RemoteConfigState = 'unset' | 'applied' | 'applying' | 'failed';

/** A configuration offered to an agent (OpAMP AgentRemoteConfig). */
export interface OfferedConfig {
  /** config_hash: the agent reports it back in RemoteConfigStatus.last_remote_config_hash. */
  hash: string;
  /** AgentConfigMap: file name → body. Our agent reads `logwharf-agent.yaml`; a Collector `""` (its whole config). */
  files: Record<string, { body: Buffer; contentType: string }>;
}

/** What the transport sends back in ServerToAgent. */
export interface ControllerAnswer {
  /** Offered when the agent's last_remote_config_hash differs from it (the transport may always send it; agents ignore a hash they already applied). */
  remoteConfig?: OfferedConfig;
  /** Ask the agent to send its full state (ServerToAgentFlags_ReportFullState): the server lost it (restart, unknown agent). */
  reportFullState?: boolean;
}

/** The state side: owns the fleet database (agents, configs and versions, rollouts). */
export interface FleetController {
  /** One AgentToServer message, already decoded. Never throws for agent input: bad input is an answer, not a crash. */
  report(report: AgentReport): Promise<ControllerAnswer>;
}

/** The file name our agent's remote configuration travels under in AgentConfigMap. */
export const AGENT_CONFIG_FILE = 'logwharf-agent.yaml';
/** Its content type. */
export const AGENT_CONFIG_CONTENT_TYPE = 'application/yaml';
/** OpAMP `service.name` our agent reports; anything else (otelcol-contrib, …) is another agent type. */
export const AGENT_SERVICE_NAME = 'logwharf-agent';
