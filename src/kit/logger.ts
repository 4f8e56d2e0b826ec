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

const NO_CONTEXT: Readonly<Record<string, unknown>> = Object.freeze({});
/** The reserved keys of the logger writing now, handed from `mixin` to `mergeStrategy` (both run synchronously in one write). */
let writing: ReadonlySet<string> = new Set(OWN_KEYS);

function mixin(_obj: object, _level: number, logger: unknown): Record<string, unknown> {
  writing = reservedKeys(logger as Instance);
  const ctx = getContext();
  if (ctx === undefined) return NO_CONTEXT;
  return contextFields(ctx);
}

function contextFields(ctx: RequestContext): Record<string, unknown> {
  const out: Record<string, unknown> = { request_id: ctx.request_id, trace_id: ctx.trace_id, span_id: ctx.span_id };
  const fields = ctx.fields;
  for (const k in fields) if (!Object.hasOwn(out, k)) out[k] = fields[k];
  return out;
}

function mergeStrategy(obj: object, fromContext: object): object {
  const reserved = writing;
  const call = obj as Record<string, unknown>;
  if (fromContext === NO_CONTEXT) {
    // The common case outside requests: the call's object as it is, unless it names a reserved key.
    let clash = false;
    for (const k in call) if (reserved.has(k)) clash = true;
    if (!clash) return call;
  }
  const ctx = fromContext as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in ctx) if (!reserved.has(k) && !Object.hasOwn(call, k)) out[k] = ctx[k];
  for (const k in call) if (Object.hasOwn(call, k) && !reserved.has(k)) out[k] = call[k];
  return out;
}

/** A message argument wins over the call object's `msg`; without one, that `msg` is the message. */
function logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void): void {
  const first = args[0];
  if (args.length > 1 && typeof first === 'object' && first !== null && Object.hasOwn(first, 'msg')) {
    const { msg: _dropped, ...rest } = first as Record<string, unknown>;
    args[0] = rest;
  }
  method.apply(this, args);
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
      mixin,
      mixinMergeStrategy: mergeStrategy,
      hooks: { logMethod },
      onChild: (child) => dedupeBindings(child as unknown as Instance),
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
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
