/**
 * Decodes OpAMP's AgentToServer and ServerToAgent (field numbers from opamp-spec's
 * `proto/opamp/v1/opamp.proto` and `anyvalue.proto`) with the project's protobuf reader. Unknown
 * fields are skipped, as protobuf requires, so a newer agent or server stays readable. Malformed
 * bytes (truncation, lengths past the end, a known field with the wrong wire type, nesting deeper
 * than OPAMP_MAX_NESTING) fail with one `bad_request` LogwharfError that names the message and the
 * byte; the reader never reads past the buffer and every loop consumes input, so nothing hangs.
 *
 * A singular message field sent twice keeps its last occurrence (protobuf would merge the two);
 * no OpAMP implementation sends a field twice.
 */
import { LogwharfError, isLogwharfError } from '../errors.js';
import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from '../push/protobuf.js';
import { OPAMP_MAX_NESTING } from './constants.js';
import type {
  AgentConfigFile,
  AgentConfigMap,
  AgentDescription,
  AgentRemoteConfig,
  AgentToServer,
  AnyValue,
  ComponentHealth,
  ConnectionSettingsOffers,
  KeyValue,
  RemoteConfigStatus,
  ServerErrorResponse,
  ServerToAgent,
} from './messages.js';

/** Decodes one AgentToServer (the plain-HTTP request body). */
export function decodeAgentToServer(buf: Uint8Array): AgentToServer {
  return guarded('AgentToServer', buf, readAgentToServer);
}

/** Decodes one ServerToAgent (the plain-HTTP response body). */
export function decodeServerToAgent(buf: Uint8Array): ServerToAgent {
  return guarded('ServerToAgent', buf, readServerToAgent);
}

function guarded<T>(name: string, bytes: Uint8Array, read: (r: ProtoReader) => T): T {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return read(new ProtoReader(buf));
  } catch (e) {
    const what = isLogwharfError(e) ? e.message : `malformed protobuf: ${(e as Error).message}`;
    throw new LogwharfError('bad_request', `invalid OpAMP ${name} message: ${what}`, undefined, { cause: e });
  }
}

/** Reads a length-delimited sub-message with `read`, restoring the reader's bounds afterwards. */
function nested<T>(r: ProtoReader, read: (r: ProtoReader) => T): T {
  const end = r.lenEnd();
  const outer = r.end;
  r.end = end;
  const v = read(r);
  r.pos = end;
  r.end = outer;
  return v;
}

function depthCheck(depth: number, pos: number): void {
  if (depth > OPAMP_MAX_NESTING) throw new LogwharfError('bad_request', `malformed protobuf: nesting deeper than ${OPAMP_MAX_NESTING} at byte ${pos}`);
}

/** uint64 as a JS number (exact below 2^53). */
function u64(r: ProtoReader): number {
  const v = r.int64();
  return typeof v === 'number' && v >= 0 ? v : Number(BigInt.asUintN(64, BigInt(v)));
}

/** uint64 as an exact bigint. */
function u64big(r: ProtoReader): bigint {
  return BigInt.asUintN(64, BigInt(r.int64()));
}

/** bytes copied out of the request buffer, so a kept value does not pin the whole body. */
function ownBytes(r: ProtoReader): Buffer {
  return Buffer.from(r.bytes());
}

function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Reads a map entry (key = 1 string, value = 2 message) into `into`; a missing value is the default. */
function mapEntry<T>(r: ProtoReader, into: Record<string, T>, readValue: (r: ProtoReader) => T, empty: () => T): void {
  nested(r, (r) => {
    let key = '';
    let value: T | undefined;
    while (r.pos < r.end) {
      const t = r.tag();
      switch (t >>> 3) {
        case 1:
          r.expect(t, WIRE_LEN, 'map key');
          key = r.string();
          break;
        case 2:
          r.expect(t, WIRE_LEN, 'map value');
          value = nested(r, readValue);
          break;
        default:
          r.skip(t & 7);
      }
    }
    into[key] = value ?? empty();
  });
}

// ---- anyvalue.proto

