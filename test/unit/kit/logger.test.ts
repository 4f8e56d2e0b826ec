/** The kit's logger writes docs/log-schema.md: every field, the request context through async code, one value per key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger, getLogger, bindLogger, toLevel, type Logger } from '../../../src/kit/logger.js';
import { contextFromHeaders, setContextFields, withContext } from '../../../src/kit/context.js';
import { assertSchemaLine } from '../../helpers/log-schema.js';
import { repeatedKeys } from '../../helpers/json-keys.js';

function capture(level = 'debug', service = 'checkout'): { log: Logger; texts: string[]; lines: () => Array<Record<string, unknown>> } {
  const texts: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const t of String(chunk).split('\n')) if (t) texts.push(t);
      done();
    },
  });
  const log = createLogger({ service, version: '1.4.2', env: 'staging', level, destination });
  return { log, texts, lines: () => texts.map((t) => JSON.parse(t) as Record<string, unknown>) };
}

test('a line outside any request has time, level, service, version, env and msg, in that schema', () => {
  const c = capture();
  const before = Date.now();
  c.log.info({ order: 42 }, 'order placed');
  const line = assertSchemaLine(c.texts[0]!, { versionAndEnv: true });
  assert.deepEqual(Object.keys(line), ['level', 'time', 'service', 'version', 'env', 'order', 'msg']);
  assert.deepEqual([line.level, line.service, line.version, line.env, line.order, line.msg], ['info', 'checkout', '1.4.2', 'staging', 42, 'order placed']);
  const t = Date.parse(line.time as string);
  assert.ok(t >= before - 1 && t <= Date.now() + 1, `time ${line.time as string} is now`);
  assert.equal(line.request_id, undefined);
});

test('every line logged while a request is handled carries its ids and fields, across awaits, timers and concurrent requests', async () => {
  const c = capture();
  const a = contextFromHeaders({ 'x-request-id': 'req-a', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  const b = contextFromHeaders({});
  const handle = (name: string) => async () => {
    c.log.info(`${name} start`);
    await delay(2);
    setContextFields({ user_id: `${name}-user` });
    c.log.info(`${name} after await`);
    await new Promise<void>((resolve) => setTimeout(() => (c.log.info(`${name} in timer`), resolve()), 1));
    await new Promise<void>((resolve) => setImmediate(() => (c.log.warn(`${name} in immediate`), resolve())));
  };
  await Promise.all([withContext(a, handle('a')), withContext(b, handle('b'))]);
  c.log.info('outside');
  assert.equal(c.texts.length, 9);
  for (const text of c.texts.slice(0, 8)) {
    const line = assertSchemaLine(text, { inContext: true, versionAndEnv: true });
    const ctx = (line.msg as string).startsWith('a ') ? a : b;
    assert.deepEqual([line.request_id, line.trace_id, line.span_id], [ctx.request_id, ctx.trace_id, ctx.span_id], text);
    if (!(line.msg as string).endsWith('start')) assert.equal(line.user_id, ctx === a ? 'a-user' : 'b-user', text);
  }
  const aLine = c.lines().find((l) => l.msg === 'a start')!;
  assert.deepEqual([aLine.request_id, aLine.trace_id], ['req-a', '0af7651916cd43dd8448eb211c80319c'], 'incoming X-Request-ID and traceparent');
  const outside = assertSchemaLine(c.texts[8]!);
  assert.equal(outside.request_id, undefined);
  assert.equal(outside.user_id, undefined);
});

test('no key is ever written twice; the documented source wins', () => {
  const c = capture();
  const ctx = contextFromHeaders({ 'x-request-id': 'from-context' });
  withContext(ctx, () => {
    setContextFields({ service: 'spoofed', trace_id: 'f'.repeat(32), tenant: 't1', time: 'x' });
    // A call naming the logger's own keys, the bindings, the context's keys and msg twice.
    c.log.info({ level: 'fatal', time: 'yesterday', service: 'other', version: '9', env: 'prod', request_id: 'from-call', tenant: 't2', msg: 'object msg' }, 'argument msg');
    c.log.info({ msg: 'only object msg' });
    const child = c.log.child({ component: 'db', service: 'child-service' });
    const grandchild = child.child({ component: 'pool', shard: 1 });
    grandchild.warn({ component: 'call', shard: 2 }, 'grandchild');
    child.info('child');
  });
  for (const text of c.texts) assert.deepEqual(repeatedKeys(text), [], text);
  const [call, objMsg, grandchild, child] = c.lines();
  // The logger's own and bound keys win over the call; the call wins over the context.
  assert.deepEqual([call!.level, call!.service, call!.version, call!.env, call!.request_id, call!.tenant, call!.msg], ['info', 'checkout', '1.4.2', 'staging', 'from-call', 't2', 'argument msg']);
  assert.notEqual(call!.time, 'yesterday');
  assert.equal(call!.trace_id, ctx.trace_id, "the context's ids win over its fields");
  assert.equal(objMsg!.msg, 'only object msg', 'without a message argument the object\'s msg is the message');
  // A child's binding replaces its parent's; bindings win over the call.
  assert.deepEqual([grandchild!.service, grandchild!.component, grandchild!.shard, grandchild!.level], ['child-service', 'pool', 1, 'warn']);
  assert.deepEqual([child!.service, child!.component, child!.shard], ['child-service', 'db', undefined]);
  for (const text of c.texts) assertSchemaLine(text, { inContext: true });
});

test('err is written with type, message, stack, code and its cause chain; the message defaults to the error\'s', () => {
  const c = capture();
  class PaymentError extends Error {}
  const root = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
  const err = new PaymentError('charge failed', { cause: root });
  c.log.error({ err }, 'payment failed');
  c.log.error(new TypeError('bad amount'));
  c.log.warn({ err: 'a plain string' }, 'kept as given');
  const [withCause, bare, plain] = c.texts.map((t, i) => assertSchemaLine(t, { err: i < 2 }));
  const e = withCause!.err as Record<string, any>;
  assert.equal(e.type, 'PaymentError');
  assert.equal(e.message, 'charge failed');
  assert.match(e.stack, /^Error: charge failed\n\s+at /);
  assert.deepEqual([e.cause.type, e.cause.message, e.cause.code], ['Error', 'connect ECONNREFUSED 10.0.0.7:5432', 'ECONNREFUSED']);
  assert.match(e.cause.stack, /ECONNREFUSED/);
  assert.deepEqual([(bare!.err as any).type, bare!.msg], ['TypeError', 'bad amount']);
  assert.equal(plain!.err, 'a plain string');
});

test('a cause chain that loops ends instead of recursing forever', () => {
  const c = capture();
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  c.log.error({ err: a }, 'loop');
  let depth = 0;
  for (let e = (assertSchemaLine(c.texts[0]!).err as any); e; e = e.cause) depth++;
  assert.equal(depth, 6);
});

test('levels are words; the level option filters and takes Python\'s names', () => {
  const c = capture('WARNING');
  c.log.debug('d');
  c.log.info('i');
  c.log.warn('w');
  c.log.error('e');
  c.log.fatal('f');
  assert.deepEqual(c.lines().map((l) => [l.level, l.msg]), [['warn', 'w'], ['error', 'e'], ['fatal', 'f']]);
  const crit = capture('CRITICAL');
  crit.log.error('e');
  crit.log.fatal('f');
  assert.deepEqual(crit.lines().map((l) => l.level), ['fatal']);
  const all = capture('debug');
  all.log.debug('d');
  assert.equal(assertSchemaLine(all.texts[0]!).level, 'debug');
  assert.deepEqual(['critical', 'Warning', 'INFO', 'silent'].map(toLevel), ['fatal', 'warn', 'info', 'silent']);
  assert.throws(() => toLevel('verbose'), /unknown log level "verbose": use one of debug, info, warn, error, fatal, silent/);
  assert.throws(() => createLogger({ service: 's', level: 'loud' }), /unknown log level "loud"/);
});

test('getLogger: the logger bound to the request, else the one created last', () => {
  const first = capture('info', 'first');
  const last = capture('info', 'last');
  assert.equal(getLogger(), last.log);
  const ctx = contextFromHeaders({});
  bindLogger(ctx, first.log);
  withContext(ctx, () => getLogger().info('bound'));
  withContext(contextFromHeaders({}), () => getLogger().info('unbound'));
  assert.deepEqual([first.lines()[0]!.service, first.lines()[0]!.request_id], ['first', ctx.request_id]);
  assert.equal(last.lines()[0]!.msg, 'unbound');
});
