/**
 * The agent (src/api/opamp-agent.ts) and the fleet's contract (src/fleet/model.ts) name our agent,
 * its configuration file and its content type the same way; the agent may not import src/fleet, so
 * this test keeps the two copies equal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPAMP_AGENT_CONFIG_CONTENT_TYPE, OPAMP_AGENT_CONFIG_FILE, OPAMP_AGENT_SERVICE_NAME } from '../../../../src/api/opamp-agent.js';
import { AGENT_CONFIG_CONTENT_TYPE, AGENT_CONFIG_FILE, AGENT_SERVICE_NAME } from '../../../../src/fleet/model.js';

test('the agent and the fleet contract agree on service.name, the config file name and its content type', () => {
  assert.deepEqual(
    [OPAMP_AGENT_SERVICE_NAME, OPAMP_AGENT_CONFIG_FILE, OPAMP_AGENT_CONFIG_CONTENT_TYPE],
    [AGENT_SERVICE_NAME, AGENT_CONFIG_FILE, AGENT_CONFIG_CONTENT_TYPE],
  );
});
