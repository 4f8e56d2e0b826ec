/**
 * How our agent appears in OpAMP (issue #13), shared by the agent's client (src/agent/control) and
 * the server side: the same values as src/fleet/model.ts's AGENT_SERVICE_NAME, AGENT_CONFIG_FILE and
 * AGENT_CONFIG_CONTENT_TYPE (the agent may not import src/fleet; a unit test keeps the two equal).
 */

/** OpAMP `service.name` our agent reports. */
export const OPAMP_AGENT_SERVICE_NAME = 'logwharf-agent';
/** The file name our agent's remote configuration travels under in AgentConfigMap. */
export const OPAMP_AGENT_CONFIG_FILE = 'logwharf-agent.yaml';
/** Its content type. */
export const OPAMP_AGENT_CONFIG_CONTENT_TYPE = 'application/yaml';
/** The OpAMP plain-HTTP endpoint under the server's base URL. */
export const OPAMP_PATH = '/v1/opamp';
