/**
 * fast-check generators of OpAMP messages in the shape our decoder returns (every scalar present,
 * absent sub-messages undefined), the mapping of such a message to the init object of
 * `@elastic/opamp-client-node`'s generated protobuf-es classes (built from the real .proto files,
 * field names only: no field number is shared with our codec), and a canonical form for comparing.
 */
import fc from 'fast-check';
import type * as O from '../../../../src/api/opamp/index.js';

const str = fc.string({ unit: 'grapheme', maxLength: 12 });
const bytes = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const fixed64 = u64;
/** Open enums: defined values and a few unknown ones, negatives included (10-byte varints). */
const enumValue = fc.integer({ min: -2, max: 9 });
const key = fc.string({ unit: 'grapheme-ascii', maxLength: 8 });

function record<T>(value: fc.Arbitrary<T>): fc.Arbitrary<Record<string, T>> {
  return fc.uniqueArray(fc.tuple(key, value), { maxLength: 3, selector: (e) => e[0] }).map((entries) => {
    const r = Object.create(null) as Record<string, T>;
    for (const [k, v] of entries) r[k] = v;
    return r;
  });
}

const anyValueTree = fc.letrec<{ any: O.AnyValue; kv: O.KeyValue }>((tie) => ({
  any: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    str.map((value) => ({ kind: 'string' as const, value })),
    fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value) => ({ kind: 'int' as const, value })),
    fc.double({ noNaN: true }).map((value) => ({ kind: 'double' as const, value })),
    bytes.map((value) => ({ kind: 'bytes' as const, value })),
    fc.array(fc.option(tie('any'), { nil: undefined }), { maxLength: 3 }).map((values) => ({ kind: 'array' as const, values })),
    fc.array(tie('kv'), { maxLength: 3 }).map((values) => ({ kind: 'kvlist' as const, values })),
  ) as fc.Arbitrary<O.AnyValue>,
  kv: fc.record({ key: str, value: tie('any') }, { requiredKeys: ['key'] }) as fc.Arbitrary<O.KeyValue>,
}));

export const keyValueArb = anyValueTree.kv;
const attrs = fc.array(keyValueArb, { maxLength: 3 });

/**
 * ComponentHealth trees. `attributes` (field 7) is newer than the .proto the generated classes were
 * built from, so the cross-implementation properties leave it empty (`withAttributes` false).
 */
function healthArb(withAttributes: boolean): fc.Arbitrary<O.ComponentHealth> {
  return fc.letrec<{ h: O.ComponentHealth }>((tie) => ({
  h: fc.record({
    healthy: fc.boolean(),
    startTimeUnixNano: fixed64,
    lastError: str,
    status: str,
    statusTimeUnixNano: fixed64,
    componentHealthMap: fc.oneof({ depthSize: 'small' }, fc.constant(Object.create(null) as Record<string, O.ComponentHealth>), record(tie('h'))),
    attributes: withAttributes ? attrs : fc.constant([]),
  }),
})).h;
}

const configMapArb: fc.Arbitrary<O.AgentConfigMap> = fc.record({ configMap: record(fc.record({ body: bytes, contentType: str })) });

export function agentToServerArb(withHealthAttributes = false): fc.Arbitrary<O.AgentToServer> {
  return fc.record(
  {
    instanceUid: bytes,
    sequenceNum: u53,
    agentDescription: fc.record({ identifyingAttributes: attrs, nonIdentifyingAttributes: attrs }),
    capabilities: u32,
    health: healthArb(withHealthAttributes),
    effectiveConfig: fc.record({ configMap: configMapArb }, { requiredKeys: [] }),
    remoteConfigStatus: fc.record({ lastRemoteConfigHash: bytes, status: enumValue, errorMessage: str }),
    agentDisconnect: fc.constant(true),
    flags: u32,
  },
  { requiredKeys: ['instanceUid', 'sequenceNum', 'capabilities', 'flags'] },
);
}

export const serverToAgentArb: fc.Arbitrary<O.ServerToAgent> = fc.record(
  {
    instanceUid: bytes,
    errorResponse: fc.record(
      { type: enumValue, errorMessage: str, retryInfo: fc.record({ retryAfterNanoseconds: u64 }) },
      { requiredKeys: ['type', 'errorMessage'] },
    ),
    remoteConfig: fc.record({ config: configMapArb, configHash: bytes }, { requiredKeys: ['configHash'] }),
    connectionSettings: fc.record({ hash: bytes, opamp: fc.record({ heartbeatIntervalSeconds: u53 }) }, { requiredKeys: ['hash'] }),
    flags: u32,
    capabilities: u32,
    agentIdentification: fc.record({ newInstanceUid: bytes }),
  },
  { requiredKeys: ['instanceUid', 'flags', 'capabilities'] },
);

