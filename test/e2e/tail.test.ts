/** Live tail over WebSocket, with Loki's frames, against the real server. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

let srv: RunningServer;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

async function push(labels: Record<string, string>, values: [string, string][]) {
  const res = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: labels, values }] }),
  });
  assert.equal(res.status, 204);
}

interface Frame {
  streams: { stream: Record<string, string>; values: [string, string][] }[];
  dropped_entries?: unknown;
}

type Got = [string, string, Record<string, string>][];

/** Collects entries from tail frames into `got` until there are `want`. */
function collect(ws: WebSocket, want: number, got: Got = [], timeoutMs = 8000): Promise<Got> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${JSON.stringify(got)}`)), timeoutMs);
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Frame;
      assert.ok(Array.isArray(f.streams));
      for (const s of f.streams) for (const [ts, line] of s.values) got.push([ts, line, s.stream]);
      if (got.length >= want) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

test('tail sends recent history, then new matching entries in order, filtered by the pipeline', async () => {
  const t = BigInt(Date.now() - 5000) * 1_000_000n;
  await push({ job: 'tail' }, [[t.toString(), 'old error one']]);
  const u = new URL(srv.url.replace('http', 'ws') + '/loki/api/v1/tail');
  u.searchParams.set('query', '{job="tail"} |= "error" | line_format "E: {{__line__}}"');
  u.searchParams.set('limit', '10');
  const ws = new WebSocket(u);
  // Listen before 'open': the history frame can arrive in the same packet as the upgrade.
  const seen: Got = [];
  const frames = collect(ws, 3, seen);
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  // The server subscribes to new entries before it sends the history: once the history is here,
  // what is pushed next is live.
  await waitFor('the history frame', () => seen.length >= 1);
  const n = BigInt(Date.now()) * 1_000_000n;
  await push({ job: 'tail' }, [
    [n.toString(), 'new error two'],
    [(n + 1n).toString(), 'just info'],
    [(n + 2n).toString(), 'new error three'],
  ]);
  await push({ job: 'other' }, [[(n + 3n).toString(), 'error elsewhere']]);
  const got = await frames;
  ws.close();
  assert.deepEqual(
    got.map((g) => g[1]),
    ['E: old error one', 'E: new error two', 'E: new error three'],
  );
  assert.equal(got[1]![0], n.toString());
  // Loki 3's enrichment: service_name from job; detected_level "unknown" because Loki's keyword scan
  // wants forms such as "err:" or "[error]", not a bare "error".
  assert.deepEqual(got[1]![2], { job: 'tail', service_name: 'tail', detected_level: 'unknown' });
});

test('tail with a bad query is refused before the upgrade', async () => {
  const u = new URL(srv.url.replace('http', 'ws') + '/loki/api/v1/tail');
  u.searchParams.set('query', '{job=');
  const ws = new WebSocket(u);
  const status = await new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
  assert.equal(status, 400);
});
