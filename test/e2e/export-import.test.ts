/**
 * `logwharf export` and `logwharf import` (issue #15), run as a user runs them (the built binary in a
 * child process) against real servers on port 0. The source server's largest query limit is small
 * (500) and exports page by 100, so a corpus of a few thousand entries spans many pages, timestamps
 * on a coarse grid share their nanosecond at nearly every page boundary, and one burst of 300
 * entries at a single nanosecond is larger than a page. Faults (429 with Retry-After, 503, a server
 * that stops answering) come from a small proxy in front of the real server (test/helpers/fault-proxy.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, removeDir, runCli, tempDir, type RunningServer } from './helpers/server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { createTestTokens } from './helpers/tokens.js';
import { seededRandom, type SeededRandom } from '../helpers/random.js';
import { waitFor } from '../helpers/wait-for.js';
import { LokiClient } from '../../src/api/client.js';
import { labelsToString, type Labels, type PushRequest } from '../../src/api/model.js';
import { parseJsonlRecord, parseLokiLine, type ExportRecord } from '../../src/api/export-record.js';

const BIN = join(new URL('../../', import.meta.url).pathname, 'dist/cli/main.js');
const MIN = 60_000_000_000n;
// Enrichment off, so the entries stored are exactly the entries pushed (no service_name, no detected_level).
const PLAIN = { limits: { discover_service_name: [], discover_log_levels: false, max_entries_limit_per_query: 500 } };

let source: RunningServer;
let target: RunningServer;
let work: string;
let corpus: ExportRecord[];
// The corpus lies in [base, base + 10m); base is a whole minute, so --window 1m cuts it evenly.
let base: bigint;
const BURST = 300;

function key(r: ExportRecord): string {
  return `${r.ts} ${labelsToString(r.labels)} ${labelsToString(r.metadata)} ${r.line}`;
}

function sortedKeys(rs: ExportRecord[]): string[] {
  return rs.map(key).sort();
}

/** A seeded corpus: 5 streams, timestamps on a 600 ms grid (about 3 entries per grid point), some metadata, a burst. */
function makeCorpus(rnd: SeededRandom, n: number): ExportRecord[] {
  const streams: Labels[] = ['a', 'b', 'c', 'd', 'e'].map((h) => ({ job: 'app', host: h }));
  const out: ExportRecord[] = [];
  for (let i = 0; i < n; i++) {
    const slot = BigInt(rnd.int(1000));
    const metadata: Labels = rnd.next() < 0.3 ? { trace_id: `t${rnd.int(1e6)}` } : {};
    out.push({ ts: base + slot * 600_000_000n, labels: streams[rnd.int(streams.length)]!, metadata, line: `entry ${i} ${'x'.repeat(rnd.int(40))} "quoted", comma` });
  }
  // The burst: more entries at one nanosecond than one page (100) holds, over three streams.
  const t = base + 5n * MIN + 123_456_789n;
  for (let i = 0; i < BURST; i++) out.push({ ts: t, labels: streams[i % 3]!, metadata: {}, line: `burst ${i}` });
  return out;
}

async function pushAll(url: string, rs: ExportRecord[]): Promise<void> {
  const client = new LokiClient({ addr: url });
  const byStream = new Map<string, PushRequest['streams'][number]>();
  for (const r of [...rs].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0))) {
    const k = labelsToString(r.labels);
    if (!byStream.has(k)) byStream.set(k, { labels: r.labels, entries: [] });
    byStream.get(k)!.entries.push(Object.keys(r.metadata).length ? { ts: r.ts, line: r.line, metadata: r.metadata } : { ts: r.ts, line: r.line });
  }
  await client.push({ streams: [...byStream.values()] });
}

function range(): string[] {
  return ['--from', base.toString(), '--to', (base + 10n * MIN).toString()];
}

function readJsonl(path: string): ExportRecord[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map(parseJsonlRecord);
}

before(async () => {
  const rnd = seededRandom({ diagnostic: (m) => console.log('# ' + m) });
  source = await startServer(PLAIN);
  target = await startServer(PLAIN);
  work = tempDir('logwharf-export-');
  base = ((BigInt(Date.now()) * 1_000_000n - 30n * MIN) / MIN) * MIN;
  corpus = makeCorpus(rnd, 3000);
  await pushAll(source.url, corpus);
});

