/**
 * The Python recipe of docs/log-schema.md (docs/examples/python/logwharf_logging.py) run under the
 * real python3: its lines pass the same schema checker as the JS logger's, field by field, and the
 * doc shows the file as it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertSchemaLine } from '../helpers/log-schema.js';
import { repeatedKeys } from '../helpers/json-keys.js';

const run = promisify(execFile);
const REPO = new URL('../../', import.meta.url).pathname;
const RECIPE_DIR = join(REPO, 'docs/examples/python');

const SCRIPT = `
import logging, sys, threading
from logwharf_logging import LogwharfFormatter, request_scope

handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(LogwharfFormatter(service="billing", version="1.2.0", env="production"))
logging.basicConfig(level=logging.DEBUG, handlers=[handler])
log = logging.getLogger("billing.charges")

log.debug("cache warm")
log.info("charged %s", "card", extra={"amount": 12, "service": "spoofed", "level": "x"})
log.warning("slow gateway")
log.error("declined")
log.critical("ledger unreachable")
headers = {"X-Request-ID": "req-py-1", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
with request_scope(headers, user_id="u-7"):
    try:
        try:
            {}["account"]
        except KeyError as e:
            raise RuntimeError("charge failed") from e
    except RuntimeError:
        log.exception("request failed", extra={"order": 42})
    worker = threading.Thread(target=lambda: log.info("in a thread"))
    worker.start(); worker.join()
log.info("after the request")
`;

test('the Python recipe writes the schema: levels (CRITICAL as fatal), request context, extra fields, exceptions with cause', { timeout: 30_000 }, async () => {
  const { stdout } = await run('python3', ['-c', SCRIPT], { cwd: RECIPE_DIR, env: { ...process.env, PYTHONPATH: RECIPE_DIR, PYTHONDONTWRITEBYTECODE: '1' } });
  const texts = stdout.trim().split('\n');
  assert.equal(texts.length, 8, stdout);
  for (const t of texts) assert.deepEqual(repeatedKeys(t), [], t);
  const lines = texts.map((t, i) => assertSchemaLine(t, { versionAndEnv: true, inContext: i === 5, err: i === 5 }));
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [
    ['debug', 'cache warm'],
    ['info', 'charged card'],
    ['warn', 'slow gateway'],
    ['error', 'declined'],
    ['fatal', 'ledger unreachable'],
    ['error', 'request failed'],
    ['info', 'in a thread'],
    ['info', 'after the request'],
  ]);
  for (const l of lines) assert.deepEqual([l.service, l.version, l.env], ['billing', '1.2.0', 'production']);
  assert.equal(lines[1]!.amount, 12, 'extra= fields are written; the formatter\'s own keys win over them');

  const failed = lines[5]!;
  assert.deepEqual([failed.request_id, failed.trace_id, failed.user_id, failed.order], ['req-py-1', '4bf92f3577b34da6a3ce929d0e0e4736', 'u-7', 42]);
  assert.notEqual(failed.span_id, '00f067aa0ba902b7', 'a new span of this service, the caller\'s is its parent');
  const err = failed.err as Record<string, any>;
  assert.deepEqual([err.type, err.message], ['RuntimeError', 'charge failed']);
  assert.match(err.stack, /^Traceback \(most recent call last\):\n[\s\S]*RuntimeError: charge failed\n$/);
  assert.deepEqual([err.cause.type, err.cause.message], ['KeyError', "'account'"]);
  // contextvars are copied into a thread only when asked; a thread started plainly logs without the request.
  assert.equal(lines[6]!.request_id, undefined);
  assert.equal(lines[7]!.request_id, undefined);
});

test('docs/log-schema.md shows the recipe file as it is', () => {
  const doc = readFileSync(join(REPO, 'docs/log-schema.md'), 'utf8');
  const file = readFileSync(join(RECIPE_DIR, 'logwharf_logging.py'), 'utf8');
  assert.ok(doc.includes('```python\n' + file + '```'), 'the python block of docs/log-schema.md differs from docs/examples/python/logwharf_logging.py');
});