function readAnyValue(r: ProtoReader, depth: number): AnyValue | undefined {
  depthCheck(depth, r.pos);
  let v: AnyValue | undefined;
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_LEN, 'AnyValue.string_value');
        v = { kind: 'string', value: r.string() };
        break;
      case 2:
        r.expect(t, WIRE_VARINT, 'AnyValue.bool_value');
        v = { kind: 'bool', value: r.int64() !== 0 };
        break;
      case 3:
        r.expect(t, WIRE_VARINT, 'AnyValue.int_value');
        v = { kind: 'int', value: BigInt.asIntN(64, BigInt(r.int64())) };
        break;
      case 4:
        r.expect(t, WIRE_FIXED64, 'AnyValue.double_value');
        v = { kind: 'double', value: r.double() };
        break;
      case 5: {
        r.expect(t, WIRE_LEN, 'AnyValue.array_value');
        const values: Array<AnyValue | undefined> = [];
        nested(r, (r) => {
          while (r.pos < r.end) {
            const tt = r.tag();
            if (tt >>> 3 === 1) {
              r.expect(tt, WIRE_LEN, 'ArrayValue.values');
              values.push(nested(r, (r) => readAnyValue(r, depth + 1)));
            } else r.skip(tt & 7);
          }
        });
        v = { kind: 'array', values };
        break;
      }
      case 6: {
        r.expect(t, WIRE_LEN, 'AnyValue.kvlist_value');
        const values: KeyValue[] = [];
        nested(r, (r) => {
          while (r.pos < r.end) {
            const tt = r.tag();
            if (tt >>> 3 === 1) {
              r.expect(tt, WIRE_LEN, 'KeyValueList.values');
              values.push(nested(r, (r) => readKeyValue(r, depth + 1)));
            } else r.skip(tt & 7);
          }
        });
        v = { kind: 'kvlist', values };
        break;
      }
      case 7:
        r.expect(t, WIRE_LEN, 'AnyValue.bytes_value');
        v = { kind: 'bytes', value: ownBytes(r) };
        break;
      default:
        r.skip(t & 7);
    }
  }
  return v;
}

function readKeyValue(r: ProtoReader, depth: number): KeyValue {
  depthCheck(depth, r.pos);
  const kv: KeyValue = { key: '' };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_LEN, 'KeyValue.key');
        kv.key = r.string();
        break;
      case 2: {
        r.expect(t, WIRE_LEN, 'KeyValue.value');
        const value = nested(r, (r) => readAnyValue(r, depth + 1));
        if (value) kv.value = value;
        else delete kv.value;
        break;
      }
      default:
        r.skip(t & 7);
    }
  }
  return kv;
}

function readKeyValueField(r: ProtoReader, t: number, field: string, into: KeyValue[]): void {
  r.expect(t, WIRE_LEN, field);
  into.push(nested(r, (r) => readKeyValue(r, 1)));
}

// ---- AgentToServer and what it carries

function readAgentDescription(r: ProtoReader): AgentDescription {
  const d: AgentDescription = { identifyingAttributes: [], nonIdentifyingAttributes: [] };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        readKeyValueField(r, t, 'AgentDescription.identifying_attributes', d.identifyingAttributes);
        break;
      case 2:
        readKeyValueField(r, t, 'AgentDescription.non_identifying_attributes', d.nonIdentifyingAttributes);
        break;
      default:
        r.skip(t & 7);
    }
  }
  return d;
}

function emptyHealth(): ComponentHealth {
  return { healthy: false, startTimeUnixNano: 0n, lastError: '', status: '', statusTimeUnixNano: 0n, componentHealthMap: nullRecord(), attributes: [] };
}

function readComponentHealth(r: ProtoReader, depth: number): ComponentHealth {
  depthCheck(depth, r.pos);
  const h = emptyHealth();
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_VARINT, 'ComponentHealth.healthy');
        h.healthy = r.int64() !== 0;
        break;
      case 2:
        r.expect(t, WIRE_FIXED64, 'ComponentHealth.start_time_unix_nano');
        h.startTimeUnixNano = r.fixed64();
        break;
      case 3:
        r.expect(t, WIRE_LEN, 'ComponentHealth.last_error');
        h.lastError = r.string();
        break;
      case 4:
        r.expect(t, WIRE_LEN, 'ComponentHealth.status');
        h.status = r.string();
        break;
      case 5:
        r.expect(t, WIRE_FIXED64, 'ComponentHealth.status_time_unix_nano');
        h.statusTimeUnixNano = r.fixed64();
        break;
      case 6:
        r.expect(t, WIRE_LEN, 'ComponentHealth.component_health_map');
        mapEntry(r, h.componentHealthMap, (r) => readComponentHealth(r, depth + 1), emptyHealth);
        break;
      case 7:
        readKeyValueField(r, t, 'ComponentHealth.attributes', h.attributes);
        break;
      default:
        r.skip(t & 7);
    }
  }
  return h;
}