after(async () => {
  await source.close();
  await target.close();
  removeDir(source.dir);
  removeDir(target.dir);
  removeDir(work);
});

test('export writes every entry exactly once, across page boundaries and a burst larger than a page, in all three formats', async () => {
  const out = join(work, 'all.jsonl');
  const r = await runCli(['export', '{job="app"}', ...range(), '--addr', source.url, '--limit', '100', '--window', '1m', '--parallel', '3', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const got = readJsonl(out);
  assert.equal(got.length, corpus.length);
  assert.deepEqual(sortedKeys(got), sortedKeys(corpus));
  // The file is in time order, and progress and a summary went to stderr.
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]!.ts <= got[i]!.ts, `entry ${i} is out of time order`);
  assert.match(r.stderr, new RegExp(`export: ${corpus.length} entries in 10 windows`));
  assert.ok(!existsSync(out + '.export-state.json') && !existsSync(out + '.export-parts'), 'the progress files are removed when the export is complete');

  // Standard output gives the same bytes as the file, even with windows finishing out of order.
  const stdout = await runCli(['export', '{job="app"}', ...range(), '--addr', source.url, '--limit', '100', '--window', '1m', '--parallel', '4']);
  assert.equal(stdout.code, 0, stdout.stderr);
  assert.equal(stdout.stdout, readFileSync(out, 'utf8'));

  // loki: one push body per line, holding the same entries.
  const loki = await runCli(['export', '{job="app"}', ...range(), '--addr', source.url, '--limit', '100', '--output', 'loki']);
  assert.equal(loki.code, 0, loki.stderr);
  const fromLoki: ExportRecord[] = [];
  for (const line of loki.stdout.split('\n').filter((l) => l !== '')) {
    for (const s of parseLokiLine(line).streams) for (const e of s.entries) fromLoki.push({ ts: e.ts, labels: s.labels, metadata: e.metadata ?? {}, line: e.line });
  }
  assert.deepEqual(sortedKeys(fromLoki), sortedKeys(corpus));

  // csv: a header and one row per entry (lines with commas and quotes are quoted).
  const csv = await runCli(['export', '{job="app"} |= "burst"', ...range(), '--addr', source.url, '--limit', '100', '--output', 'csv']);
  assert.equal(csv.code, 0, csv.stderr);
  const rows = csv.stdout.trimEnd().split('\n');
  assert.equal(rows[0], 'ts,labels,structured_metadata,line');
  assert.equal(rows.length, BURST + 1);
  assert.match(rows[1]!, /^\S+Z,"\{host=""[abc]"", job=""app""\}",\{\},burst \d+$/);
});

test('more entries at one nanosecond than the server lets one query return is an error naming the timestamp, not a gap', async () => {
  const t = base + 7n * MIN;
  const huge: ExportRecord[] = Array.from({ length: 700 }, (_, i) => ({ ts: t, labels: { job: 'huge' }, metadata: {}, line: `same nanosecond ${i}` }));
  await pushAll(source.url, huge);
  const r = await runCli(['export', '{job="huge"}', ...range(), '--addr', source.url, '--limit', '100', '--out', join(work, 'huge.jsonl')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`at least 500 entries share the timestamp .* \\(${t} ns\\) and the server returns at most 500 entries per query`));
  assert.match(r.stderr, /--resume/);
  // A server that allows a larger limit gets the same export complete.
  const whole = await startServer({ limits: { ...PLAIN.limits, max_entries_limit_per_query: 5000 } });
  try {
    await pushAll(whole.url, huge);
    const r2 = await runCli(['export', '{job="huge"}', ...range(), '--addr', whole.url, '--limit', '100']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stdout.trim().split('\n').length, 700);
  } finally {
    await whole.close();
    removeDir(whole.dir);
  }
});

