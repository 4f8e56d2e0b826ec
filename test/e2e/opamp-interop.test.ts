/**
 * OpAMP's plain-HTTP transport (`POST /v1/opamp`) on the real server (port 0, temp data dir) against
 * independent clients: `@elastic/opamp-client-node` (its own HTTP client and protobuf-es classes
 * generated from the real .proto files) connects, reports its description, receives remote
 * configurations and reports them APPLIED and FAILED; since that client cannot report health or
 * effective configuration (it refuses those capabilities), messages carrying them are built with
 * the same generated classes and sent with fetch, gzipped. Then malformed and hostile bodies.
 *
 * The fleet controller here is a small one defined in this file, recording what the transport tells
 * it and answering with one offered configuration: the real controller (fleet.db, rollouts) is
 * h/fleet's and is covered end to end, with real agents, elsewhere. This file checks the transport:
 * what the controller saw and what the clients received.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AgentCapabilities, AgentToServerSchema, RemoteConfigStatusSchema, RemoteConfigStatuses, ServerToAgentSchema } from '@elastic/opamp-client-node/lib/generated/opamp_pb.js';
import { createOpAMPClient } from '@elastic/opamp-client-node';
import { startServer, removeDir, tempDir } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { waitFor } from '../helpers/wait-for.js';
import { AGENT_CONFIG_CONTENT_TYPE, AGENT_CONFIG_FILE, type AgentReport, type ControllerAnswer, type FleetController, type OfferedConfig } from '../../src/fleet/model.js';
import { OPAMP_MAX_MESSAGE_BYTES } from '../../src/fleet/opamp-route.js';

/** Records every report; offers `offered` to any agent whose last reported hash differs; asks unknown agents for their full state. */
class TestFleet implements FleetController {
  readonly reports: AgentReport[] = [];
  offered?: OfferedConfig;
  private readonly lastHash = new Map<string, string>();

  async report(r: AgentReport): Promise<ControllerAnswer> {
    this.reports.push(r);
    const known = this.lastHash.has(r.instanceUid);
    if (r.remoteConfigStatus || r.description) this.lastHash.set(r.instanceUid, r.remoteConfigStatus?.lastRemoteConfigHash ?? this.lastHash.get(r.instanceUid) ?? '');
    const answer: ControllerAnswer = {};
    if (!known && !r.description) answer.reportFullState = true;
    if (this.offered && this.lastHash.get(r.instanceUid) !== this.offered.hash) answer.remoteConfig = this.offered;
    return answer;
  }

  statusOf(uid: string, hash: string): AgentReport['remoteConfigStatus'] | undefined {
    return this.reports.findLast((r) => r.instanceUid === uid && r.remoteConfigStatus?.lastRemoteConfigHash === hash)?.remoteConfigStatus;
  }
}

function offer(yaml: string): OfferedConfig {
  const body = Buffer.from(yaml);
  return { hash: createHash('sha256').update(body).digest('hex'), files: { [AGENT_CONFIG_FILE]: { body, contentType: AGENT_CONFIG_CONTENT_TYPE } } };
}

async function post(url: string, body: Uint8Array | string, headers: Record<string, string> = { 'Content-Type': 'application/x-protobuf' }) {
  const res = await request(`${url}/v1/opamp`, { method: 'POST', headers, body: Buffer.from(body) });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), bytes, text: bytes.toString('utf8') };
}

const UID = Buffer.from('0190f3a2b4c64d7e8f90a1b2c3d4e5f6', 'hex');

