/**
 * The kit's structured logger (`logwharf/logger`): pino writing the one schema of docs/log-schema.md.
 * Every line is one JSON object, in this order:
 *   level, time, <the logger's bindings: service, version, env, child bindings>,
 *   <the request context: request_id, trace_id, span_id, its fields>, <the call's fields>, msg
 *
 * No key is ever written twice. pino itself repeats a key when a call's object names a key the
 * logger already binds, when a child rebinds a key of its parent, or when a call's object has `msg`
 * and a message is given too. Here, when two sources name the same key, one wins:
 * - `level` and `time` are the logger's own: a call's or context's key of that name is dropped;
 * - the logger's bindings (service, version, env, anything bound with `.child`) win over the call
 *   and the context: a line cannot claim to come from another service;
 * - a child's binding replaces its parent's binding of the same name;
 * - the call's fields win over the request context's (`log.info({ request_id }, …)` names another request);
 * - the context's request_id, trace_id and span_id win over its own `fields` of those names;
 * - a message argument wins over a `msg` key of the call's object.
 */
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { getContext, type RequestContext } from './context.js';

export type Logger = PinoLogger;

/** The levels lines are written with (pino's `trace` below debug works too, and is written as "trace"). */
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LoggerOptions {
  /** Written as `service` on every line (Loki's service_name is usually the same). */
  service: string;
  /** The service's version, written as `version` when given. */
  version?: string;
  /** The deployment environment (production, staging, …), written as `env` when given. */
  env?: string;
  /**
   * The lowest level written: debug, info (default), warn, error, fatal, or silent; Python's names
   * (`WARNING`, `CRITICAL`) and any letter case are accepted (see `toLevel`).
   */
  level?: string;
  /** Where lines go; standard output (synchronous writes) by default. */
  destination?: DestinationStream;
}

/**
 * A level name as pino knows it. Case-insensitive, with Python's `logging` names mapped: WARNING →
 * warn, CRITICAL → fatal (as Python services in the same system write them, see docs/log-schema.md).
 */
export function toLevel(name: string): LevelWithSilent {
  const n = name.toLowerCase();
  switch (n) {
    case 'trace':
    case 'debug':
    case 'info':
    case 'warn':
    case 'error':
    case 'fatal':
    case 'silent':
      return n;
    case 'warning':
      return 'warn';
    case 'critical':
      return 'fatal';
    default:
      throw new Error(`unknown log level "${name}": use one of debug, info, warn, error, fatal, silent (or Python's WARNING, CRITICAL)`);
  }
}

/** How deep `cause` chains are followed: an error's cause's cause… (cycles end here too). */
const MAX_CAUSE_DEPTH = 5;

/**
 * `err` as the schema writes it: `{ type, message, stack, …its own enumerable properties (code, …),
 * cause? }` for an Error (its cause serialised the same way, MAX_CAUSE_DEPTH deep); any other value as given.
 */