test('429 with Retry-After and 503 answers are retried, export and import still exact', async () => {
  // Every 4th request gets 429 asking for 1 s, every 7th a 503 without Retry-After.
  const proxy = await startFaultProxy(source.url, ({ n }) =>
    n % 4 === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: 'too many requests' } : n % 7 === 0 ? { status: 503, body: 'overloaded' } : 'pass',
  );
  try {
    const started = Date.now();
    const r = await runCli(['export', '{job="app"}', ...range(), '--addr', proxy.url, '--limit', '500', '--window', '5m', '--parallel', '1'], '', 60_000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sortedKeys(r.stdout.split('\n').filter((l) => l).map(parseJsonlRecord)), sortedKeys(corpus));
    assert.ok(proxy.seen.some((s) => s.decision !== 'pass' && s.decision !== 'hold' && s.decision.status === 429), 'a 429 was injected');
    assert.match(r.stderr, /429 Too Many Requests: too many requests; retry 1\/9 in 1\.0s/);
    assert.match(r.stderr, /503 Service Unavailable: overloaded; retry/);
    assert.ok(Date.now() - started >= 1000, 'Retry-After: 1 was waited for');

    // import through the same proxy into a fresh server: pushes are retried the same way.
    const file = join(work, 'retry.jsonl');
    writeFileSync(file, r.stdout);
    const fresh = await startServer(PLAIN);
    try {
      const pushProxy = await startFaultProxy(fresh.url, ({ n }) => (n <= 2 ? { status: 429, headers: { 'retry-after': '1' } } : 'pass'));
      try {
        const imp = await runCli(['import', file, '--addr', pushProxy.url, '--batch-bytes', '65536'], '', 60_000);
        assert.equal(imp.code, 0, imp.stderr);
        assert.match(imp.stderr, /POST \/loki\/api\/v1\/push: 429 Too Many Requests.*retry 1\/9 in 1\.0s/);
        assert.match(imp.stderr, new RegExp(`import: ${corpus.length} entries in \\d+ requests`));
      } finally {
        await pushProxy.close();
      }
      const back = await runCli(['export', '{job="app"}', ...range(), '--addr', fresh.url, '--limit', '100']);
      assert.equal(back.stdout, r.stdout, 'the imported copy exports to the same bytes');
    } finally {
      await fresh.close();
      removeDir(fresh.dir);
    }
  } finally {
    await proxy.close();
  }
});

test('--resume after the export was killed mid-way completes it exactly, without reading finished windows again', async () => {
  const out = join(work, 'resumed.jsonl');
  // The server "stops answering" after 12 requests: the export is stuck mid-way, then killed.
  const proxy = await startFaultProxy(source.url, ({ n }) => (n > 12 ? 'hold' : 'pass'));
  try {
    const args = ['export', '{job="app"}', ...range(), '--addr', proxy.url, '--limit', '100', '--window', '1m', '--parallel', '1', '--out', out];
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise((r) => child.on('exit', r));
    await waitFor('a request held by the proxy', () => proxy.held() > 0, { timeoutMs: 20_000 });
    const state = JSON.parse(readFileSync(out + '.export-state.json', 'utf8')) as { done: Record<string, number> };
    const doneBefore = Object.keys(state.done).map(Number);
    assert.ok(doneBefore.length >= 1 && doneBefore.length < 10, `some windows done before the kill: ${doneBefore.join(',')}; stderr: ${stderr}`);
    child.kill('SIGKILL');
    await exited;
    assert.ok(!existsSync(out), 'no output file from an unfinished export');

    // Without --resume the leftover export is pointed out, not overwritten.
    const again = await runCli(args);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /an interrupted export to .* exists .*add --resume/);

    const requestsBefore = proxy.seen.length;
    proxy.setDecide(() => 'pass');
    const resumed = await runCli([...args, '--resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`resuming: ${doneBefore.length} of 10 windows`));
    assert.deepEqual(sortedKeys(readJsonl(out)), sortedKeys(corpus));
    // No request of the resumed run starts inside a window finished before the kill.
    for (const s of proxy.seen.slice(requestsBefore)) {
      const start = BigInt(s.url.searchParams.get('start')!);
      const w = Number((start - base) / MIN);
      assert.ok(!doneBefore.includes(w), `window ${w} was done before the kill but read again`);
    }
    assert.ok(!existsSync(out + '.export-state.json'));
  } finally {
    await proxy.close();
  }
});

test('export from one server, import into another: the same count_over_time per stream and the same entries', async () => {
  const file = join(work, 'roundtrip.loki');
  const ok = await runCli(['export', '{job="app"}', ...range(), '--addr', source.url, '--output', 'loki', '--out', file]);
  assert.equal(ok.code, 0, ok.stderr);
  const imp = await runCli(['import', file, '--addr', target.url]);
  assert.equal(imp.code, 0, imp.stderr);
  // Each line is a push body any Loki push endpoint takes as it is (the target drops the duplicates).
  const firstLine = readFileSync(file, 'utf8').split('\n')[0]!;
  const raw = await fetch(target.url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: firstLine });
  assert.equal(raw.status, 204, await raw.text());

  const at = (base + 10n * MIN).toString();
  const q = 'sum by (job, host) (count_over_time({job="app"}[10m]))'; // per stream: without the sum, each trace_id (structured metadata) is a series of its own
  const counts = async (url: string) => {
    const res = await new LokiClient({ addr: url }).query(q, { time: BigInt(at) });
    assert.equal(res.data.resultType, 'vector');
    return (res.data.result as Array<{ metric: Labels; value: [number, string] }>).map((s) => `${labelsToString(s.metric)} ${s.value[1]}`).sort();
  };
  const a = await counts(source.url);
  assert.equal(a.length, 5);
  assert.deepEqual(await counts(target.url), a);
  // And the entries themselves, metadata included: both servers export the same bytes.
  const ea = await runCli(['export', '{job="app"}', ...range(), '--addr', source.url]);
  const eb = await runCli(['export', '{job="app"}', ...range(), '--addr', target.url]);
  assert.equal(eb.stdout, ea.stdout);
  assert.ok(eb.stdout.includes('"structured_metadata":{"trace_id"'));
});

