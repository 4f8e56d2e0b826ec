/**
 * Hostile bytes against the OpAMP decoder: random buffers, valid messages truncated or with bytes
 * flipped, nesting far deeper than any agent sends, lengths and varints past the end. The decoder
 * either returns a message or throws one `bad_request` LogwharfError naming the message; never
 * another error (no RangeError, no stack overflow), never a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LogwharfError } from '../../../../src/api/errors.js';
import { ProtoWriter, WIRE_LEN } from '../../../../src/api/push/protobuf.js';
import { OPAMP_MAX_NESTING, decodeAgentToServer, decodeServerToAgent, encodeAgentToServer, encodeServerToAgent } from '../../../../src/api/opamp/index.js';
import { fuzzParams } from '../../../helpers/fuzz.js';
import { agentToServerArb, serverToAgentArb } from './opamp-arbitraries.js';

function decodesOrRefuses(decode: (b: Uint8Array) => unknown, bytes: Uint8Array, name: string): void {
  try {
    decode(bytes);
  } catch (e) {
    assert.ok(e instanceof LogwharfError, `not a LogwharfError: ${String(e)}`);
    assert.equal(e.code, 'bad_request');
    assert.match(e.message, new RegExp(`^invalid OpAMP ${name} message: `));
  }
}

const both = (bytes: Uint8Array): void => {
  decodesOrRefuses(decodeAgentToServer, bytes, 'AgentToServer');
  decodesOrRefuses(decodeServerToAgent, bytes, 'ServerToAgent');
};

test('random bytes decode or are refused with a clear error', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), both), fuzzParams(5));
});

test('valid messages truncated, with a byte changed, or with bytes inserted decode or are refused', () => {
  const encoded = fc.oneof(agentToServerArb(true).map(encodeAgentToServer), serverToAgentArb.map(encodeServerToAgent));
  fc.assert(
    fc.property(encoded, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 1, maxLength: 8 }), (bytes, at, byte, extra) => {
      if (bytes.length === 0) return;
      const i = at % bytes.length;
      both(bytes.subarray(0, i));
      const flipped = Buffer.from(bytes);
      flipped[i] = byte;
      both(flipped);
      both(Buffer.concat([bytes.subarray(0, i), extra, bytes.subarray(i)]));
    }),
    fuzzParams(),
  );
});

/** AgentToServer { agent_description { identifying_attributes { value: [[[…]]] } } } nested `depth` arrays deep. */
function deeplyNested(depth: number): Buffer {
  let inner = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue { string_value: "x" }
  for (let i = 0; i < depth; i++) {
    const w = new ProtoWriter();
    w.tag(5, WIRE_LEN); // array_value
    const arr = w.begin();
    w.tag(1, WIRE_LEN);
    w.bytes(inner);
    w.end(arr);
    inner = Buffer.from(w.finish());
  }
  const w = new ProtoWriter();
  w.tag(3, WIRE_LEN);
  const d = w.begin();
  w.tag(1, WIRE_LEN);
  const kv = w.begin();
  w.tag(1, WIRE_LEN);
  w.string('k');
  w.tag(2, WIRE_LEN);
  w.bytes(inner);
  w.end(kv);
  w.end(d);
  return Buffer.from(w.finish());
}

test('nesting deeper than the bound is refused, not a stack overflow; nesting within it decodes', () => {
  const ok = decodeAgentToServer(deeplyNested(OPAMP_MAX_NESTING - 3));
  assert.equal(ok.agentDescription?.identifyingAttributes[0]?.value?.kind, 'array');
  assert.throws(() => decodeAgentToServer(deeplyNested(OPAMP_MAX_NESTING + 1)), /invalid OpAMP AgentToServer message: .*nesting deeper than 32/);
  assert.throws(() => decodeAgentToServer(deeplyNested(20_000)), (e: unknown) => e instanceof LogwharfError && e.code === 'bad_request');
});

test('lengths past the end, over-long varints and wrong wire types name the problem', () => {
  // agent_description with a length of 2^32-1
  assert.throws(() => decodeAgentToServer(Buffer.from([0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])), /invalid OpAMP AgentToServer message: malformed protobuf: length 4294967295 exceeds message at byte 1/);
  // sequence_num as an 11-byte varint
  assert.throws(() => decodeAgentToServer(Buffer.from([0x10, ...Array(10).fill(0xff), 0x01])), /varint longer than 10 bytes/);
  // sequence_num truncated mid-varint
  assert.throws(() => decodeAgentToServer(Buffer.from([0x10, 0xff])), /truncated varint at byte 2/);
  // instance_uid sent as a varint
  assert.throws(() => decodeAgentToServer(Buffer.from([0x08, 0x01])), /field AgentToServer.instance_uid has wire type 0, expected 2/);
  // an unmodelled field (packages_available) with the deprecated group wire type
  assert.throws(() => decodeServerToAgent(Buffer.from([0x2b])), /invalid OpAMP ServerToAgent message: .*unsupported wire type 3/);
});

test('a large random body is refused or decoded quickly (no quadratic path)', () => {
  const big = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  const t0 = performance.now();
  both(big);
  assert.ok(performance.now() - t0 < 2000, 'decoding 4 MiB of noise took more than 2 s');
});
