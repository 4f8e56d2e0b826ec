/**
 * Backup and restore (issue #15) through the real CLI against a real server in a child process:
 * an online backup under a live push load holds every entry acknowledged before it started, exactly
 * once; a second backup into the same directory copies only what is new (hard links); verify checks
 * checksums and names damage; restore refuses a non-empty directory without --force; kill -9 of the
 * server during a backup leaves a backup that is either complete and verifiable or named incomplete
 * by verify; offline backups need a stopped server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startChildServer, startServer, tempDir, removeDir, type ChildServer } from './helpers/server.js';
import { seededRandom } from '../helpers/random.js';

const T0 = BigInt(Date.now() - 20 * 60_000) * 1_000_000n;
const S = 1_000_000_000n;

function configFile(dir: string): string {
  const p = join(dir, '..', `${dir.split('/').pop()}.yaml`);
  writeFileSync(p, 'limits:\n  max_entries_limit_per_query: 1000000\n  ingestion_rate_mb: 1000\n  ingestion_burst_size_mb: 1000\nstorage:\n  block_target_bytes: 16384\n');
  return p;
}

async function allLines(url: string): Promise<string[]> {
  const u = new URL(url + '/loki/api/v1/query_range');
  u.search = new URLSearchParams({ query: '{job="bk"}', start: String(T0 - S), end: String(T0 + 3600n * S), limit: '1000000' }).toString();
  const res = await fetch(u);
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { data: { result: Array<{ values: [string, string][] }> } };
  return body.data.result.flatMap((s) => s.values.map((v) => v[1]));
}

/** Pushes batches until stopped; remembers what was acknowledged, in order. */
function pushLoad(url: string, prefix: string) {
  const acked: string[] = [];
  let seq = 0;
  let stop = false;
  const run = (async () => {
    while (!stop) {
      const values: [string, string][] = [];
      for (let i = 0; i < 200; i++) {
        const n = seq++;
        values.push([String(T0 + BigInt(n) * 1000n), `${prefix} seq=${n} ${'p'.repeat(60)}`]);
      }
      try {
        const res = await fetch(url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: { job: 'bk', part: String(seq % 4) }, values }] }) });
        if (res.status === 204) for (const v of values) acked.push(v[1]);
      } catch {
        return; // the server is gone
      }
      // A steady load (about 20,000 entries a second), not a flood that outgrows the test.
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    acked,
    async stop() {
      stop = true;
      await run;
    },
  };
}