test('import refuses a malformed file with the line numbers, and pushes nothing', async () => {
  const file = join(work, 'bad.jsonl');
  const ts = (base + MIN).toString();
  writeFileSync(
    file,
    [
      JSON.stringify({ ts, labels: { job: 'bad' }, line: 'fine' }),
      '',
      '{"ts": "' + ts + '", "labels": {"job": "bad"}, "line": ',
      JSON.stringify({ ts, labels: {}, line: 'no labels' }),
      JSON.stringify({ ts: 'yesterday', labels: { job: 'bad' }, line: 'x' }),
      JSON.stringify({ ts, labels: { job: 'bad' }, structured_metadata: { n: 1 }, line: 'x' }),
      JSON.stringify({ ts, labels: { 'bad-name': 'x' }, line: 'x' }),
    ].join('\n') + '\n',
  );
  const r = await runCli(['import', file, '--addr', target.url]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /5 malformed lines .*nothing was pushed/);
  assert.match(r.stderr, /line 3: not JSON/);
  assert.match(r.stderr, /line 4: "labels" is empty/);
  assert.match(r.stderr, /line 5: "ts": "yesterday" is not an RFC3339 time or nanoseconds/);
  assert.match(r.stderr, /line 6: "structured_metadata.n" must be a string, got number/);
  assert.match(r.stderr, /line 7: "labels": "bad-name" is not a valid label name/);
  const q = await new LokiClient({ addr: target.url }).queryRange('{job="bad"}', { start: base, end: base + 10n * MIN });
  assert.deepEqual(q.data.result, [], 'nothing of the file was pushed');

  const lokiBad = join(work, 'bad.loki');
  writeFileSync(lokiBad, '{"streams":[{"stream":{"job":"x"},"values":[["1","a"]]}]}\n{"streams":[{"stream":{"job":"x"},"values":[["nope","a"]]}]}\n');
  const r2 = await runCli(['import', lokiBad, '--addr', target.url]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /1 malformed line \(read as loki lines\).*\n {2}line 2: /);

  const csv = join(work, 'x.csv');
  writeFileSync(csv, 'ts,labels,structured_metadata,line\n');
  const r3 = await runCli(['import', csv, '--addr', target.url]);
  assert.equal(r3.code, 1);
  assert.match(r3.stderr, /csv export, which is for reading/);
});

test('export: usage errors are clear', async () => {
  const noOut = await runCli(['export', '{job="app"}', '--resume', '--addr', source.url]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--resume needs --out FILE/);
  const metric = await runCli(['export', 'count_over_time({job="app"}[1m])', ...range(), '--addr', source.url]);
  assert.equal(metric.code, 2);
  assert.match(metric.stderr, /is a metric query; export takes a log query/);
  const fmt = await runCli(['export', '{job="app"}', '--output', 'xml', '--addr', source.url]);
  assert.equal(fmt.code, 2);
  assert.match(fmt.stderr, /--output: "xml" is not one of jsonl, csv, loki/);
  const nothing = await runCli(['export', '{job="app"}', ...range(), '--addr', source.url, '--resume', '--out', join(work, 'none.jsonl')]);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /nothing to resume/);
});

