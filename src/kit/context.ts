/**
 * The request context of the observability kit (`logwharf/logger`): which request and trace the code
 * running now belongs to. It travels through async code with AsyncLocalStorage, so every line logged
 * while a request is handled carries its `request_id` and W3C trace context without a logger being
 * passed around. The HTTP middleware opens a context per request; anything may open one (a job, a
 * queue consumer) with `withContext`.
 *
 * Trace context follows W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent` is
 * `00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>`; all-zero ids are invalid.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync, randomUUID } from 'node:crypto';

export interface RequestContext {
  /** The request's id: the incoming X-Request-ID when it is usable, else a new UUID. */
  request_id: string;
  /** W3C trace id (32 lower-case hex). */
  trace_id: string;
  /** This service's span for the request (16 lower-case hex). */
  span_id: string;
  /** The caller's span, when the request came with a traceparent. */
  parent_span_id?: string;
  /** W3C trace flags (2 hex; "01" = sampled). */
  trace_flags: string;
  /** Extra fields every line logged in this context carries (e.g. user context), set with `setContextFields`. */
  fields: Record<string, unknown>;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the code running now, or undefined outside any request. */
export function getContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts, sync or async) inside `ctx`. */
export function withContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Adds fields (e.g. `{ user_id }`) to every line logged from now on in the current context. */
export function setContextFields(fields: Record<string, unknown>): void {
  const ctx = storage.getStore();
  if (ctx) Object.assign(ctx.fields, fields);
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** An incoming request id is kept only if it is this short and printable, so a header cannot forge log lines. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export interface TraceParent {
  trace_id: string;
  parent_span_id: string;
  trace_flags: string;
}

/** Parses a `traceparent` header; undefined when absent or invalid (then a new trace starts). */
export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  if (!header) return undefined;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  // Version ff is forbidden; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { trace_id: traceId, parent_span_id: spanId, trace_flags: flags };
}

/** The `traceparent` to send downstream from `ctx`: same trace, this service's span as the parent. */
export function formatTraceparent(ctx: Pick<RequestContext, 'trace_id' | 'span_id' | 'trace_flags'>): string {
  return `00-${ctx.trace_id}-${ctx.span_id}-${ctx.trace_flags}`;
}

/**
 * Ids are cut from a pool of random bytes refilled 4 KiB at a time: one `randomBytes` call per id
 * cost about 5 µs, most of the HTTP middleware's per-request overhead (bench/http-middleware.bench.ts);
 * `randomUUID` pools its entropy the same way.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE) id = randomHex(16);
  return id;
}

export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN) id = randomHex(8);
  return id;
}

/**
 * The context for an incoming request from its headers: its X-Request-ID (if usable) or a new one,
 * and its traceparent's trace (if valid) with a new span of ours, or a new sampled trace.
 */
export function contextFromHeaders(headers: { 'x-request-id'?: string | string[]; traceparent?: string | string[] }): RequestContext {
  const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const rid = first(headers['x-request-id']);
  const parent = parseTraceparent(first(headers.traceparent));
  const ctx: RequestContext = {
    request_id: rid !== undefined && REQUEST_ID.test(rid) ? rid : randomUUID(),
    trace_id: parent?.trace_id ?? newTraceId(),
    span_id: newSpanId(),
    trace_flags: parent?.trace_flags ?? '01',
    fields: {},
  };
  if (parent) ctx.parent_span_id = parent.parent_span_id;
  return ctx;
}
