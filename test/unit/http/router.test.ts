/** The router's wildcard segment (static UI assets) next to static and `:param` segments. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../../src/http/router.js';

const noop = () => {};

test('a trailing *name segment takes the rest of the path, decoded, and needs at least one segment', () => {
  const r = new Router().add('GET', '/assets/*path', noop, { public: true });
  assert.deepEqual(r.match('GET', '/assets/app-1.js').route?.params, { path: 'app-1.js' });
  assert.deepEqual(r.match('GET', '/assets/fonts/a%20b.woff2').route?.params, { path: 'fonts/a b.woff2' });
  assert.equal(r.match('GET', '/assets').route, undefined);
  assert.equal(r.match('GET', '/assets/').route, undefined);
  assert.equal(r.match('POST', '/assets/x.js').methodMismatch, true);
  assert.equal(r.match('GET', '/assets/%E0%A4%A').badEscape, '%E0%A4%A');
});

test('an earlier exact route wins over a later wildcard, and other prefixes do not match it', () => {
  const r = new Router().add('GET', '/loki/api/v1/labels', noop).add('GET', '/loki/*rest', noop);
  assert.equal(r.match('GET', '/loki/api/v1/labels').route?.name, '/loki/api/v1/labels');
  assert.equal(r.match('GET', '/loki/other').route?.name, '/loki/*rest');
  assert.equal(r.match('GET', '/prometheus/x').route, undefined);
});