test('the connection flags apply: a bearer token on a server with tokens, --org-id on a multi-tenant one', async () => {
  const dirA = tempDir();
  const tokens = createTestTokens(dirA, [
    { role: 'read', tenants: ['team'] },
    { role: 'write', tenants: ['team'] },
  ]);
  const a = await startServer({ ...PLAIN, data: dirA, auth: { tokens_enabled: true } });
  const b = await startServer({ ...PLAIN, auth_enabled: true });
  try {
    const few = corpus.slice(0, 200);
    const byStream = new Map<string, PushRequest['streams'][number]>();
    for (const r of [...few].sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0))) {
      const k = labelsToString(r.labels);
      if (!byStream.has(k)) byStream.set(k, { labels: r.labels, entries: [] });
      byStream.get(k)!.entries.push(Object.keys(r.metadata).length ? { ts: r.ts, line: r.line, metadata: r.metadata } : { ts: r.ts, line: r.line });
    }
    await new LokiClient({ addr: a.url, bearerToken: tokens.secret('write', 'team') }).push({ streams: [...byStream.values()] });

    const denied = await runCli(['export', '{job="app"}', ...range(), '--addr', a.url]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /401/);
    assert.doesNotMatch(denied.stderr, /retry/, 'a 401 is final, not retried');

    const file = join(work, 'team.jsonl');
    const exp = await runCli(['export', '{job="app"}', ...range(), '--addr', a.url, '--bearer-token', tokens.secret('read', 'team'), '--limit', '50', '--out', file]);
    assert.equal(exp.code, 0, exp.stderr);
    assert.deepEqual(sortedKeys(readJsonl(file)), sortedKeys(few));

    const imp = await runCli(['import', file, '--addr', b.url, '--org-id', 'other']);
    assert.equal(imp.code, 0, imp.stderr);
    const inOther = await runCli(['export', '{job="app"}', ...range(), '--addr', b.url, '--org-id', 'other']);
    assert.equal(inOther.stdout, readFileSync(file, 'utf8'));
    const inThird = await runCli(['export', '{job="app"}', ...range(), '--addr', b.url, '--org-id', 'third']);
    assert.equal(inThird.code, 0, inThird.stderr);
    assert.equal(inThird.stdout, '', 'the entries went to tenant "other" only');
  } finally {
    await a.close();
    await b.close();
    removeDir(dirA);
    removeDir(b.dir);
  }
});

test('between two servers with the default ingest enrichment (service_name, detected_level), the copy exports the same bytes', async () => {
  const a = await startServer();
  const b = await startServer();
  try {
    const now = BigInt(Date.now()) * 1_000_000n;
    const lines = ['level=error msg="disk full"', '{"level":"warn","msg":"slow"}', 'plain text line', 'INFO started'];
    await new LokiClient({ addr: a.url }).push({
      streams: [
        { labels: { app: 'shop' }, entries: lines.map((line, i) => ({ ts: now - 60_000_000_000n + BigInt(i), line })) },
        { labels: { job: 'batch', level: 'debug' }, entries: [{ ts: now - 30_000_000_000n, line: 'with a level label', metadata: { trace_id: 'abc' } }] },
      ],
    });
    const args = ['{service_name=~".+"}', '--since', '5m', '--to', (now + 1n).toString()];
    const file = join(work, 'enriched.jsonl');
    const exp = await runCli(['export', ...args, '--addr', a.url, '--out', file]);
    assert.equal(exp.code, 0, exp.stderr);
    const rows = readJsonl(file);
    assert.equal(rows.length, 5);
    assert.ok(rows.some((r) => r.labels.service_name === 'shop' && r.metadata.detected_level === 'error'), 'the enrichment is exported');
    const imp = await runCli(['import', file, '--addr', b.url, '--format', 'json']);
    assert.equal(imp.code, 0, imp.stderr);
    const again = await runCli(['export', ...args, '--addr', b.url]);
    assert.equal(again.stdout, readFileSync(file, 'utf8'));
  } finally {
    await a.close();
    await b.close();
    removeDir(a.dir);
    removeDir(b.dir);
  }
});
