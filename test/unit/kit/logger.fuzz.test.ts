/**
 * No repeated keys, whatever names the bindings, the request context and the call use (issue #16):
 * keys drawn from a pool that collides with the schema's own, and each line checked on its text
 * with the schema checker and the documented winner of each key (docs/log-schema.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { createLogger, type Logger } from '../../../src/kit/logger.js';
import { contextFromHeaders, withContext } from '../../../src/kit/context.js';
import { assertSchemaLine } from '../../helpers/log-schema.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const KEYS = ['level', 'time', 'msg', 'service', 'version', 'env', 'component', 'request_id', 'trace_id', 'span_id', 'user_id', 'order', 'err'];
const value = fc.oneof(fc.string({ maxLength: 6 }), fc.integer());
/** Values the schema allows for its own keys (ids in hex, names non-empty), distinct per source by `tag` (a hex digit). */
function valid(d: Record<string, unknown>, tag: string): Record<string, unknown> {
  const out = { ...d };
  if ('trace_id' in out) out.trace_id = tag.repeat(32);
  if ('span_id' in out) out.span_id = tag.repeat(16);
  for (const k of ['request_id', 'service', 'version', 'env']) if (k in out) out[k] = `${tag}-${String(out[k])}`;
  return out;
}
const fields = (tag: string) => fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 }).map((d) => valid(d, tag));
const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;

test('every line is one schema object with each key once and the documented winner', () => {
  fc.assert(
    fc.property(
      fc.array(fields('b'), { maxLength: 3 }),
      fc.option(fields('d'), { nil: undefined }),
      fields('c'),
      fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
      fc.constantFrom(...LEVELS),
      (childBindings, contextFields, call, message, level) => {
        const texts: string[] = [];
        const destination = new Writable({
          write(chunk, _enc, done) {
            for (const t of String(chunk).split('\n')) if (t) texts.push(t);
            done();
          },
        });
        let log: Logger = createLogger({ service: 'svc', version: '1.0.0', env: 'test', level: 'debug', destination });
        for (const b of childBindings) log = log.child(b);
        const ctx = contextFromHeaders({});
        if (contextFields) Object.assign(ctx.fields, contextFields);
        const write = () => (message === undefined ? log[level]({ ...call }) : log[level]({ ...call }, message));
        if (contextFields) withContext(ctx, write);
        else write();
        assert.equal(texts.length, 1);
        const line = assertSchemaLine(texts[0]!, { inContext: contextFields !== undefined });
        assert.equal(line.level, level);
        // Bindings: the last child's value of each key, over the call and the context.
        const bound: Record<string, unknown> = { service: 'svc', version: '1.0.0', env: 'test' };
        for (const b of childBindings) for (const [k, v] of Object.entries(b)) if (!['level', 'time', 'msg'].includes(k)) bound[k] = v;
        for (const [k, v] of Object.entries(bound)) assert.deepEqual(line[k], v, `bound ${k}`);
        // The message argument, else the call's msg, else empty.
        assert.equal(line.msg, message ?? ('msg' in call ? String(call.msg) : ''));
        for (const [k, v] of Object.entries(call)) {
          if (k in bound || ['level', 'time', 'msg'].includes(k)) continue;
          assert.deepEqual(line[k], v, `call ${k} wins over the context`);
        }
        if (contextFields) {
          for (const k of ['request_id', 'trace_id', 'span_id'] as const) if (!(k in bound) && !(k in call)) assert.equal(line[k], ctx[k], `context ${k}`);
          for (const [k, v] of Object.entries(contextFields)) {
            if (k in bound || k in call || ['level', 'time', 'msg', 'request_id', 'trace_id', 'span_id'].includes(k)) continue;
            assert.deepEqual(line[k], v, `context field ${k}`);
          }
        }
      },
    ),
    fuzzParams(),
  );
});
