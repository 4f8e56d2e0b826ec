/**
 * The client commands, run in-process through the dispatcher against fake-loki.ts (a real HTTP
 * server standing in for logwharf until it exists), plus the binary itself in a child process for
 * exit codes and Ctrl-C.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/dispatch.js';
import { closedPortUrl, MANY, startFakeLoki, T0, type FakeLoki } from './fake-loki.js';
import { waitFor } from '../../helpers/wait-for.js';

let loki: FakeLoki;
before(async () => {
  loki = await startFakeLoki();
});
after(() => loki.close());

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(s: PassThrough): () => string {
  let text = '';
  s.setEncoding('utf8');
  s.on('data', (c: string) => (text += c));
  return () => text;
}

async function cli(argv: string[], opts: { stdin?: string; signal?: AbortSignal; addr?: boolean } = {}): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const args = opts.addr === false ? argv : [argv[0]!, '--addr', loki.url, ...argv.slice(1)];
  const code = await run(args, { stdout, stderr, stdin: Readable.from([opts.stdin ?? '']), signal: opts.signal ?? new AbortController().signal });
  return { code, stdout: out(), stderr: err() };
}

function lastRequest(path: string) {
  return loki.requests.filter((r) => r.path === path).at(-1)!;
}

test('query, table output: one timeline, newest first, labels in a padded column', async () => {
  const r = await cli(['query', '{job=~".+"}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      '2023-11-14T22:13:20.000000003Z  {env="prod", job="api"}  api third',
      '2023-11-14T22:13:20.000000002Z  {job="web"}              web second "quoted"',
      '2023-11-14T22:13:20.000000001Z  {env="prod", job="api"}  api first',
      '',
    ].join('\n'),
  );
  assert.equal(r.stderr, '');
});

test('query --forward --output raw prints lines only, oldest first', async () => {
  const r = await cli(['query', '{job=~".+"}', '--forward', '--output', 'raw']);
  assert.equal(r.stdout, 'api first\nweb second "quoted"\napi third\n');
  assert.equal(lastRequest('/loki/api/v1/query_range').search.get('direction'), 'forward');
});

test('query --output jsonl: {ts, labels, line} per entry', async () => {
  const r = await cli(['query', '{job=~".+"}', '-o', 'jsonl']);
  const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows[0], { ts: '2023-11-14T22:13:20.000000003Z', labels: { env: 'prod', job: 'api' }, line: 'api third' });
  assert.equal(rows.length, 3);
});

test('query range flags: --since, --from/--to, --limit, --step, --tenant', async () => {
  const before = BigInt(Date.now()) * 1_000_000n;
  await cli(['query', '{a="b"}', '--since', '15m', '--limit', '7', '--tenant', 'team-b']);
  let req = lastRequest('/loki/api/v1/query_range');
  const start = BigInt(req.search.get('start')!);
  const end = BigInt(req.search.get('end')!);
  assert.equal(end - start, 900n * 1_000_000_000n);
  assert.ok(end >= before);
  assert.equal(req.search.get('limit'), '7');
  assert.equal(req.headers['x-scope-orgid'], 'team-b');

  await cli(['query', 'rate({a="b"}[1m])', '--from', '2023-11-14T22:13:20Z', '--to', '1700003600', '--step', '30s']);
  req = lastRequest('/loki/api/v1/query_range');
  assert.equal(req.search.get('start'), T0.toString());
  assert.equal(req.search.get('end'), (T0 + 3_600_000_000_000n).toString());
  assert.equal(req.search.get('step'), '30');
  assert.equal(req.search.get('limit'), null, 'no --limit leaves the server default');
  assert.equal(req.headers['x-scope-orgid'], undefined);
});

test('query --limit above --batch pages through the range without gaps or repeats', async () => {
  const range = ['--from', String(T0), '--to', String(T0 + 100n), '-o', 'raw'];
  for (const job of ['many', 'many-incl']) {
    for (const batch of ['6', '7', '10', '24']) {
      const before = loki.requests.length;
      const back = await cli(['query', `{job="${job}"}`, '--limit', '100', '--batch', batch, ...range]);
      assert.equal(back.code, 0, back.stderr);
      const lines = back.stdout.trimEnd().split('\n');
      assert.equal(lines.length, MANY.length, `${job} batch ${batch}: ${back.stdout}`);
      assert.equal(new Set(lines).size, MANY.length);
      assert.deepEqual(lines.slice(0, 2), ['b19.0', 'a18.0']);
      assert.ok(loki.requests.length - before >= Math.ceil(MANY.length / Number(batch)));
      const fwd = await cli(['query', `{job="${job}"}`, '--forward', '--limit', '100', '--batch', batch, ...range]);
      const flines = fwd.stdout.trimEnd().split('\n');
      assert.equal(new Set(flines).size, MANY.length, `${job} forward batch ${batch}`);
      assert.deepEqual(flines.slice(0, 2), ['a0.0', 'b1.0']);
    }
  }
  // The limit is exact even when it ends mid-page.
  const r = await cli(['query', '{job="many"}', '--limit', '9', '--batch', '4', ...range]);
  assert.equal(r.stdout.trimEnd().split('\n').length, 9);
  assert.equal(r.stderr, '');
  assert.equal(lastRequest('/loki/api/v1/query_range').search.get('limit'), '4');
  // A limit that runs out near a page boundary is no reason for a warning.
  for (const job of ['many', 'many-incl']) {
    const exact = await cli(['query', `{job="${job}"}`, '--limit', '25', '--batch', '10', ...range]);
    assert.equal(exact.stderr, '');
    assert.equal(new Set(exact.stdout.trimEnd().split('\n')).size, 25);
  }
  // No more requests than needed when the range runs out first.
  const before = loki.requests.length;
  await cli(['query', '{job="many"}', '--limit', '1000', '--batch', '30', ...range]);
  assert.equal(loki.requests.length - before, 1);
});

test('query paging steps past a timestamp holding more entries than a batch, with a warning', async () => {
  for (const dir of [[], ['--forward']]) {
    const r = await cli(['query', '{job="many"}', ...dir, '--limit', '100', '--batch', '4', '--from', String(T0), '--to', String(T0 + 100n), '-o', 'raw']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, 'warning: at least 4 entries share the timestamp 2023-11-14T22:13:20.00000001Z; any beyond those may be missing (raise --batch)\n');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(new Set(lines).size, lines.length, 'no repeats');
    // Of the six entries at T0+10 at least four are printed; everything else is complete.
    assert.ok(lines.length >= MANY.length - 2, `${dir.join('')} ${lines.length}`);
    assert.ok(lines.includes('a0.0') && lines.includes('b19.0'));
  }
});

test('query of a metric: matrix, vector and scalar in each output form', async () => {
  let r = await cli(['query', 'rate({a="b"}[1m])']);
  assert.equal(r.stdout, '2023-11-14T22:13:20.000000000Z  {job="api"}  0.5\n2023-11-14T22:13:35.000000000Z  {job="api"}  NaN\n');
  r = await cli(['query', 'rate({a="b"}[1m])', '-o', 'jsonl']);
  assert.deepEqual(JSON.parse(r.stdout.split('\n')[1]!), { ts: '2023-11-14T22:13:35Z', labels: { job: 'api' }, value: 'NaN' });
  // raw keeps each sample's series, as `<labels> <value> <unix seconds>`.
  r = await cli(['query', 'sum(rate({a="b"}[1m]))', '-o', 'raw']);
  assert.equal(r.stdout, '{} 42 1700000000.123\n');
  r = await cli(['query', 'rate({a="b"}[1m])', '-o', 'raw']);
  assert.equal(r.stdout, '{job="api"} 0.5 1700000000\n{job="api"} NaN 1700000015\n');
  r = await cli(['query', 'sum(rate({a="b"}[1m]))']);
  assert.equal(r.stdout, '2023-11-14T22:13:20.123000000Z  {}  42\n');
  r = await cli(['query', 'vector(1)', '-o', 'jsonl']);
  assert.deepEqual(JSON.parse(r.stdout), { ts: '2023-11-14T22:13:20Z', labels: {}, value: '1' });
});

test('query: warnings go to stderr, output still printed', async () => {
  const r = await cli(['query', '{a="warn"}', '-o', 'raw']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, 'warning: query was slow\n');
  assert.equal(r.stdout.split('\n').length, 4);
});

test('server errors exit 1 with the server message; unreachable address too', async () => {
  let r = await cli(['query', '{a="b"} syntax']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'error: GET /loki/api/v1/query_range: 400 Bad Request: parse error at line 1, col 8: syntax error: unexpected IDENTIFIER\n');
  assert.equal(r.stdout, '');
  r = await cli(['query', 'numts', '--tenant', 'malformed']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: GET \/loki\/api\/v1\/query_range: unexpected response: an entry is not/);
  const dead = await closedPortUrl();
  r = await cli(['labels', '--addr', dead], { addr: false });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: GET http:\/\/127\.0\.0\.1:\d+\/loki\/api\/v1\/labels failed \(ECONNREFUSED\)\n$/);
});

test('usage errors exit 2 and point to --help', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['query', '{a="b"}', '--bogus'], /^error: query: Unknown option '--bogus'\nRun 'logwharf query --help' for usage\.\n$/],
    [['query'], /query: want exactly one LogQL query, got 0/],
    [['query', 'a', 'b'], /got 2/],
    [['query', '{a="b"}', '--output', 'xml'], /--output: "xml" is not one of raw, jsonl, table/],
    [['query', '{a="b"}', '--since', '1h', '--from', '1700000000'], /--since and --from exclude each other/],
    [['query', '{a="b"}', '--since', 'yesterday'], /--since: "yesterday" is not a positive duration/],
    [['query', '{a="b"}', '--from', 'monday'], /--from: "monday" is not a time/],
    [['query', '{a="b"}', '--from', '1700003600', '--to', '1700000000'], /--to must not be before --from/],
    [['query', '{a="b"}', '--limit', '0'], /--limit: "0" is not an integer >= 1/],
    [['query', '{a="b"}', '--limit'], /Option '--limit <value>' argument missing/],
    [['tail', '{a="b"}', '--delay-for', '6'], /--delay-for: at most 5 seconds/],
    [['series'], /want at least one selector/],
    [['labels', 'a', 'b'], /at most one label name/],
    [['push', 'file.txt', '--labels', '{a="b"}'], /lines are read from standard input/],
    [['push'], /--labels is required/],
    [['push', '--labels', '{a="b"'], /--labels: parse error/],
    [['push', '--labels', '{}'], /at least one label/],
  ];
  for (const [argv, re] of cases) {
    const r = await cli(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, argv.join(' '));
    assert.equal(r.stdout, '');
  }
  let r = await cli(['frobnicate'], { addr: false });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"\nRun 'logwharf --help'/);
  r = await cli(['--verbose'], { addr: false });
  assert.match(r.stderr, /unknown flag "--verbose" before the command/);
  r = await cli(['query', '--addr', 'localhost:3100', '{a="b"}'], { addr: false });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the scheme must be http or https/);
  r = await cli(['toString'], { addr: false });
  assert.equal(r.code, 2, 'object prototype names are not commands');
});

test('help: top level, per command, and `help <command>`', async () => {
  let r = await cli([], { addr: false });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^Usage: logwharf <command>/);
  r = await cli(['--help'], { addr: false });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /query +run a LogQL query/);
  for (const c of ['query', 'tail', 'labels', 'series', 'push']) {
    r = await cli([c, '--help'], { addr: false });
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^Usage: logwharf ${c} `));
    assert.match(r.stdout, /--tenant ID/);
  }
  r = await cli(['help', 'push'], { addr: false });
  assert.match(r.stdout, /^Usage: logwharf push/);
  r = await cli(['--version'], { addr: false });
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--addr defaults to $LOKI_ADDR, like logcli', async () => {
  process.env.LOKI_ADDR = loki.url;
  process.env.LOKI_ORG_ID = 'from-env';
  try {
    const r = await cli(['labels'], { addr: false });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastRequest('/loki/api/v1/labels').headers['x-scope-orgid'], 'from-env');
  } finally {
    delete process.env.LOKI_ADDR;
    delete process.env.LOKI_ORG_ID;
  }
});

test('labels: names, values of one label, nothing for an empty answer', async () => {
  let r = await cli(['labels', '--since', '6h', '--query', '{job="api"}']);
  assert.equal(r.stdout, 'job\nenv\n');
  const req = lastRequest('/loki/api/v1/labels');
  assert.equal(BigInt(req.search.get('end')!) - BigInt(req.search.get('start')!), 6n * 3_600_000_000_000n);
  assert.equal(req.search.get('query'), '{job="api"}');
  r = await cli(['labels', 'job']);
  assert.equal(r.stdout, 'api\nweb\n');
  r = await cli(['labels', 'nothing']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '');
});

test('series: label sets, sorted, as text or jsonl; several selectors', async () => {
  let r = await cli(['series', '{job=~".+"}', '{env="prod"}']);
  assert.equal(r.stdout, '{env="prod", job="api"}\n{job="web"}\n');
  assert.deepEqual(lastRequest('/loki/api/v1/series').search.getAll('match[]'), ['{job=~".+"}', '{env="prod"}']);
  r = await cli(['series', '{job=~".+"}', '-o', 'jsonl']);
  assert.deepEqual(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)), [{ env: 'prod', job: 'api' }, { job: 'web' }]);
});

test('push: one entry per line, strictly increasing times, empty lines skipped, batches', async () => {
  const before = loki.pushes.length;
  const input = 'one\r\ntwo\n\nthree\nfour\n\nfive\n';
  const r = await cli(['push', '--labels', '{job="import", host="a"}', '--batch-lines', '2', '--tenant', 'p'], { stdin: input });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, 'pushed 5 entries (skipped 2 empty lines)\n');
  const batches = loki.pushes.slice(before);
  assert.deepEqual(batches.map((b) => b[0]!.values.length), [2, 2, 1]);
  const values = batches.flatMap((b) => b[0]!.values);
  assert.deepEqual(values.map((v) => v[1]), ['one', 'two', 'three', 'four', 'five']);
  const ts = values.map((v) => BigInt(v[0]));
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! > ts[i - 1]!, 'timestamps strictly increase');
  assert.ok(ts[0]! > BigInt(Date.now() - 60_000) * 1_000_000n, 'timestamps are now');
  assert.deepEqual(batches[0]![0]!.stream, { job: 'import', host: 'a' });
  assert.equal(lastRequest('/loki/api/v1/push').headers['x-scope-orgid'], 'p');
  assert.deepEqual([...new Set(loki.pushFormats.slice(before))], ['protobuf']);
});

test('push --format json sends Loki JSON', async () => {
  const before = loki.pushes.length;
  const r = await cli(['push', '--labels', '{job="j"}', '--format', 'json'], { stdin: 'é ünïcode ✓\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(loki.pushFormats.slice(before), ['json']);
  assert.equal(loki.pushes[before]![0]!.values[0]![1], 'é ünïcode ✓');
  assert.equal((await cli(['push', '--labels', '{job="j"}', '--format', 'xml'])).code, 2);
});

test('push: batches by bytes too; a large input streams through', async () => {
  const before = loki.pushes.length;
  const line = 'y'.repeat(1000);
  const r = await cli(['push', '--labels', '{job="big"}', '--batch-bytes', '10000'], { stdin: (line + '\n').repeat(95) });
  assert.equal(r.stderr, 'pushed 95 entries\n');
  assert.deepEqual(loki.pushes.slice(before).map((b) => b[0]!.values.length), [10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
});

test('push: a rejected batch exits 1 and says how much was stored before it', async () => {
  const r = await cli(['push', '--labels', '{job="x"}', '--batch-lines', '1'], { stdin: 'ok\nREJECT me\nnever\n' });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'pushed 1 entry before the error\nerror: POST /loki/api/v1/push: 400 Bad Request: entry rejected: line contains REJECT\n');
});

test('push: one entry and one skipped line are counted in the singular', async () => {
  const r = await cli(['push', '--labels', '{job="x"}'], { stdin: 'only\n\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, 'pushed 1 entry (skipped 1 empty line)\n');
});

test('auth flags: a bearer token from a file wins over basic auth, as in the agent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-cli-auth-'));
  try {
    writeFileSync(join(dir, 'token'), 'from-file\n');
    await cli(['labels', '--username', 'u', '--password', 'p', '--bearer-token-file', join(dir, 'token')]);
    assert.equal(lastRequest('/loki/api/v1/labels').headers.authorization, 'Bearer from-file');
    await cli(['labels', '--username', 'u', '--password', 'p']);
    assert.equal(lastRequest('/loki/api/v1/labels').headers.authorization, 'Basic ' + Buffer.from('u:p').toString('base64'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('push: empty input pushes nothing', async () => {
  const before = loki.requests.length;
  const r = await cli(['push', '--labels', '{job="x"}'], { stdin: '' });
  assert.equal(r.code, 0);
  assert.equal(r.stderr, 'pushed 0 entries\n');
  assert.equal(loki.requests.length, before);
});

test('tail: prints frames as they come, warns about dropped entries, stops on abort with 0', async () => {
  loki.tailFrames.length = 0;
  loki.tailFrames.push(
    { streams: [{ stream: { job: 'api' }, entries: [{ ts: T0 + 2n, line: 'second' }] }, { stream: { job: 'web' }, entries: [{ ts: T0 + 1n, line: 'first' }] }] },
    { streams: [], droppedEntries: [{ labels: { job: 'api' }, ts: T0 }, { labels: { job: 'api' }, ts: T0 + 1n }] },
  );
  const ac = new AbortController();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const running = run(['tail', '--addr', loki.url, '{job=~".+"}', '-o', 'raw', '--since', '5m', '--delay-for', '1', '--limit', '50'], { stdout, stderr, stdin: Readable.from(['']), signal: ac.signal });
  await waitFor('the dropped-entries warning', () => err().includes('dropped'));
  ac.abort();
  assert.equal(await running, 0);
  assert.equal(out(), 'first\nsecond\n');
  assert.equal(err(), 'warning: the server dropped 2 entries because this client fell behind\n');
  const req = lastRequest('/loki/api/v1/tail');
  assert.equal(req.search.get('delay_for'), '1');
  assert.equal(req.search.get('limit'), '50');
  assert.ok(BigInt(Date.now()) * 1_000_000n - BigInt(req.search.get('start')!) >= 300_000_000_000n);
});

test('tail: the server closing in error exits 1 with its reason', async () => {
  loki.tailFrames.length = 0;
  const r = await cli(['tail', '{a="fail"}']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'error: tail closed by the server (code 1011): tail failed: store unavailable\n');
});

const BIN = new URL('../../../src/cli/main.ts', import.meta.url).pathname;

function spawnCli(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

test('the binary: exit code 2 on a usage error, 0 on success', async () => {
  let child = spawnCli(['query', '--nope', 'x']);
  let [code] = await once(child, 'exit');
  assert.equal(code, 2);
  child = spawnCli(['labels', '--addr', loki.url]);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.equal(out, 'job\nenv\n');
});

test('the binary: tail follows until SIGINT, then exits 0', async () => {
  loki.tailFrames.length = 0;
  loki.tailFrames.push({ streams: [{ stream: { job: 'api' }, entries: [{ ts: T0, line: 'live' }] }] });
  const child = spawnCli(['tail', '--addr', loki.url, '{job="api"}', '-o', 'raw']);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  await waitFor('the live line', () => out.includes('live'));
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.equal(out, 'live\n');
});
