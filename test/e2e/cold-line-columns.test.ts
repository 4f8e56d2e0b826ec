/**
 * `storage.cold_line_columns: true` (issue #12): the server's background compaction writes cold
 * blocks as line columns (block format 3), and queries over them — lines, `| json`, a line filter,
 * a count — answer exactly what they answered before the data turned cold.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decompress } from 'zstd-napi';
import { LINES_COLUMNS, SPLIT_HEADER, isSplitRegion, splitStatsLength } from '../../src/store/block-codec.js';
import { BLOCK_HEADER, walkBlockHeaders } from '../../src/store/block-meta.js';
import { waitFor } from '../helpers/wait-for.js';
import { removeDir, startServer } from './helpers/server.js';

const T0 = 1_714_521_600_000_000_000n; // 2024-05-01: older than cold_after at once

function segFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...segFiles(p));
    else if (p.endsWith('.seg')) out.push(p);
  }
  return out;
}

/** Lines modes of every block in the data directory's segment files. */
function linesModes(dir: string): number[] {
  const modes: number[] = [];
  for (const f of segFiles(dir)) {
    const buf = readFileSync(f);
    for (const h of walkBlockHeaders(buf)) {
      const region = buf.subarray(h.offset + BLOCK_HEADER, h.offset + BLOCK_HEADER + h.length);
      if (isSplitRegion(region)) modes.push(decompress(region.subarray(SPLIT_HEADER + splitStatsLength(region)))[0]!);
    }
  }
  return modes;
}

/** A log query's lines in time order (detected_level splits the stream in two, as in Loki 3). */
function linesOf(body: any): string[] {
  const all: Array<[string, string]> = body.data.result.flatMap((s: any) => s.values);
  return all.sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1)).map((v) => v[1]);
}

async function get(url: string, path: string, params: Record<string, string>): Promise<{ status: number; body: any }> {
  const u = new URL(url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u);
  return { status: res.status, body: await res.json() };
}

test('with cold_line_columns the background compaction writes columnar cold blocks that queries read exactly', async () => {
  const srv = await startServer({
    limits: { reject_old_samples: false },
    retention: { period: '0s' },
    storage: { max_block_age: '1s', compaction_interval: '1s', cold_after: '1s', cold_line_columns: true },
  });
  try {
    const values: Array<[string, string]> = [];
    for (let i = 0; i < 400; i++) {
      const ts = T0 + BigInt(i) * 1_000_000_000n;
      const level = i % 10 === 0 ? 'error' : 'info';
      values.push([ts.toString(), `{"level":"${level}","ts":"${new Date(Number(ts / 1_000_000n)).toISOString()}","msg":"request ${i % 3 ? 'completed' : 'started'}","request_id":"${(i * 2654435761).toString(16)}","took_ms":${(i * 7) % 500}}`]);
    }
    const push = await fetch(srv.url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: { job: 'cold' }, values }] }) });
    assert.equal(push.status, 204, await push.text());
    const range = { start: (T0 - 1n).toString(), end: (T0 + 1000n * 1_000_000_000n).toString(), limit: '5000', direction: 'forward' };
    const ask = async () => ({
      lines: linesOf((await get(srv.url, '/loki/api/v1/query_range', { ...range, query: '{job="cold"}' })).body),
      errors: linesOf((await get(srv.url, '/loki/api/v1/query_range', { ...range, query: '{job="cold"} | json | level="error"' })).body),
      filtered: linesOf((await get(srv.url, '/loki/api/v1/query_range', { ...range, query: '{job="cold"} |= "started"' })).body),
      count: (await get(srv.url, '/loki/api/v1/query', { time: range.end, query: 'sum(count_over_time({job="cold"}[1h]))' })).body.data.result[0]?.value[1],
    });
    const before = await ask();
    assert.deepEqual(before.lines, values.map((v) => v[1]));
    await waitFor('a columnar cold block', async () => linesModes(srv.dir).includes(LINES_COLUMNS));
    // Wait for the hot blocks to be gone from the index too: every query then reads cold blocks.
    await waitFor('another compaction run after it', async () => Number(/logwharf_store_compactions_total (\d+)/.exec(await (await fetch(srv.url + '/metrics')).text())?.[1] ?? 0) >= 2);
    const after = await ask();
    assert.deepEqual(after, before);
    assert.equal(after.errors.length, 40);
    assert.equal(after.filtered.length, 134);
    assert.equal(after.count, '400');
  } finally {
    await srv.close();
    removeDir(srv.dir);
  }
});
