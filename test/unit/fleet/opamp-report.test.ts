/**
 * OpAMP messages → the control plane's AgentReport and back: attribute values as text (what
 * selectors compare), remote config states including a number from a newer spec, hex hashes, and
 * keys that are not safe as plain object keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentReport, anyValueText, serverToAgent, SERVER_CAPABILITIES } from '../../../src/fleet/opamp-report.js';
import { ServerCapabilities, ServerToAgentFlags, type AgentToServer } from '../../../src/api/opamp/index.js';

const uid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const base: AgentToServer = { instanceUid: uid, sequenceNum: 9, capabilities: 0, flags: 0 };

test('attribute values render as text: scalars as written, bytes as base64, arrays and kvlists as JSON', () => {
  assert.equal(anyValueText({ kind: 'string', value: 'eu-1' }), 'eu-1');
  assert.equal(anyValueText({ kind: 'int', value: -9007199254740993n }), '-9007199254740993');
  assert.equal(anyValueText({ kind: 'double', value: 2.5 }), '2.5');
  assert.equal(anyValueText({ kind: 'bool', value: true }), 'true');
  assert.equal(anyValueText({ kind: 'bytes', value: Buffer.from([0xff, 0x00]) }), '/wA=');
  assert.equal(anyValueText(undefined), '');
  assert.equal(
    anyValueText({ kind: 'kvlist', values: [{ key: 'zone', value: { kind: 'array', values: [{ kind: 'string', value: 'a' }, undefined, { kind: 'int', value: 3n }] } }] }),
    '{"zone":["a","","3"]}',
  );
});

test('a report keeps what was sent and only that; `__proto__` is an ordinary attribute key', () => {
  const r = agentReport({
    ...base,
    agentDescription: {
      identifyingAttributes: [{ key: '__proto__', value: { kind: 'string', value: 'x' } }],
      nonIdentifyingAttributes: [
        { key: 'role', value: { kind: 'string', value: 'a' } },
        { key: 'role', value: { kind: 'string', value: 'b' } },
      ],
    },
    remoteConfigStatus: { lastRemoteConfigHash: Buffer.from('beef', 'hex'), status: 7, errorMessage: '' },
  });
  assert.equal(Object.getOwnPropertyDescriptor(r.description!.identifying, '__proto__')?.value, 'x');
  assert.deepEqual(r.description!.nonIdentifying, { role: 'b' }, 'a key sent twice keeps its last value');
  assert.deepEqual(r.remoteConfigStatus, { lastRemoteConfigHash: 'beef', status: 'unset', errorMessage: '' }, 'an unknown status number reads as unset');
  assert.deepEqual(Object.keys(r).sort(), ['description', 'instanceUid', 'remoteConfigStatus', 'sequenceNum']);
});

test('an instance_uid that is not 16 bytes is a bad request naming the length', () => {
  assert.throws(() => agentReport({ ...base, instanceUid: Buffer.from('01ARZ3NDEKTSV4RRFFQ69G5FAV') }), { code: 'bad_request', message: /instance_uid must be 16 bytes \(a UUID\), got 26/ });
});

test('the answer: instance echoed, server capabilities, full-state flag, hex hash to bytes; a non-hex hash is an internal error', () => {
  const body = Buffer.from('a: 1\n');
  const m = serverToAgent(uid, { reportFullState: true, remoteConfig: { hash: 'c0ffee', files: { 'logwharf-agent.yaml': { body, contentType: 'application/yaml' } } } });
  assert.equal(m.instanceUid, uid);
  assert.equal(m.flags, ServerToAgentFlags.ReportFullState);
  assert.equal(m.capabilities, SERVER_CAPABILITIES);
  assert.ok(SERVER_CAPABILITIES & ServerCapabilities.OffersRemoteConfig);
  assert.equal(m.remoteConfig?.configHash.toString('hex'), 'c0ffee');
  assert.equal(m.remoteConfig?.config?.configMap['logwharf-agent.yaml']?.body, body);
  assert.deepEqual(serverToAgent(uid, {}), { instanceUid: uid, flags: 0, capabilities: SERVER_CAPABILITIES });
  assert.throws(() => serverToAgent(uid, { remoteConfig: { hash: 'not-hex', files: {} } }), { code: 'internal' });
});
