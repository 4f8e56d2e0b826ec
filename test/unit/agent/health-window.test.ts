/**
 * The health window's rules (issue #13) on a scripted agent: what makes a remote configuration fail,
 * with which reason, and what does not (a quiet agent, failures that were there before, a server
 * that acknowledges). The end-to-end tests show the same against the real server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchHealth } from '../../../src/agent/health-window.js';
import type { AgentHealth } from '../../../src/agent/agent.js';

function healthy(): AgentHealth {
  return {
    shipping: { stalledSince: undefined, lastFailure: undefined, lastAckAt: undefined, rejected: 0, lastRejection: undefined, accepted: 0 },
    pushUrl: 'http://a:3100/loki/api/v1/push',
    failedSources: new Map(),
    discoveryErrors: 0,
    lastDiscoveryError: undefined,
  };
}

const WINDOW = 400;

test('a quiet agent, and one that ships, pass the window', async () => {
  const started = Date.now();
  assert.deepEqual(await watchHealth(healthy, { windowMs: WINDOW, checkMs: 20 }), { healthy: true });
  assert.ok(Date.now() - started >= WINDOW, 'the whole window is watched');
  const h = healthy();
  let n = 0;
  // Acknowledged batches with a failed retry among them.
  const shipping = () => ({ ...h, shipping: { ...h.shipping, accepted: ++n, lastAckAt: Date.now(), stalledSince: Date.now() - 10, lastFailure: n % 3 === 0 ? 'HTTP 503' : undefined } });
  assert.deepEqual(await watchHealth(shipping, { windowMs: WINDOW, checkMs: 20 }), { healthy: true });
});

test('lines waiting with failed attempts for half the window fail it early, naming the destination and the error', async () => {
  const since = Date.now();
  const stuck = (): AgentHealth => ({ ...healthy(), shipping: { ...healthy().shipping, stalledSince: since, lastFailure: 'connect ECONNREFUSED 10.0.0.1:3100' } });
  const started = Date.now();
  const v = await watchHealth(stuck, { windowMs: 2000, checkMs: 20 });
  assert.ok(Date.now() - started < 1500, 'before the end of the window');
  assert.deepEqual(v, { healthy: false, reason: 'client.url http://a:3100/loki/api/v1/push: connect ECONNREFUSED 10.0.0.1:3100 for 1s' });
});

test('still waiting with failures at the end, with nothing acknowledged in the window, fails it', async () => {
  const start = Date.now();
  const late = (): AgentHealth => {
    const h = healthy();
    // The stall begins late in the window: too late for the early limit.
    if (Date.now() - start < WINDOW * 0.7) return h;
    return { ...h, shipping: { ...h.shipping, stalledSince: start + WINDOW * 0.7, lastFailure: 'HTTP 502' } };
  };
  const v = await watchHealth(late, { windowMs: WINDOW, checkMs: 20 });
  assert.equal(v.healthy, false);
  assert.match((v as { reason: string }).reason, /^client\.url http:\/\/a:3100\/loki\/api\/v1\/push: HTTP 502 for \ds$/);
});

test('a window where every batch was refused for good fails; one where some were accepted passes', async () => {
  const refused = (): AgentHealth => ({ ...healthy(), shipping: { ...healthy().shipping, rejected: 2, lastRejection: 'HTTP rejection from http://a:3100/x: 404 page not found' } });
  const first = healthy;
  let calls = 0;
  const v = await watchHealth(() => (calls++ === 0 ? first() : refused()), { windowMs: WINDOW, checkMs: 20 });
  assert.deepEqual(v, { healthy: false, reason: 'every batch shipped in the window was refused: HTTP rejection from http://a:3100/x: 404 page not found' });
  calls = 0;
  const some = (): AgentHealth => ({ ...refused(), shipping: { ...refused().shipping, accepted: 5 } });
  assert.deepEqual(await watchHealth(() => (calls++ === 0 ? first() : some()), { windowMs: WINDOW, checkMs: 20 }), { healthy: true });
});

test('a source that starts failing fails the window; one that was failing before does not', async () => {
  const before = (): AgentHealth => ({ ...healthy(), failedSources: new Map([['file:/var/log/old.log', 'EACCES']]) });
  assert.deepEqual(await watchHealth(before, { windowMs: WINDOW, checkMs: 20 }), { healthy: true });
  let calls = 0;
  const after = (): AgentHealth => (calls++ < 2 ? before() : { ...healthy(), failedSources: new Map([['file:/var/log/old.log', 'EACCES'], ['file:/var/log/new.log', 'EISDIR: illegal operation']]) });
  assert.deepEqual(await watchHealth(after, { windowMs: WINDOW, checkMs: 20 }), { healthy: false, reason: 'source file:/var/log/new.log failed: EISDIR: illegal operation' });
});

test('repeated discovery errors fail the window; fewer do not; aborting ends it as cancelled', async () => {
  let errors = 5;
  const repeated = (): AgentHealth => ({ ...healthy(), discoveryErrors: errors, lastDiscoveryError: 'docker: connect ENOENT /var/run/docker.sock' });
  const once = (): AgentHealth => repeated();
  setTimeout(() => (errors = 7), 50);
  assert.deepEqual(await watchHealth(once, { windowMs: WINDOW, checkMs: 20 }), { healthy: true }, 'two since the start are not repeated');
  setTimeout(() => (errors = 10), 50);
  assert.deepEqual(await watchHealth(repeated, { windowMs: WINDOW, checkMs: 20 }), { healthy: false, reason: 'discovery failed 3 times, last: docker: connect ENOENT /var/run/docker.sock' });
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 50);
  assert.deepEqual(await watchHealth(healthy, { windowMs: 5000, checkMs: 20, signal: abort.signal }), { healthy: false, reason: 'cancelled' });
});
