/**
 * Durability through the real CLI in a child process: whatever a push acknowledged with 204
 * survives `kill -9` at any moment, exactly once; SIGTERM flushes and exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChildServer, startCli, tempDir, removeDir } from './helpers/server.js';
import { seededRandom } from '../helpers/random.js';
import { waitFor } from '../helpers/wait-for.js';

function configFile(dir: string, extra = ''): string {
  const p = join(dir, '..', `${dir.split('/').pop()}.yaml`);
  writeFileSync(p, 'limits:\n  max_entries_limit_per_query: 1000000\n  ingestion_rate_mb: 1000\n  ingestion_burst_size_mb: 1000\n' + extra);
  return p;
}

function walBytes(dir: string): number {
  return readdirSync(join(dir, 'wal')).reduce((a, f) => a + statSync(join(dir, 'wal', f)).size, 0);
}

async function queryAll(url: string, from: bigint, to: bigint, limit = 1_000_000): Promise<string[]> {
  const u = new URL(url + '/loki/api/v1/query_range');
  u.searchParams.set('query', '{job="durability"}');
  u.searchParams.set('start', from.toString());
  u.searchParams.set('end', to.toString());
  u.searchParams.set('limit', String(limit));
  const res = await fetch(u);
  const body = (await res.json()) as { data: { result: { values: [string, string][] }[] } };
  assert.equal(res.status, 200);
  return body.data.result.flatMap((s) => s.values.map((v) => v[1]));
}

test('every acknowledged entry survives kill -9 mid-ingest, exactly once', { timeout: 120_000 }, async (t) => {
  const rnd = seededRandom(t);
  const dir = tempDir();
  const cfg = configFile(dir);
  const acked = new Set<string>();
  const attempted = new Set<string>();
  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  let seq = 0;
  try {
    for (let round = 0; round < 3; round++) {
      const srv = await startChildServer(dir, ['--config', cfg, '--log-level', 'warn']);
      let stop = false;
      const pusher = async (worker: number) => {
        while (!stop) {
          const lines: string[] = [];
          const values: [string, string][] = [];
          for (let i = 0; i < 20; i++) {
            const n = seq++;
            const line = `round=${round} worker=${worker} seq=${n}`;
            lines.push(line);
            values.push([(t0 + BigInt(n) * 1000n).toString(), line]);
          }
          for (const l of lines) attempted.add(l);
          try {
            const res = await fetch(srv.url + '/loki/api/v1/push', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ streams: [{ stream: { job: 'durability', worker: String(worker % 2) }, values }] }),
            });
            if (res.status === 204) for (const l of lines) acked.add(l);
          } catch {
            return; // the server died under us
          }
        }
      };
      const workers = [0, 1, 2, 3].map(pusher);
      // The kill moment is the random part of this test: seeded, and the seed is printed.
      await new Promise((r) => setTimeout(r, rnd.between(300, 1500)));
      srv.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(workers);
      await srv.exited;
    }
    assert.ok(acked.size > 100, `expected many acknowledged entries, got ${acked.size}`);
    const srv = await startChildServer(dir, ['--config', cfg, '--log-level', 'warn']);
    try {
      const lines = await queryAll(srv.url, t0 - 1n, t0 + BigInt(seq + 1) * 1000n);
      const counts = new Map<string, number>();
      for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
      const dupes = [...counts].filter(([, c]) => c > 1);
      assert.deepEqual(dupes, [], 'no entry may appear twice');
      const lost = [...acked].filter((l) => !counts.has(l));
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged entries were lost`);
      for (const l of counts.keys()) assert.ok(attempted.has(l), `unexpected entry ${l}`);
    } finally {
      srv.proc.kill('SIGTERM');
      await srv.exited;
    }
  } finally {
    removeDir(dir);
  }
});

test('with seals every second, acknowledged entries survive kill -9 mid-ingest and after a checkpoint emptied the WAL', { timeout: 120_000 }, async (t) => {
  // Issue #12: checkpoints roll and delete the open WAL segment once every head is sealed, and
  // segments roll by age. Sealing every second makes that happen throughout the pushes.
  const rnd = seededRandom(t);
  const dir = tempDir();
  const cfg = configFile(dir, 'storage:\n  max_block_age: 1s\n');
  const acked = new Set<string>();
  const attempted = new Set<string>();
  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  let seq = 0;
  const pushOnce = async (url: string, round: number, worker: number): Promise<boolean> => {
    const values: [string, string][] = [];
    for (let i = 0; i < 20; i++) {
      const n = seq++;
      const line = `round=${round} worker=${worker} seq=${n}`;
      attempted.add(line);
      values.push([(t0 + BigInt(n) * 1000n).toString(), line]);
    }
    try {
      const res = await fetch(url + '/loki/api/v1/push', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ streams: [{ stream: { job: 'durability', worker: String(worker % 3) }, values }] }),
      });
      if (res.status === 204) for (const [, l] of values) acked.add(l);
      return true;
    } catch {
      return false; // the server died under us
    }
  };
  const pushFor = async (url: string, round: number, ms: number) => {
    let stop = false;
    const workers = [0, 1, 2, 3].map(async (w) => {
      while (!stop && (await pushOnce(url, round, w)));
    });
    // How long is the random part of this test: seeded, and the seed is printed.
    await new Promise((r) => setTimeout(r, ms));
    return async () => {
      stop = true;
      await Promise.all(workers);
    };
  };
  // The server of the current round, killed in `finally` if the test fails with it running.
  let running: Awaited<ReturnType<typeof startChildServer>> | undefined;
  try {
    for (let round = 0; round < 4; round++) {
      const srv = await startChildServer(dir, ['--config', cfg, '--log-level', 'warn']);
      running = srv;
      const stopPushing = await pushFor(srv.url, round, rnd.between(500, 2500));
      if (round % 2 === 1) {
        // Quiet: every head is sealed within a second or so, and the checkpoint deletes the whole WAL.
        await stopPushing();
        // On a timeout the message names what is left (this once timed out under load in a repeated
        // run: the WAL files and the store's own gauges say which part did not let go).
        await waitFor(
          'the WAL to be emptied by a checkpoint',
          async () => {
            if (walBytes(dir) === 0) return true;
            const files = readdirSync(join(dir, 'wal')).map((f) => `${f}:${statSync(join(dir, 'wal', f)).size}`);
            const metrics = (await (await fetch(srv.url + '/metrics')).text()).split('\n').filter((l) => /^logwharf_store_(wal|head|seal|errors)/.test(l));
            throw new Error(`WAL files ${files.join(' ')}; ${metrics.join('; ')}`);
          },
          { timeoutMs: 20_000 },
        );
        // Acknowledged after that checkpoint, then killed before any seal.
        assert.ok(await pushOnce(srv.url, round, 9));
        srv.proc.kill('SIGKILL');
      } else {
        srv.proc.kill('SIGKILL');
        await stopPushing();
      }
      await srv.exited;
    }
    running = undefined;
    assert.ok(acked.size > 100, `expected many acknowledged entries, got ${acked.size}`);
    const srv = await startChildServer(dir, ['--config', cfg, '--log-level', 'warn']);
    try {
      const lines = await queryAll(srv.url, t0 - 1n, t0 + BigInt(seq + 1) * 1000n);
      const counts = new Map<string, number>();
      for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
      assert.deepEqual([...counts].filter(([, c]) => c > 1), [], 'no entry may appear twice');
      const lost = [...acked].filter((l) => !counts.has(l));
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged entries were lost`);
      for (const l of counts.keys()) assert.ok(attempted.has(l), `unexpected entry ${l}`);
    } finally {
      srv.proc.kill('SIGTERM');
      await srv.exited;
    }
  } finally {
    if (running && running.proc.exitCode === null) {
      running.proc.kill('SIGKILL');
      await running.exited;
    }
    removeDir(dir);
  }
});

test('SIGTERM flushes, exits 0, and the data is there after a restart', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  try {
    const srv = await startChildServer(dir, ['--log-level', 'warn']);
    const ts = BigInt(Date.now()) * 1_000_000n;
    const res = await fetch(srv.url + '/loki/api/v1/push', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ streams: [{ stream: { job: 'durability' }, values: [[ts.toString(), 'kept across restart']] }] }),
    });
    assert.equal(res.status, 204);
    srv.proc.kill('SIGTERM');
    assert.equal(await srv.exited, 0);
    const again = await startChildServer(dir, ['--log-level', 'warn']);
    try {
      assert.deepEqual(await queryAll(again.url, ts - 1000n, ts + 1000n, 100), ['kept across restart']);
    } finally {
      again.proc.kill('SIGTERM');
      await again.exited;
    }
  } finally {
    removeDir(dir);
  }
});

test('SIGTERM sent the moment the ready line is read stops cleanly (exit 0): handlers come before the line', { timeout: 60_000 }, async () => {
  // The ready line used to be written before the signal handlers were installed: a script that
  // stopped the process on reading it could kill it outright (no flush), about one time in two.
  const dir = tempDir();
  try {
    for (let i = 0; i < 5; i++) {
      const srv = await startChildServer(dir, ['--log-level', 'warn']);
      srv.proc.kill('SIGTERM');
      assert.equal(await srv.exited, 0, `server, attempt ${i + 1}: ${srv.stderr()}`);
      const agent = await startCli(['agent', '--server', 'http://127.0.0.1:1', '--data', join(dir, 'agent'), '--metrics-listen', '', '--log-level', 'warn'], 'logwharf agent ready');
      agent.proc.kill('SIGTERM');
      assert.equal(await agent.exited, 0, `agent, attempt ${i + 1}: ${agent.stderr()}`);
    }
  } finally {
    removeDir(dir);
  }
});