function readAgentConfigFile(r: ProtoReader): AgentConfigFile {
  const f: AgentConfigFile = { body: Buffer.alloc(0), contentType: '' };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_LEN, 'AgentConfigFile.body');
        f.body = ownBytes(r);
        break;
      case 2:
        r.expect(t, WIRE_LEN, 'AgentConfigFile.content_type');
        f.contentType = r.string();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return f;
}

function readAgentConfigMap(r: ProtoReader): AgentConfigMap {
  const m: AgentConfigMap = { configMap: nullRecord() };
  while (r.pos < r.end) {
    const t = r.tag();
    if (t >>> 3 === 1) {
      r.expect(t, WIRE_LEN, 'AgentConfigMap.config_map');
      mapEntry(r, m.configMap, readAgentConfigFile, () => ({ body: Buffer.alloc(0), contentType: '' }));
    } else r.skip(t & 7);
  }
  return m;
}

function readRemoteConfigStatus(r: ProtoReader): RemoteConfigStatus {
  const s: RemoteConfigStatus = { lastRemoteConfigHash: Buffer.alloc(0), status: 0, errorMessage: '' };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_LEN, 'RemoteConfigStatus.last_remote_config_hash');
        s.lastRemoteConfigHash = ownBytes(r);
        break;
      case 2:
        r.expect(t, WIRE_VARINT, 'RemoteConfigStatus.status');
        s.status = r.uint32() | 0;
        break;
      case 3:
        r.expect(t, WIRE_LEN, 'RemoteConfigStatus.error_message');
        s.errorMessage = r.string();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return s;
}

function readAgentToServer(r: ProtoReader): AgentToServer {
  const m: AgentToServer = { instanceUid: Buffer.alloc(0), sequenceNum: 0, capabilities: 0, flags: 0 };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_LEN, 'AgentToServer.instance_uid');
        m.instanceUid = ownBytes(r);
        break;
      case 2:
        r.expect(t, WIRE_VARINT, 'AgentToServer.sequence_num');
        m.sequenceNum = u64(r);
        break;
      case 3:
        r.expect(t, WIRE_LEN, 'AgentToServer.agent_description');
        m.agentDescription = nested(r, readAgentDescription);
        break;
      case 4:
        r.expect(t, WIRE_VARINT, 'AgentToServer.capabilities');
        m.capabilities = u64(r);
        break;
      case 5:
        r.expect(t, WIRE_LEN, 'AgentToServer.health');
        m.health = nested(r, (r) => readComponentHealth(r, 1));
        break;
      case 6:
        r.expect(t, WIRE_LEN, 'AgentToServer.effective_config');
        m.effectiveConfig = nested(r, (r) => {
          const c: { configMap?: AgentConfigMap } = {};
          while (r.pos < r.end) {
            const tt = r.tag();
            if (tt >>> 3 === 1) {
              r.expect(tt, WIRE_LEN, 'EffectiveConfig.config_map');
              c.configMap = nested(r, readAgentConfigMap);
            } else r.skip(tt & 7);
          }
          return c;
        });
        break;
      case 7:
        r.expect(t, WIRE_LEN, 'AgentToServer.remote_config_status');
        m.remoteConfigStatus = nested(r, readRemoteConfigStatus);
        break;
      case 9:
        r.expect(t, WIRE_LEN, 'AgentToServer.agent_disconnect');
        r.pos = r.lenEnd(); // an empty message; anything inside is from a future version
        m.agentDisconnect = true;
        break;
      case 10:
        r.expect(t, WIRE_VARINT, 'AgentToServer.flags');
        m.flags = u64(r);
        break;
      default:
        r.skip(t & 7);
    }
  }
  return m;
}

// ---- ServerToAgent and what it carries

