/**
 * The ruler API fuzzed over HTTP against the real server: random bodies (bytes, YAML of random
 * values, valid groups with mutations) under random namespace names (any Unicode, percent-encoded or
 * raw with stray `%`) get a 202 or a 4xx with a message — never a 5xx — and whatever was accepted
 * reads back under the same names. The server keeps serving. FUZZ_SEED replays a run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { fuzzParams } from '../helpers/fuzz.js';

let srv: RunningServer;
before(async () => {
  srv = await startServer({ max_body_bytes: 256 * 1024, ruler: { max_rules_per_group: 20, max_groups_per_tenant: 1000 } });
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

/** Groups that are valid (any Unicode in names and labels) … */
const goodGroup = fc.record({
  name: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((n) => n !== '.' && n !== '..'),
  interval: fc.constantFrom(undefined, '1m', '30s', '1h30m'),
  rules: fc.array(
    fc.oneof(
      fc.record({
        alert: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
        expr: fc.constantFrom('sum(count_over_time({a="b"}[1m])) > 1', 'sum by (c) (rate({a="b"} |= "x" [5m])) > 0.5'),
        for: fc.constantFrom(undefined, '5m'),
        labels: fc.dictionary(fc.stringMatching(/^[a-z_]{1,6}$/), fc.string({ unit: 'binary', maxLength: 8 }), { maxKeys: 2 }),
      }),
      fc.record({ record: fc.constantFrom('job:errors:rate1m', 'x'), expr: fc.constant('sum(rate({a="b"}[1m]))') }),
    ),
    { minLength: 1, maxLength: 25 },
  ),
});
/** … and ones with wrong values in every field. */
const validGroup = fc.record({
  name: fc.string({ maxLength: 12 }),
  interval: fc.constantFrom(undefined, '1m', '0s', '-1m', 'soon'),
  rules: fc.array(
    fc.oneof(
      fc.record({ alert: fc.string({ maxLength: 8 }), expr: fc.constantFrom('sum(count_over_time({a="b"}[1m])) > 1', '{a="b"}', 'sum(', ''), for: fc.constantFrom(undefined, '5m', 'x') }),
      fc.record({ record: fc.constantFrom('job:errors:rate1m', 'bad name', ''), expr: fc.constantFrom('sum(rate({a="b"}[1m]))', '1 +') }),
    ),
    { maxLength: 25 },
  ),
});
const body = fc.oneof(
  goodGroup.map((g) => Buffer.from(stringify(JSON.parse(JSON.stringify(g))))),
  goodGroup.map((g) => Buffer.from(stringify(JSON.parse(JSON.stringify(g))))),
  fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
  fc.anything().map((v) => Buffer.from(stringify(v) ?? '')),
  validGroup.map((g) => Buffer.from(stringify(JSON.parse(JSON.stringify(g))))),
  fc.tuple(validGroup, fc.string({ maxLength: 10 }), fc.nat()).map(([g, junk, at]) => {
    const text = stringify(JSON.parse(JSON.stringify(g)));
    const i = at % (text.length + 1);
    return Buffer.from(text.slice(0, i) + junk + text.slice(i));
  }),
);
const namespace = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map((s) => ({ raw: encodeURIComponent(s), name: s as string | undefined })),
  fc.string({ unit: fc.constantFrom('%', '2', 'F', 'e', '.', 'a', 'Z'), minLength: 1, maxLength: 6 }).map((s) => ({ raw: s, name: undefined })),
);

test('random ruler API requests never get a 5xx, and accepted groups read back', async () => {
  await fc.assert(
    fc.asyncProperty(namespace, body, async (ns, b) => {
      const res = await fetch(`${srv.url}/loki/api/v1/rules/${ns.raw}`, { method: 'POST', body: b });
      const text = await res.text();
      assert.ok(res.status === 202 || (res.status >= 400 && res.status < 500), `POST ${ns.raw}: ${res.status} ${text}`);
      if (res.status !== 202) {
        assert.ok(text.trim().length > 0, `POST ${ns.raw}: ${res.status} with an empty message`);
        return;
      }
      const list = await fetch(`${srv.url}/loki/api/v1/rules/${ns.raw}`);
      assert.equal(list.status, 200, `GET ${ns.raw}: ${await list.clone().text()}`);
      const del = await fetch(`${srv.url}/loki/api/v1/rules/${ns.raw}`, { method: 'DELETE' });
      assert.equal(del.status, 202);
      if (ns.name !== undefined) assert.equal((await fetch(`${srv.url}/loki/api/v1/rules/${ns.raw}`)).status, 404);
    }),
    fuzzParams(0.5),
  );
  assert.equal((await fetch(`${srv.url}/ready`)).status, 200);
});