// ---- to protobuf-es init objects (field names of the .proto, camelCased by protobuf-es)

type Init = Record<string, unknown>;

function mapValues<T>(r: Record<string, T>, f: (v: T) => unknown): Init {
  const out: Init = {};
  for (const [k, v] of Object.entries(r)) Object.defineProperty(out, k, { value: f(v), enumerable: true, writable: true, configurable: true });
  return out;
}

function anyValueInit(v: O.AnyValue | undefined): Init {
  if (!v) return {};
  switch (v.kind) {
    case 'string':
      return { value: { case: 'stringValue', value: v.value } };
    case 'bool':
      return { value: { case: 'boolValue', value: v.value } };
    case 'int':
      return { value: { case: 'intValue', value: v.value } };
    case 'double':
      return { value: { case: 'doubleValue', value: v.value } };
    case 'bytes':
      return { value: { case: 'bytesValue', value: v.value } };
    case 'array':
      return { value: { case: 'arrayValue', value: { values: v.values.map(anyValueInit) } } };
    case 'kvlist':
      return { value: { case: 'kvlistValue', value: { values: v.values.map(keyValueInit) } } };
  }
}

function keyValueInit(kv: O.KeyValue): Init {
  return kv.value ? { key: kv.key, value: anyValueInit(kv.value) } : { key: kv.key };
}

function healthInit(h: O.ComponentHealth): Init {
  return {
    healthy: h.healthy,
    startTimeUnixNano: h.startTimeUnixNano,
    lastError: h.lastError,
    status: h.status,
    statusTimeUnixNano: h.statusTimeUnixNano,
    componentHealthMap: mapValues(h.componentHealthMap, healthInit),
    attributes: h.attributes.map(keyValueInit),
  };
}

function configMapInit(m: O.AgentConfigMap): Init {
  return { configMap: mapValues(m.configMap, (f) => ({ body: f.body, contentType: f.contentType })) };
}

export function agentToServerInit(m: O.AgentToServer): Init {
  const o: Init = { instanceUid: m.instanceUid, sequenceNum: BigInt(m.sequenceNum), capabilities: BigInt(m.capabilities), flags: BigInt(m.flags) };
  if (m.agentDescription)
    o.agentDescription = {
      identifyingAttributes: m.agentDescription.identifyingAttributes.map(keyValueInit),
      nonIdentifyingAttributes: m.agentDescription.nonIdentifyingAttributes.map(keyValueInit),
    };
  if (m.health) o.health = healthInit(m.health);
  if (m.effectiveConfig) o.effectiveConfig = m.effectiveConfig.configMap ? { configMap: configMapInit(m.effectiveConfig.configMap) } : {};
  if (m.remoteConfigStatus) o.remoteConfigStatus = { ...m.remoteConfigStatus };
  if (m.agentDisconnect) o.agentDisconnect = {};
  return o;
}

export function serverToAgentInit(m: O.ServerToAgent): Init {
  const o: Init = { instanceUid: m.instanceUid, flags: BigInt(m.flags), capabilities: BigInt(m.capabilities) };
  if (m.errorResponse) {
    const e = m.errorResponse;
    o.errorResponse = { type: e.type, errorMessage: e.errorMessage, Details: e.retryInfo ? { case: 'retryInfo', value: { retryAfterNanoseconds: e.retryInfo.retryAfterNanoseconds } } : { case: undefined } };
  }
  if (m.remoteConfig) o.remoteConfig = { configHash: m.remoteConfig.configHash, ...(m.remoteConfig.config ? { config: configMapInit(m.remoteConfig.config) } : {}) };
  if (m.connectionSettings)
    o.connectionSettings = {
      hash: m.connectionSettings.hash,
      ...(m.connectionSettings.opamp ? { opamp: { heartbeatIntervalSeconds: BigInt(m.connectionSettings.opamp.heartbeatIntervalSeconds) } } : {}),
    };
  if (m.agentIdentification) o.agentIdentification = { newInstanceUid: m.agentIdentification.newInstanceUid };
  return o;
}

/** A comparable form: Buffers as hex, bigints and -0 tagged, undefined members dropped, records as sorted plain objects. */
export function canon(v: unknown): unknown {
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : v;
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : canon(x)));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const c = canon((v as Record<string, unknown>)[k]);
      if (c !== undefined) Object.defineProperty(out, k, { value: c, enumerable: true });
    }
    return out;
  }
  return v;
}
