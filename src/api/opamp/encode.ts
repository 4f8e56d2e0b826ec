/**
 * Encodes OpAMP's AgentToServer and ServerToAgent (field numbers from opamp-spec's
 * `proto/opamp/v1/opamp.proto` and `anyvalue.proto`) with the project's protobuf writer. Proto3
 * rules: scalars equal to their default are left out; a nested message that is present is written
 * even when empty (AgentDisconnect's presence is its meaning), and a set AnyValue member is written
 * even when it holds its default.
 */
import { LogwharfError } from '../errors.js';
import { ProtoWriter, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from '../push/protobuf.js';
import { OPAMP_MAX_NESTING } from './constants.js';
import type {
  AgentConfigMap,
  AgentToServer,
  AnyValue,
  ComponentHealth,
  KeyValue,
  ServerToAgent,
} from './messages.js';

/** Encodes one AgentToServer (the plain-HTTP request body). */
export function encodeAgentToServer(m: AgentToServer): Buffer {
  const w = new ProtoWriter(256);
  bytesField(w, 1, m.instanceUid);
  u64Field(w, 2, m.sequenceNum);
  if (m.agentDescription) {
    const d = m.agentDescription;
    msg(w, 3, () => {
      for (const kv of d.identifyingAttributes) keyValueField(w, 1, kv, 1);
      for (const kv of d.nonIdentifyingAttributes) keyValueField(w, 2, kv, 1);
    });
  }
  u64Field(w, 4, m.capabilities);
  if (m.health) {
    const h = m.health;
    msg(w, 5, () => writeComponentHealth(w, h, 1));
  }
  if (m.effectiveConfig) {
    const c = m.effectiveConfig;
    msg(w, 6, () => {
      if (c.configMap) {
        const cm = c.configMap;
        msg(w, 1, () => writeAgentConfigMap(w, cm));
      }
    });
  }
  if (m.remoteConfigStatus) {
    const s = m.remoteConfigStatus;
    msg(w, 7, () => {
      bytesField(w, 1, s.lastRemoteConfigHash);
      enumField(w, 2, s.status);
      stringField(w, 3, s.errorMessage);
    });
  }
  if (m.agentDisconnect) msg(w, 9, () => undefined);
  u64Field(w, 10, m.flags);
  return w.finish();
}

/** Encodes one ServerToAgent (the plain-HTTP response body). */
export function encodeServerToAgent(m: ServerToAgent): Buffer {
  const w = new ProtoWriter(256);
  bytesField(w, 1, m.instanceUid);
  if (m.errorResponse) {
    const e = m.errorResponse;
    msg(w, 2, () => {
      enumField(w, 1, e.type);
      stringField(w, 2, e.errorMessage);
      if (e.retryInfo) {
        const ri = e.retryInfo;
        msg(w, 3, () => u64Field(w, 1, ri.retryAfterNanoseconds));
      }
    });
  }
  if (m.remoteConfig) {
    const c = m.remoteConfig;
    msg(w, 3, () => {
      if (c.config) {
        const cm = c.config;
        msg(w, 1, () => writeAgentConfigMap(w, cm));
      }
      bytesField(w, 2, c.configHash);
    });
  }
  if (m.connectionSettings) {
    const o = m.connectionSettings;
    msg(w, 4, () => {
      bytesField(w, 1, o.hash);
      if (o.opamp) {
        const s = o.opamp;
        msg(w, 2, () => u64Field(w, 4, s.heartbeatIntervalSeconds));
      }
    });
  }
  u64Field(w, 6, m.flags);
  u64Field(w, 7, m.capabilities);
  if (m.agentIdentification) {
    const a = m.agentIdentification;
    msg(w, 8, () => bytesField(w, 1, a.newInstanceUid));
  }
  return w.finish();
}

function msg(w: ProtoWriter, field: number, body: () => void): void {
  w.tag(field, WIRE_LEN);
  const mark = w.begin();
  body();
  w.end(mark);
}

function bytesField(w: ProtoWriter, field: number, b: Uint8Array | undefined): void {
  if (!b || b.length === 0) return;
  w.tag(field, WIRE_LEN);
  w.bytes(b);
}

function stringField(w: ProtoWriter, field: number, s: string | undefined): void {
  if (!s) return;
  w.tag(field, WIRE_LEN);
  w.string(s);
}

/** uint64 from a non-negative integer number or bigint. */
function u64Field(w: ProtoWriter, field: number, v: number | bigint | undefined): void {
  if (v === undefined || v === 0 || v === 0n) return;
  if (typeof v === 'number' && (!Number.isInteger(v) || v < 0)) throw new LogwharfError('bad_request', `OpAMP uint64 field ${field} must be a non-negative integer, got ${v}`);
  w.tag(field, WIRE_VARINT);
  w.int64(v);
}

/** An enum (int32): negative values as 10-byte varints, as protobuf writes them. */
function enumField(w: ProtoWriter, field: number, v: number): void {
  if (!v) return;
  w.tag(field, WIRE_VARINT);
  w.int64(v | 0);
}

function fixed64Field(w: ProtoWriter, field: number, v: bigint): void {
  if (v === 0n) return;
  w.tag(field, WIRE_FIXED64);
  w.fixed64(v);
}

function nesting(depth: number): void {
  if (depth > OPAMP_MAX_NESTING) throw new LogwharfError('bad_request', `OpAMP message nests deeper than ${OPAMP_MAX_NESTING} levels`);
}

function keyValueField(w: ProtoWriter, field: number, kv: KeyValue, depth: number): void {
  nesting(depth);
  msg(w, field, () => {
    stringField(w, 1, kv.key);
    if (kv.value) {
      const v = kv.value;
      msg(w, 2, () => writeAnyValue(w, v, depth + 1));
    }
  });
}

function writeAnyValue(w: ProtoWriter, v: AnyValue | undefined, depth: number): void {
  nesting(depth);
  if (!v) return;
  switch (v.kind) {
    case 'string':
      w.tag(1, WIRE_LEN);
      w.string(v.value);
      return;
    case 'bool':
      w.tag(2, WIRE_VARINT);
      w.uint32(v.value ? 1 : 0);
      return;
    case 'int':
      w.tag(3, WIRE_VARINT);
      w.int64(v.value);
      return;
    case 'double':
      w.tag(4, WIRE_FIXED64);
      w.double(v.value);
      return;
    case 'array':
      msg(w, 5, () => {
        for (const item of v.values) msg(w, 1, () => writeAnyValue(w, item, depth + 1));
      });
      return;
    case 'kvlist':
      msg(w, 6, () => {
        for (const kv of v.values) keyValueField(w, 1, kv, depth + 1);
      });
      return;
    case 'bytes':
      w.tag(7, WIRE_LEN);
      w.bytes(v.value);
      return;
  }
}

function writeComponentHealth(w: ProtoWriter, h: ComponentHealth, depth: number): void {
  nesting(depth);
  if (h.healthy) {
    w.tag(1, WIRE_VARINT);
    w.uint32(1);
  }
  fixed64Field(w, 2, h.startTimeUnixNano);
  stringField(w, 3, h.lastError);
  stringField(w, 4, h.status);
  fixed64Field(w, 5, h.statusTimeUnixNano);
  for (const [name, sub] of Object.entries(h.componentHealthMap)) {
    msg(w, 6, () => {
      w.tag(1, WIRE_LEN);
      w.string(name);
      msg(w, 2, () => writeComponentHealth(w, sub, depth + 1));
    });
  }
  for (const kv of h.attributes) keyValueField(w, 7, kv, depth + 1);
}

function writeAgentConfigMap(w: ProtoWriter, m: AgentConfigMap): void {
  for (const [name, file] of Object.entries(m.configMap)) {
    msg(w, 1, () => {
      w.tag(1, WIRE_LEN);
      w.string(name);
      msg(w, 2, () => {
        bytesField(w, 1, file.body);
        stringField(w, 2, file.contentType);
      });
    });
  }
}
