/** The store's Prometheus metrics, as /metrics would show them. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import client from 'prom-client';
import { createStore } from '../../../src/store/index.js';

test('appends, duplicates, sealed blocks, head bytes, streams and the WAL\'s files are exported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-metrics-'));
  const registry = new client.Registry();
  const store = createStore({ dir, registry, compactionIntervalMs: 0, now: () => 1_714_521_600_000 });
  try {
    await store.start();
    const p = [{ labels: { job: 'm' }, entries: [{ ts: 1_714_521_600_000_000_000n, line: 'hello' }, { ts: 1_714_521_600_000_000_001n, line: 'world' }] }];
    await store.append('t', p);
    await store.append('t', p);
    let text = await registry.metrics();
    assert.match(text, /^logwharf_store_entries_appended_total 2$/m);
    assert.match(text, /^logwharf_store_duplicates_total 2$/m);
    assert.match(text, /^logwharf_store_head_bytes 10$/m);
    assert.match(text, /^logwharf_store_streams 1$/m);
    const wal = Number(/^logwharf_store_wal_bytes (\d+)$/m.exec(text)?.[1]);
    assert.ok(wal > 20, `the WAL holds the appends: ${wal} bytes`);
    assert.match(text, /^logwharf_store_wal_segments 1$/m);
    await store.flush();
    text = await registry.metrics();
    assert.match(text, /^logwharf_store_blocks_sealed_total 1$/m);
    assert.match(text, /^logwharf_store_blocks 1$/m);
    assert.match(text, /^logwharf_store_head_bytes 0$/m);
    // Every record sealed: the checkpoint rolled the segment and deleted it.
    assert.match(text, /^logwharf_store_wal_bytes 0$/m);
    assert.match(text, /^logwharf_store_wal_segments 1$/m);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