test('@elastic/opamp-client-node connects, reports its description, gets remote configs and reports APPLIED and FAILED', async (t) => {
  const fleet = new TestFleet();
  fleet.offered = offer('client:\n  url: http://loki:3100/loki/api/v1/push\n');
  const s = await startServer({}, { fleet });
  const received: Array<{ hash: string; files: Record<string, { body: string; contentType: string }> }> = [];
  const client = createOpAMPClient({
    endpoint: `${s.url}/v1/opamp`,
    heartbeatIntervalSeconds: 0.1,
    capabilities: BigInt(AgentCapabilities.AgentCapabilities_AcceptsRemoteConfig | AgentCapabilities.AgentCapabilities_ReportsRemoteConfig),
    onMessage: ({ remoteConfig }) => {
      if (!remoteConfig) return;
      const files = Object.fromEntries(Object.entries((remoteConfig.config?.configMap ?? {}) as Record<string, { body: Uint8Array; contentType: string }>).map(([n, f]) => [n, { body: Buffer.from(f.body).toString(), contentType: f.contentType }]));
      const hash = Buffer.from(remoteConfig.configHash).toString('hex');
      if (!received.some((r) => r.hash === hash)) received.push({ hash, files });
      // The "agent" refuses a configuration that ships nowhere.
      const bad = files[AGENT_CONFIG_FILE]?.body.includes('unreachable');
      client.setRemoteConfigStatus(
        create(
          RemoteConfigStatusSchema,
          bad
            ? { lastRemoteConfigHash: remoteConfig.configHash, status: RemoteConfigStatuses.RemoteConfigStatuses_FAILED, errorMessage: 'health window: shipping failed: ECONNREFUSED' }
            : { lastRemoteConfigHash: remoteConfig.configHash, status: RemoteConfigStatuses.RemoteConfigStatuses_APPLIED },
        ),
      );
    },
  });
  client.setAgentDescription({
    identifyingAttributes: { 'service.name': 'otelcol-contrib', 'service.version': '0.115.0' },
    nonIdentifyingAttributes: { 'host.name': 'node-7', cluster: 'eu-1', role: 'edge', 'host.cpus': 4, tags: ['a', 'b'], debug: false },
  });
  client.start();
  t.after(async () => (await client.shutdown(), await s.close(), removeDir(s.dir)));
  const uid = Buffer.from(client.getInstanceUid()).toString('hex');
  assert.match(uid, /^[0-9a-f]{32}$/);

  const first = fleet.offered;
  const applied = await waitFor('the client to report the first configuration APPLIED', () => fleet.statusOf(uid, first.hash));
  assert.deepEqual(applied, { lastRemoteConfigHash: first.hash, status: 'applied', errorMessage: '' });
  const described = fleet.reports.find((r) => r.instanceUid === uid && r.description);
  assert.deepEqual(described?.description, {
    identifying: { 'service.name': 'otelcol-contrib', 'service.version': '0.115.0' },
    nonIdentifying: { 'host.name': 'node-7', cluster: 'eu-1', role: 'edge', 'host.cpus': '4', tags: '["a","b"]', debug: 'false' },
  });
  assert.ok(fleet.reports.every((r) => r.instanceUid === uid), 'one agent, one instance_uid');
  const caps = fleet.reports.find((r) => r.capabilities !== undefined)?.capabilities ?? 0;
  assert.ok(caps & AgentCapabilities.AgentCapabilities_AcceptsRemoteConfig && caps & AgentCapabilities.AgentCapabilities_ReportsStatus, `capabilities as sent: ${caps}`);
  assert.deepEqual(received[0], { hash: first.hash, files: { [AGENT_CONFIG_FILE]: { body: 'client:\n  url: http://loki:3100/loki/api/v1/push\n', contentType: 'application/yaml' } } });

  // A configuration the agent cannot run: it reports FAILED with its reason.
  fleet.offered = offer('client:\n  url: http://unreachable.invalid:3100/loki/api/v1/push\n');
  const second = fleet.offered;
  const failed = await waitFor('the client to report the second configuration FAILED', () => fleet.statusOf(uid, second.hash));
  assert.deepEqual(failed, { lastRemoteConfigHash: second.hash, status: 'failed', errorMessage: 'health window: shipping failed: ECONNREFUSED' });
  assert.deepEqual(received.map((r) => r.hash), [first.hash, second.hash], 'each configuration received, in order');
  const seqs = fleet.reports.map((r) => r.sequenceNum);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'sequence numbers as the client counted them');
});

