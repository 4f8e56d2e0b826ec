/** Our JSON log lines name each key once, however deep the child loggers (issue #8). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childLogger, createLogger } from '../../../src/util/logger.js';
import { repeatedKeys } from '../../helpers/json-keys.js';
import { assertSchemaLine } from '../../helpers/log-schema.js';
import { withContext, contextFromHeaders } from '../../../src/kit/context.js';

const SRC = fileURLToPath(new URL('../../../src', import.meta.url));
const LOGGER = join(SRC, 'util', 'logger.ts');

function capture(): { lines: string[]; destination: Writable & { write(s: string): boolean } } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}

test('child loggers replace a key of their parent instead of repeating it', () => {
  const c = capture();
  const up = createLogger({ component: 'up', destination: c.destination });
  const server = childLogger(up, { component: 'server' });
  const store = childLogger(server, { component: 'store', shard: 1 });
  const req = childLogger(store, { reqId: 'r1' });
  store.info({ blocks: 3 }, 'compacted');
  req.warn('slow');
  up.info('ready');
  assert.equal(c.lines.length, 3);
  for (const line of c.lines) assert.deepEqual(repeatedKeys(line), [], line);
  const [compacted, slow, ready] = c.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual([compacted!.component, compacted!.shard, compacted!.blocks, compacted!.msg], ['store', 1, 3, 'compacted']);
  assert.deepEqual([slow!.component, slow!.reqId, slow!.level], ['store', 'r1', 'warn']);
  assert.equal(ready!.component, 'up', 'the parent is unchanged');
  assert.deepEqual(req.bindings(), { service: 'logwharf', component: 'store', shard: 1, reqId: 'r1' });
});

test('a child keeps its parent\'s level and can be silenced on its own', () => {
  const c = capture();
  const root = createLogger({ level: 'warn', component: 'up', destination: c.destination });
  const child = childLogger(root, { component: 'agent' });
  child.info('dropped');
  child.warn('kept');
  assert.deepEqual(c.lines.map((l) => (JSON.parse(l) as { msg: string }).msg), ['kept']);
});

test('repeatedKeys finds a repeated key at any depth and nothing in clean JSON', () => {
  assert.deepEqual(repeatedKeys('{"component":"up","component":"server","a":{"b":1,"b":2},"c":[{"d":1},{"d":2}]}'), ['component', 'b']);
  assert.deepEqual(repeatedKeys('{"msg":"a,\\"b\\":{","x":[1,"y"],"y":{"z":"}"}}'), []);
});

test('every child logger in src/ is made with childLogger (pino\'s own .child repeats keys)', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && p !== LOGGER) {
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => /\blog\w*\??\.child\(/i.test(line) && offenders.push(`${p}:${i + 1}: ${line.trim()}`));
      }
    }
  };
  walk(SRC);
  assert.deepEqual(offenders, []);
});

test('our lines are the kit\'s schema: service logwharf, our version, the component, a request\'s ids', () => {
  const c = capture();
  const log = createLogger({ component: 'server', version: '0.1.0', destination: c.destination });
  const req = childLogger(log, { request_id: 'r-7' });
  log.info({ err: new Error('disk full') }, 'append failed');
  withContext(contextFromHeaders({ 'x-request-id': 'r-8' }), () => req.warn({ component: 'ingest' }, 'slow push'));
  const failed = assertSchemaLine(c.lines[0]!, { err: true });
  assert.deepEqual(Object.keys(failed), ['level', 'time', 'service', 'version', 'component', 'err', 'msg']);
  assert.deepEqual([failed.service, failed.version, failed.component, (failed.err as { message: string }).message], ['logwharf', '0.1.0', 'server', 'disk full']);
  // The HTTP layer's request_id binding wins over a kit context around it; the component is the logger's.
  const slow = assertSchemaLine(c.lines[1]!, { inContext: true });
  assert.deepEqual([slow.request_id, slow.component, slow.level], ['r-7', 'server', 'warn']);
});
