/**
 * A query over a damaged block (issue #8 finding 5) answers 200 with the intact rest and Loki's
 * top-level `warnings`, instead of a generic 500; the metric counts it and later queries no longer
 * meet the block (it is quarantined).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, removeDir } from './helpers/server.js';
import { DAMAGED_T0, damagedDir } from './helpers/damaged.js';
import { waitFor } from '../helpers/wait-for.js';

const t0 = DAMAGED_T0;

async function query(url: string, q = '{job="damaged"}'): Promise<{ status: number; body: { status: string; warnings?: string[]; data: { result: Array<{ values: [string, string][] }> } } }> {
  const u = new URL(url + '/loki/api/v1/query_range');
  u.searchParams.set('query', q);
  u.searchParams.set('start', (t0 - 1n).toString());
  u.searchParams.set('end', (t0 + 1_000_000_000n).toString());
  u.searchParams.set('limit', '1000');
  const res = await fetch(u);
  return { status: res.status, body: (await res.json()) as never };
}

test('a log query over a damaged block answers 200 with the rest and a warning; the block is counted and quarantined', async () => {
  const dir = await damagedDir();
  try {
    const srv = await startServer({ data: dir });
    try {
      const r = await query(srv.url);
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'success');
      const lines = r.body.data.result.flatMap((s) => s.values.map((v) => v[1]));
      assert.equal(lines.length, 100);
      assert.ok(lines.every((l) => Number(l.split(' ')[1]) >= 100), 'only the intact block is served');
      assert.equal(r.body.warnings?.length, 1);
      assert.match(r.body.warnings![0]!, /1 damaged block\(s\) skipped: 100 entries/);
      await waitFor('the corruption to be counted', async () => /logwharf_store_corruptions_total\{kind="block"\} 1/.test(await (await fetch(srv.url + '/metrics')).text()));
      // Quarantined: later queries no longer meet it and have nothing to warn about.
      const again = await waitFor('the block to be quarantined', async () => {
        const a = await query(srv.url);
        return a.body.warnings === undefined && a;
      });
      assert.equal(again.status, 200);
      assert.ok(readdirSync(join(dir, 'quarantine')).some((f) => f.endsWith('.json')));
    } finally {
      await srv.close();
    }
  } finally {
    removeDir(dir);
  }
});

test('a metric query over a damaged block answers 200 without it and with a warning', async () => {
  const dir = await damagedDir();
  try {
    const srv = await startServer({ data: dir });
    try {
      const m = await query(srv.url, 'sum(count_over_time({job="damaged"}[1h]))');
      assert.equal(m.status, 200);
      assert.match(m.body.warnings?.[0] ?? '', /1 damaged block\(s\) skipped: 100 entries/);
    } finally {
      await srv.close();
    }
  } finally {
    removeDir(dir);
  }
});