test('health, effective configuration and disconnect from the generated classes, gzipped; the answer echoes the agent and says what the server offers', async (t) => {
  const fleet = new TestFleet();
  fleet.offered = offer('pipeline: []\n');
  const s = await startServer({}, { fleet });
  t.after(async () => (await s.close(), removeDir(s.dir)));

  // A heartbeat from an agent the server does not know: it is asked for its full state.
  const hb = await post(s.url, toBinary(AgentToServerSchema, create(AgentToServerSchema, { instanceUid: UID, sequenceNum: 1n })));
  assert.equal(hb.status, 200);
  assert.equal(hb.type, 'application/x-protobuf');
  const hbAnswer = fromBinary(ServerToAgentSchema, hb.bytes);
  assert.equal(Buffer.from(hbAnswer.instanceUid).toString('hex'), UID.toString('hex'));
  assert.equal(hbAnswer.flags, 1n, 'ServerToAgentFlags_ReportFullState');
  assert.equal(hbAnswer.capabilities, 0b111n, 'AcceptsStatus | OffersRemoteConfig | AcceptsEffectiveConfig');
  assert.equal(Buffer.from(hbAnswer.remoteConfig!.configHash).toString('hex'), fleet.offered.hash);
  assert.equal(Buffer.from(hbAnswer.remoteConfig!.config!.configMap[AGENT_CONFIG_FILE]!.body).toString(), 'pipeline: []\n');

  const full = create(AgentToServerSchema, {
    instanceUid: UID,
    sequenceNum: 2n,
    capabilities: BigInt(AgentCapabilities.AgentCapabilities_ReportsHealth | AgentCapabilities.AgentCapabilities_ReportsEffectiveConfig),
    agentDescription: { identifyingAttributes: [{ key: 'service.name', value: { value: { case: 'stringValue', value: 'logwharf-agent' } } }] },
    health: {
      healthy: false,
      startTimeUnixNano: 1_733_390_000_000_000_000n,
      lastError: 'client.url unreachable',
      status: 'StatusRecoverableError',
      componentHealthMap: { shipper: { healthy: false, lastError: 'ECONNREFUSED' } },
    },
    effectiveConfig: { configMap: { configMap: { [AGENT_CONFIG_FILE]: { body: Buffer.from('client: {}\n'), contentType: 'application/yaml' } } } },
    agentDisconnect: {},
  });
  const res = await post(s.url, gzipSync(toBinary(AgentToServerSchema, full)), { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
  assert.equal(res.status, 200, res.text);
  assert.equal(fromBinary(ServerToAgentSchema, res.bytes).flags, 0n, 'a known agent is not asked again');
  const r = fleet.reports.at(-1)!;
  assert.deepEqual(
    { ...r, effectiveConfig: Object.fromEntries(Object.entries(r.effectiveConfig!).map(([n, f]) => [n, { body: f.body.toString(), contentType: f.contentType }])) },
    {
      instanceUid: UID.toString('hex'),
      sequenceNum: 2,
      capabilities: 0x804,
      description: { identifying: { 'service.name': 'logwharf-agent' }, nonIdentifying: {} },
      health: { healthy: false, status: 'StatusRecoverableError', lastError: 'client.url unreachable', startTimeUnixNano: 1_733_390_000_000_000_000n },
      effectiveConfig: { [AGENT_CONFIG_FILE]: { body: 'client: {}\n', contentType: 'application/yaml' } },
      disconnect: true,
    },
  );
  assert.deepEqual(fleet.reports[0], { instanceUid: UID.toString('hex'), sequenceNum: 1 }, 'a heartbeat carries only the instance');

  // A large remote configuration is gzipped for a client that accepts it.
  fleet.offered = offer(`# ${'x'.repeat(10_000)}\n`);
  const big = await request(`${s.url}/v1/opamp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Accept-Encoding': 'gzip' },
    body: Buffer.from(toBinary(AgentToServerSchema, create(AgentToServerSchema, { instanceUid: UID, sequenceNum: 3n }))),
  });
  assert.equal(big.headers['content-encoding'], 'gzip');
  const bigBody = Buffer.from(await big.body.arrayBuffer());
  assert.ok(bigBody.length < 2000, `gzipped answer is ${bigBody.length} bytes`);
});

test('malformed and hostile bodies get 4xx with a clear reason; the server keeps serving', async (t) => {
  const fleet = new TestFleet();
  const s = await startServer({}, { fleet });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const valid = Buffer.from(toBinary(AgentToServerSchema, create(AgentToServerSchema, { instanceUid: UID, sequenceNum: 5n, agentDescription: { identifyingAttributes: [{ key: 'service.name' }] } })));
  const badRequest = (res: { status: number; type: string; bytes: Buffer }, reason: RegExp) => {
    assert.equal(res.status, 400);
    assert.equal(res.type, 'application/x-protobuf', 'the spec\'s Bad Request answer: a ServerToAgent');
    const answer = fromBinary(ServerToAgentSchema, res.bytes);
    assert.equal(answer.errorResponse?.type, 1, 'ServerErrorResponseType_BadRequest');
    assert.match(answer.errorResponse?.errorMessage ?? '', reason);
  };

  badRequest(await post(s.url, valid.subarray(0, valid.length - 3)), /^invalid OpAMP AgentToServer message: malformed protobuf: length \d+ exceeds message at byte \d+$/);
  badRequest(await post(s.url, Buffer.from([0x10, ...Array(10).fill(0xff), 0x01])), /varint longer than 10 bytes/);
  badRequest(await post(s.url, Buffer.from([0x0a, 0x05, 1, 2, 3, 4, 5])), /instance_uid must be 16 bytes \(a UUID\), got 5/);
  badRequest(await post(s.url, Buffer.alloc(0)), /instance_uid must be 16 bytes/);

  const json = await post(s.url, '{"instanceUid":"x"}', { 'Content-Type': 'application/json' });
  assert.equal(json.status, 415);
  assert.match(json.text, /OpAMP over HTTP needs Content-Type: application\/x-protobuf, got "application\/json" \(the WebSocket transport is not supported\)/);
  const none = await post(s.url, valid, {});
  assert.equal(none.status, 415);

  const badGzip = await post(s.url, Buffer.from('not gzip at all'), { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
  assert.equal(badGzip.status, 400);
  assert.match(badGzip.text, /OpAMP request body: invalid gzip body/);

  // 16 MiB of zeros gzip to ~16 KB: refused once decompression passes the limit, not buffered whole.
  const bomb = gzipSync(Buffer.alloc(2 * OPAMP_MAX_MESSAGE_BYTES));
  assert.ok(bomb.length < 64 * 1024);
  const bombed = await post(s.url, bomb, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' });
  assert.equal(bombed.status, 413);
  assert.match(bombed.text, new RegExp(`OpAMP message too large: more than that after decompression, limit ${OPAMP_MAX_MESSAGE_BYTES} bytes`));
  const huge = await post(s.url, Buffer.alloc(OPAMP_MAX_MESSAGE_BYTES + 1));
  assert.equal(huge.status, 413);
  assert.match(huge.text, /OpAMP message too large: \d+ bytes, limit/);

  const get = await request(`${s.url}/v1/opamp`);
  await get.body.dump();
  assert.equal(get.statusCode, 405, 'no WebSocket upgrade here');

  assert.equal(fleet.reports.length, 0, 'nothing malformed reached the controller');
  const ok = await post(s.url, valid);
  assert.equal(ok.status, 200);
  assert.deepEqual(fleet.reports.map((r) => r.description), [{ identifying: { 'service.name': '' }, nonIdentifying: {} }]);

  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);
  assert.equal(value('logwharf_opamp_messages_total{result="bad_request"}'), 5);
  assert.equal(value('logwharf_opamp_messages_total{result="unsupported_media_type"}'), 2);
  assert.equal(value('logwharf_opamp_messages_total{result="too_large"}'), 2);
  assert.equal(value('logwharf_opamp_messages_total{result="ok"}'), 1);
  assert.equal(value('logwharf_opamp_decode_errors_total{stage="protobuf"}'), 4);
  assert.equal(value('logwharf_opamp_decode_errors_total{stage="content_encoding"}'), 1);
  assert.ok(value('logwharf_opamp_received_bytes_total') > valid.length);
});

test('with tokens on, agents use their shipping (write) token; read tokens and no token are refused', async (t) => {
  const dir = tempDir();
  const tokens = createTestTokens(dir, [
    { role: 'write', tenants: ['team-a'] },
    { role: 'read', tenants: ['team-a'] },
  ]);
  const fleet = new TestFleet();
  const s = await startServer({ data: dir, auth: { tokens_enabled: true } }, { fleet });
  t.after(async () => (await s.close(), removeDir(dir)));
  const body = toBinary(AgentToServerSchema, create(AgentToServerSchema, { instanceUid: UID, sequenceNum: 1n }));
  const withToken = (role?: 'read' | 'write') => post(s.url, body, { 'Content-Type': 'application/x-protobuf', ...(role ? { Authorization: `Bearer ${tokens.secret(role, 'team-a')}` } : {}) });
  assert.equal((await withToken()).status, 401);
  assert.equal((await withToken('read')).status, 403);
  assert.equal((await withToken('write')).status, 200, 'tenantless: no X-Scope-OrgID needed');
  assert.equal(fleet.reports.length, 1);
  const route = s.role.routes().find((r) => r.pattern === '/v1/opamp');
  assert.deepEqual(route?.options, { role: 'write', tenantless: true });
});