function readServerErrorResponse(r: ProtoReader): ServerErrorResponse {
  const e: ServerErrorResponse = { type: 0, errorMessage: '' };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_VARINT, 'ServerErrorResponse.type');
        e.type = r.uint32() | 0;
        break;
      case 2:
        r.expect(t, WIRE_LEN, 'ServerErrorResponse.error_message');
        e.errorMessage = r.string();
        break;
      case 3:
        r.expect(t, WIRE_LEN, 'ServerErrorResponse.retry_info');
        e.retryInfo = nested(r, (r) => {
          const ri = { retryAfterNanoseconds: 0n };
          while (r.pos < r.end) {
            const tt = r.tag();
            if (tt >>> 3 === 1) {
              r.expect(tt, WIRE_VARINT, 'RetryInfo.retry_after_nanoseconds');
              ri.retryAfterNanoseconds = u64big(r);
            } else r.skip(tt & 7);
          }
          return ri;
        });
        break;
      default:
        r.skip(t & 7);
    }
  }
  return e;
}

function readAgentRemoteConfig(r: ProtoReader): AgentRemoteConfig {
  const c: AgentRemoteConfig = { configHash: Buffer.alloc(0) };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_LEN, 'AgentRemoteConfig.config');
        c.config = nested(r, readAgentConfigMap);
        break;
      case 2:
        r.expect(t, WIRE_LEN, 'AgentRemoteConfig.config_hash');
        c.configHash = ownBytes(r);
        break;
      default:
        r.skip(t & 7);
    }
  }
  return c;
}

function readConnectionSettingsOffers(r: ProtoReader): ConnectionSettingsOffers {
  const o: ConnectionSettingsOffers = { hash: Buffer.alloc(0) };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_LEN, 'ConnectionSettingsOffers.hash');
        o.hash = ownBytes(r);
        break;
      case 2:
        r.expect(t, WIRE_LEN, 'ConnectionSettingsOffers.opamp');
        o.opamp = nested(r, (r) => {
          const s = { heartbeatIntervalSeconds: 0 };
          while (r.pos < r.end) {
            const tt = r.tag();
            if (tt >>> 3 === 4) {
              r.expect(tt, WIRE_VARINT, 'OpAMPConnectionSettings.heartbeat_interval_seconds');
              s.heartbeatIntervalSeconds = u64(r);
            } else r.skip(tt & 7);
          }
          return s;
        });
        break;
      default:
        r.skip(t & 7);
    }
  }
  return o;
}

function readServerToAgent(r: ProtoReader): ServerToAgent {
  const m: ServerToAgent = { instanceUid: Buffer.alloc(0), flags: 0, capabilities: 0 };
  while (r.pos < r.end) {
    const t = r.tag();
    switch (t >>> 3) {
      case 1:
        r.expect(t, WIRE_LEN, 'ServerToAgent.instance_uid');
        m.instanceUid = ownBytes(r);
        break;
      case 2:
        r.expect(t, WIRE_LEN, 'ServerToAgent.error_response');
        m.errorResponse = nested(r, readServerErrorResponse);
        break;
      case 3:
        r.expect(t, WIRE_LEN, 'ServerToAgent.remote_config');
        m.remoteConfig = nested(r, readAgentRemoteConfig);
        break;
      case 4:
        r.expect(t, WIRE_LEN, 'ServerToAgent.connection_settings');
        m.connectionSettings = nested(r, readConnectionSettingsOffers);
        break;
      case 6:
        r.expect(t, WIRE_VARINT, 'ServerToAgent.flags');
        m.flags = u64(r);
        break;
      case 7:
        r.expect(t, WIRE_VARINT, 'ServerToAgent.capabilities');
        m.capabilities = u64(r);
        break;
      case 8:
        r.expect(t, WIRE_LEN, 'ServerToAgent.agent_identification');
        m.agentIdentification = nested(r, (r) => {
          const a: { newInstanceUid: Buffer } = { newInstanceUid: Buffer.alloc(0) };
          while (r.pos < r.end) {
            const tt = r.tag();
            if (tt >>> 3 === 1) {
              r.expect(tt, WIRE_LEN, 'AgentIdentification.new_instance_uid');
              a.newInstanceUid = ownBytes(r);
            } else r.skip(tt & 7);
          }
          return a;
        });
        break;
      default:
        r.skip(t & 7);
    }
  }
  return m;
}