const json = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('an online backup under load holds every entry acknowledged before it, restores exactly, and the next one is incremental', { timeout: 180_000 }, async (t) => {
  const dir = tempDir();
  const cfg = configFile(dir);
  const out = join(tempDir(), 'bk');
  const restored = tempDir();
  let srv: ChildServer | undefined = await startChildServer(dir, ['--config', cfg, '--log-level', 'warn']);
  try {
    const load = pushLoad(srv.url, 'a');
    while (load.acked.length < 20_000) await new Promise((r) => setImmediate(r));
    const before = new Set(load.acked);
    const b1 = await runCli(['backup', '--addr', srv.url, '--out', out], '', 60_000);
    assert.equal(b1.code, 0, b1.stderr);
    const s1 = json(b1.stdout)[0]!;
    assert.equal(s1.msg, 'backup complete');
    assert.equal(s1.linked, 0);
    // The second, while the load goes on: only new files are copied, the rest linked.
    while (load.acked.length < before.size + 10_000) await new Promise((r) => setImmediate(r));
    const b2 = await runCli(['backup', '--addr', srv.url, '--out', out], '', 60_000);
    assert.equal(b2.code, 0, b2.stderr);
    const s2 = json(b2.stdout)[0]!;
    t.diagnostic(`first backup ${s1.ms} ms (${s1.copiedBytes} bytes), second ${s2.ms} ms (${s2.copiedBytes} bytes copied, ${s2.linked} files linked); ${load.acked.length} entries acknowledged`);
    assert.ok((s2.linked as number) > 0, `incremental: ${b2.stdout}`);
    assert.ok((s2.copiedBytes as number) < (statTotal(join(out, 'generations', String(s2.generation), 'data'))), 'copied less than the whole');
    await load.stop();
    // A third, with ingest quiet: it must equal the source exactly.
    const source = (await allLines(srv.url)).sort();
    const b3 = await runCli(['backup', '--addr', srv.url, '--out', out], '', 60_000);
    assert.equal(b3.code, 0, b3.stderr);

    const v = await runCli(['backup', 'verify', out]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(json(v.stdout).at(-1)!.msg, 'backup verified');

    // Restore the first generation: every entry acknowledged before it started, once each.
    const r = await runCli(['restore', out, '--data', restored, '--generation', String(s1.generation)]);
    assert.equal(r.code, 0, r.stderr);
    const back = await startServer({ data: restored, limits: { max_entries_limit_per_query: 1_000_000 } });
    try {
      const lines = await allLines(back.url);
      assert.equal(new Set(lines).size, lines.length, 'no entry twice');
      const got = new Set(lines);
      const missing = [...before].filter((l) => !got.has(l));
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged entries missing from the backup`);
      const all = new Set(load.acked);
      assert.ok(lines.every((l) => all.has(l)), 'nothing that was not acknowledged');
    } finally {
      await back.close();
    }

    srv.proc.kill('SIGTERM');
    await srv.exited;
    srv = undefined;
    const again = await runCli(['restore', out, '--data', restored]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not empty.*--force/);
    const forced = await runCli(['restore', out, '--data', restored, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    const back2 = await startServer({ data: restored, limits: { max_entries_limit_per_query: 1_000_000 } });
    try {
      const lines = (await allLines(back2.url)).sort();
      assert.equal(lines.length, source.length);
      assert.deepEqual(lines, source);
    } finally {
      await back2.close();
    }

    // Damage is named by verify.
    const gen2 = join(out, 'generations', String(s2.generation), 'data');
    const seg = findFile(gen2, '.seg');
    appendFileSync(seg, 'x');
    const bad = await runCli(['backup', 'verify', out]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /bytes, the manifest says/);
  } finally {
    if (srv) {
      srv.proc.kill('SIGKILL');
      await srv.exited;
    }
    removeDir(dir);
    removeDir(cfg);
    removeDir(join(out, '..'));
    removeDir(restored);
  }
});

function statTotal(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    n += st.isDirectory() ? statTotal(p) : st.size;
  }
  return n;
}

function findFile(dir: string, suffix: string): string {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      const f = findFile(p, suffix);
      if (f) return f;
    } else if (name.endsWith(suffix)) return p;
  }
  return '';
}

test('kill -9 of the server during a backup: the backup is complete and verifiable, or verify names it incomplete', { timeout: 240_000 }, async (t) => {
  const rnd = seededRandom(t);
  for (let round = 0; round < 3; round++) {
    const dir = tempDir();
    const cfg = configFile(dir);
    const out = join(tempDir(), 'bk');
    let srv: ChildServer | undefined = await startChildServer(dir, ['--config', cfg, '--log-level', 'warn']);
    try {
      const load = pushLoad(srv.url, `r${round}`);
      while (load.acked.length < 40_000) await new Promise((r) => setImmediate(r));
      const backup = runCli(['backup', '--addr', srv.url, '--out', out], '', 60_000);
      const delayMs = rnd.int(400);
      await new Promise((r) => setTimeout(r, delayMs)); // the kill's timing is the random choice, not a synchronisation
      srv.proc.kill('SIGKILL');
      await srv.exited;
      srv = undefined;
      await load.stop();
      const b = await backup;
      const v = await runCli(['backup', 'verify', out]);
      t.diagnostic(`round ${round}: killed after ${delayMs} ms; backup exit ${b.code}; verify exit ${v.code}`);
      if (b.code === 0) {
        assert.equal(v.code, 0, v.stdout);
      } else {
        assert.equal(b.code, 1, b.stderr);
        assert.notEqual(v.code, 0, 'an unfinished backup never verifies');
        // Either nothing was started on disk, or verify names the incomplete generation.
        assert.equal(v.code, 1);
        assert.match(v.stdout + v.stderr, /incomplete generation|holds no backup/);
        const r = await runCli(['restore', out, '--data', join(dir, 'restore')]);
        assert.equal(r.code, 1);
      }
    } finally {
      if (srv) {
        srv.proc.kill('SIGKILL');
        await srv.exited;
      }
      removeDir(dir);
      removeDir(cfg);
      removeDir(join(out, '..'));
    }
  }
});

test('offline backup of a stopped server, and bad flags', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const out = join(tempDir(), 'bk');
  const restored = tempDir();
  try {
    const srv = await startServer({ data: dir });
    const values: [string, string][] = [];
    for (let i = 0; i < 1000; i++) values.push([String(T0 + BigInt(i) * S), `offline ${i}`]);
    const res = await fetch(srv.url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: { job: 'bk' }, values }] }) });
    assert.equal(res.status, 204);
    const inUse = await runCli(['backup', '--data', dir, '--out', out]);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /in use by process/);
    await srv.close();
    const b = await runCli(['backup', '--data', dir, '--out', out]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal((await runCli(['backup', 'verify', out])).code, 0);
    assert.equal((await runCli(['restore', out, '--data', restored])).code, 0);
    const back = await startServer({ data: restored, limits: { max_entries_limit_per_query: 1_000_000 } });
    try {
      assert.deepEqual((await allLines(back.url)).sort(), values.map((v) => v[1]).sort());
    } finally {
      await back.close();
    }

    const usage: Array<[string[], RegExp]> = [
      [['backup', '--data', dir], /--out DIR is required/],
      [['backup', '--out', out], /exactly one of --addr/],
      [['backup', '--data', dir, '--addr', 'http://x', '--out', out], /exactly one of --addr/],
      [['restore', out], /--data NEWDIR is required/],
      [['backup', 'verify'], /name one backup directory/],
    ];
    for (const [args, msg] of usage) {
      const r = await runCli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, msg);
    }
    const junk = tempDir();
    mkdirSync(join(junk, 'x'));
    const r = await runCli(['backup', '--data', dir, '--out', junk]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a logwharf backup/);
    removeDir(junk);
    const nob = await runCli(['backup', 'verify', dir]);
    assert.equal(nob.code, 1);
    assert.match(nob.stderr, /holds no backup/);
  } finally {
    removeDir(dir);
    removeDir(join(out, '..'));
    removeDir(restored);
  }
});
