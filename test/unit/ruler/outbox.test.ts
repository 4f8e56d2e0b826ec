/**
 * The outbox both senders are built on, driven directly: which failures are retried, that a
 * Retry-After answer sets the next attempt's time, and that a failure of the loop itself is
 * reported instead of taking the process down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LokiClientError } from '../../../src/api/client.js';
import { createOutbox, isRetryable, type OutboxHooks } from '../../../src/ruler/outbox.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Item {
  tenant: string;
  n: number;
}

function hooks(send: OutboxHooks<Item>['send'], extra: Partial<OutboxHooks<Item>> = {}): OutboxHooks<Item> & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    send,
    delivered: (_t, b) => events.push(`delivered ${b.map((i) => i.n).join(',')}`),
    retrying: (_t, b, e, ms) => events.push(`retrying ${e.status} in ${ms}`),
    rejected: (_t, b, e) => events.push(`rejected ${e.status}`),
    dropped: (items, why) => events.push(`dropped ${items.length} ${why}`),
    crashed: (e) => events.push(`crashed ${e.message}`),
    ...extra,
  };
}

const opts = { capacity: 100, maxBatch: 10, minBackoffMs: 10, maxBackoffMs: 50, now: Date.now };

test('retryable: no answer, 5xx and 429; not other statuses', () => {
  assert.equal(isRetryable(new LokiClientError('down')), true);
  assert.equal(isRetryable(new LokiClientError('x', 500)), true);
  assert.equal(isRetryable(new LokiClientError('x', 503)), true);
  assert.equal(isRetryable(new LokiClientError('x', 429)), true);
  assert.equal(isRetryable(new LokiClientError('x', 400)), false);
  assert.equal(isRetryable(new LokiClientError('x', 404)), false);
  assert.equal(isRetryable(new LokiClientError('x', 413)), false);
});

test('a Retry-After answer sets the delay of the next attempt, capped at the largest backoff', async () => {
  let calls = 0;
  const h = hooks(async () => {
    calls++;
    if (calls === 1) throw new LokiClientError('busy', 503, '', { retryAfter: '0' });
    if (calls === 2) throw new LokiClientError('busy', 429, '', { retryAfter: '3600' });
  });
  const o = createOutbox<Item>({ ...opts, minBackoffMs: 40, maxBackoffMs: 60 }, h);
  o.enqueue([{ tenant: 't', n: 1 }]);
  await waitFor('delivery', () => h.events.includes('delivered 1'));
  assert.deepEqual(h.events, ['retrying 503 in 0', 'retrying 429 in 60', 'delivered 1']);
  await o.close(100);
});

test('an error that is not the client\'s (an encoding bug) is not retried', async () => {
  const h = hooks(async () => {
    throw new TypeError('cannot encode');
  });
  const o = createOutbox<Item>(opts, h);
  o.enqueue([{ tenant: 't', n: 1 }]);
  await waitFor('the rejection', () => h.events.length === 1);
  assert.deepEqual(h.events, ['rejected undefined']);
  await o.close(100);
});

test('a failure of the loop itself is reported, the process lives on, and later items are dropped', async () => {
  const h = hooks(async () => {}, {
    delivered() {
      throw new Error('bug in a hook');
    },
  });
  const o = createOutbox<Item>(opts, h);
  o.enqueue([{ tenant: 't', n: 1 }]);
  await waitFor('the crash report', () => h.events.includes('crashed bug in a hook'));
  o.enqueue([{ tenant: 't', n: 2 }]);
  assert.deepEqual(h.events, ['crashed bug in a hook', 'dropped 1 closed']);
  await o.close(100);
});