export function serializeError(e: unknown, depth = 0): unknown {
  if (!(e instanceof Error)) return e;
  const ctor = (e as { constructor?: { name?: unknown } }).constructor?.name;
  // A subclass that does not set `name` still says what it is through its constructor.
  const out: Record<string, unknown> = { type: typeof ctor === 'string' && ctor !== '' && e.name === 'Error' ? ctor : e.name, message: e.message, stack: e.stack };
  // What node and libraries attach (code, errno, syscall, status, …), as pino's own serializer keeps them.
  for (const k of Object.keys(e)) {
    const v = (e as unknown as Record<string, unknown>)[k];
    if (!Object.hasOwn(out, k) && k !== 'cause' && typeof v !== 'function') out[k] = v;
  }
  if (e.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

// ---- no repeated keys: which keys a logger writes itself, and the merge of context and call.

const CHINDINGS = pino.symbols.chindingsSym;
const OWN_KEYS = ['level', 'time'];
const RESERVED = Symbol('logwharf.reservedKeys');

interface Reserved {
  chindings: string;
  keys: ReadonlySet<string>;
}
type Instance = Record<symbol, unknown>;

function bindingsOf(chindings: string): Record<string, unknown> {
  return chindings === '' ? {} : (JSON.parse(`{${chindings.slice(1)}}`) as Record<string, unknown>);
}

/** The keys `logger` writes itself (level, time, its bindings), cached until its bindings change. */
function reservedKeys(logger: Instance): ReadonlySet<string> {
  const chindings = logger[CHINDINGS] as string;
  let r = logger[RESERVED] as Reserved | undefined;
  if (r === undefined || r.chindings !== chindings) {
    r = { chindings, keys: new Set([...OWN_KEYS, ...Object.keys(bindingsOf(chindings))]) };
    logger[RESERVED] = r; // an own property: a child reads its parent's until its bindings differ
  }
  return r.keys;
}

/** A child's bindings fragment with each key once, the child's value winning (pino appends instead). */
function dedupeBindings(child: Instance): void {
  const merged = bindingsOf(child[CHINDINGS] as string); // JSON.parse keeps the last of repeated keys
  let fragment = '';
  for (const k in merged) fragment += `,${JSON.stringify(k)}:${JSON.stringify(merged[k])}`;
  child[CHINDINGS] = fragment;
}

const ID_KEYS = ['request_id', 'trace_id', 'span_id'] as const;

/** The line's fields when the call's object names a key the logger writes itself: without those. */
function withoutReserved(call: Record<string, unknown>, reserved: ReadonlySet<string>, dropMsg: boolean): Record<string, unknown> {
  let clash = false;
  for (const k in call) if (reserved.has(k) || (dropMsg && k === 'msg')) clash = true;
  if (!clash) return call;
  const out: Record<string, unknown> = {};
  for (const k in call) if (Object.hasOwn(call, k) && !reserved.has(k) && !(dropMsg && k === 'msg')) out[k] = call[k];
  return out;
}

/** The context's ids and fields merged under the call's fields (the call wins), field by field. */
function mergeContext(ctx: RequestContext, call: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { request_id: ctx.request_id, trace_id: ctx.trace_id, span_id: ctx.span_id };
  const fields = ctx.fields;
  for (const k in fields) if (!Object.hasOwn(out, k)) out[k] = fields[k];
  if (call) {
    for (const k in call) if (Object.hasOwn(call, k) && Object.hasOwn(out, k)) delete out[k];
    for (const k in call) if (Object.hasOwn(call, k)) out[k] = call[k];
  }
  return out;
}

// ---- the request context, serialised once per request and logger
//
// Merging the context's ids and fields into every line's object (pino's `mixin`) cost 26-57 % against
// plain pino with a child logger per request (bench/logger.bench.ts): each key serialised on each
// line. So, per logger and context, a child is made once whose bindings fragment ends with the
// context's keys, already serialised, and lines are written through it: the cost of a child per
// request, paid only by requests that log. It is made again when the context's fields or the
// logger's bindings change. A line whose call names a context key takes the field-by-field merge
// instead, so the call still wins.

const BAKED = Symbol('logwharf.contextChild');

interface Baked {
  /** The logger the child was made for, and its bindings then. */
  parent: Instance;
  chindings: string;
  /** The context's fields when it was made, in order: [key, value, key, value, …]. */
  fields: unknown[];
  /** Undefined when a field cannot be serialised up front (a BigInt, a cycle): then every line merges. */
  child: Instance | undefined;
}

function sameFields(snapshot: readonly unknown[], fields: Record<string, unknown>): boolean {
  let i = 0;
  for (const k in fields) {
    if (i >= snapshot.length || snapshot[i] !== k || snapshot[i + 1] !== fields[k]) return false;
    i += 2;
  }
  return i === snapshot.length;
}

function bake(parent: Instance, ctx: RequestContext): Baked {
  const chindings = parent[CHINDINGS] as string;
  const reserved = reservedKeys(parent);
  const fields: unknown[] = [];
  let fragment = '';
  let child: Instance | undefined;
  try {
    for (const k of ID_KEYS) if (!reserved.has(k)) fragment += `,"${k}":${JSON.stringify(ctx[k])}`;
    for (const k in ctx.fields) {
      const v = ctx.fields[k];
      fields.push(k, v);
      if (reserved.has(k) || isIdKey(k) || v === undefined || typeof v === 'function') continue;
      const json = JSON.stringify(v);
      if (json !== undefined) fragment += `,${JSON.stringify(k)}:${json}`;
    }
    // Never handed out, so pino's child() (which re-derives formatters and calls onChild) is not
    // needed: the parent's instance with a longer bindings fragment.
    child = Object.create(parent) as Instance;
    child[CHINDINGS] = chindings + fragment;
  } catch {
    child = undefined;
  }
  return { parent, chindings, fields, child };
}

function isIdKey(k: string): boolean {
  return k === 'request_id' || k === 'trace_id' || k === 'span_id';
}

/**
 * The context's child of `self`, kept on the context itself (one slot: a request usually logs
 * through one logger; another logger in the same request makes its own, replacing it).
 */
function bakedFor(self: Instance, ctx: RequestContext): Baked {
  const slot = ctx as unknown as Instance;
  let b = slot[BAKED] as Baked | undefined;
  if (b === undefined || b.parent !== self || b.chindings !== self[CHINDINGS] || !sameFields(b.fields, ctx.fields)) {
    b = bake(self, ctx);
    slot[BAKED] = b;
  }
  return b;
}

/**
 * Whether a call's object names a key the line already has (the logger's, or the context's when
 * `fields` is given) or `msg` while a message is given too: then the line is merged field by field.
 */
function names(call: Record<string, unknown> | null | undefined, reserved: ReadonlySet<string>, fields: Record<string, unknown> | undefined, msgGiven: boolean): boolean {
  if (call)
    for (const k in call) {
      if (reserved.has(k) || (msgGiven && k === 'msg')) return true;
      if (fields !== undefined && (isIdKey(k) || Object.hasOwn(fields, k))) return true;
    }
  return false;
}

const WRITE = pino.symbols.writeSym;
type Write = (this: Instance, obj: unknown, msg: unknown, level: number) => void;

/**
 * Replaces pino's write on each root logger (its children inherit it): every line passes here with
 * the call's object and the formatted message. Inside a request, the line is written through the
 * context's child, or merged field by field when the call names a context key; the keys the writing
 * logger binds, and `msg` when a message is given, are removed from the call's object. (pino's
 * `mixin`, `mixinMergeStrategy` and `logMethod` hook can do the same, but cost 12 % against plain
 * pino outside requests and 26 % inside, measured with bench/logger.bench.ts; this about 6 and 10 %.)
 */
function wrapWrite(pinoWrite: Write): Write {
  return function write(this: Instance, obj: unknown, msg: unknown, level: number): void {
    // pino passes null for no object and wraps an Error itself ({ err }, the message from it).
    const call = obj instanceof Error ? undefined : (obj as Record<string, unknown> | null | undefined);
    const msgGiven = msg !== undefined;
    const ctx = getContext();
    const reserved = reservedKeys(this);
    if (ctx === undefined) {
      if (names(call, reserved, undefined, msgGiven)) obj = withoutReserved(call!, reserved, msgGiven);
      return pinoWrite.call(this, obj, msg, level);
    }
    const baked = bakedFor(this, ctx);
    if (baked.child !== undefined && !names(call, reserved, ctx.fields, msgGiven)) return pinoWrite.call(baked.child, obj, msg, level);
    // The call names a key of the context or of the logger: merged field by field, the call winning over the context.
    const merged = mergeContext(ctx, obj instanceof Error ? { err: obj } : call);
    pinoWrite.call(this, withoutReserved(merged, reserved, msgGiven), msg, level);
  };
}

// ---- the loggers

let rootLogger: Logger | undefined;
const contextLoggers = new WeakMap<RequestContext, Logger>();

/**
 * A logger writing the schema. `time` is RFC 3339 in UTC with milliseconds, `level` a word. Lines
 * logged inside a request context (`withContext`, or the HTTP middleware) carry its request_id,
 * trace_id, span_id and fields, from whichever logger they are logged with. The logger created
 * last is the one `getLogger()` returns outside a request.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const base: Record<string, unknown> = { service: opts.service };
  if (opts.version !== undefined) base.version = opts.version;
  if (opts.env !== undefined) base.env = opts.env;
  const logger = pino(
    {
      level: toLevel(opts.level ?? 'info'),
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      errorKey: 'err',
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: (e: unknown) => serializeError(e) },
      onChild: (child) => dedupeBindings(child as unknown as Instance),
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  const self = logger as unknown as Instance;
  self[WRITE] = wrapWrite(self[WRITE] as Write);
  rootLogger = logger;
  return logger;
}

/**
 * Makes `getLogger()` return `logger` for code running in `ctx`, so a process with several services'
 * loggers gets the right one per request (the place for it is where the context is opened).
 */
export function bindLogger(ctx: RequestContext, logger: Logger): void {
  contextLoggers.set(ctx, logger);
}

/**
 * The logger for the code running now: inside a request context, the logger bound to it with
 * `bindLogger` (the middleware's), else the logger `createLogger` made last; before any, a
 * logger for service "unknown_service" on standard output. It is not a child per request: the
 * request's ids and fields come from the context on every line of every logger, so the same
 * logger serves all requests.
 */
export function getLogger(): Logger {
  const ctx = getContext();
  const bound = ctx === undefined ? undefined : contextLoggers.get(ctx);
  return bound ?? rootLogger ?? createLogger({ service: 'unknown_service' });
}
