/**
 * Parsing queries (issue #12) against the real server: `| json` and `| logfmt` under a `sum by`
 * (or `sum`) extract only the labels the query reads (parser hints), and a parser followed by
 * `| drop __error__, __error_details__` or `| __error__=""` handles its errors itself. Neither may
 * change an answer. Each query is compared with a twin the optimisations cannot apply to, so the
 * server computes the reference itself: a `line_format "{{ __line__ }}"` at the end (a template may
 * read any label: no hints; the line is unchanged) and a `|= ""` right after the parser (matches
 * every line; the errors stay labels until the drop or filter). Mixed JSON, logfmt and plain lines
 * (seeded), some in sealed blocks and some in the in-memory head, read by the query workers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { pushSealedThenHead } from './helpers/sealed.js';
import { seededRandom } from '../helpers/random.js';

let srv: RunningServer;
const t0s = Math.floor(Date.now() / 60_000) * 60 - 3600;
const ns = (s: number) => (BigInt(t0s) * 1_000_000_000n + BigInt(Math.round(s * 1e9))).toString();
const LEVELS = ['info', 'warn', 'error', 'debug'];

before(async () => {
  const rnd = seededRandom({ diagnostic: (m) => console.log(`# ${m}`) });
  srv = await startServer({ storage: { block_target_bytes: 8192 }, limits: { ingestion_rate_mb: 1000, ingestion_burst_size_mb: 1000 } });
  const pick = <T>(xs: T[]): T => xs[rnd.int(xs.length)]!;
  const values: [string, string][] = [];
  for (let i = 0; i < 3000; i++) {
    const level = pick(LEVELS);
    const kind = rnd.int(10);
    let line: string;
    if (kind < 4) {
      line = JSON.stringify({ level, msg: `req ${i}`, request_id: `r${i}`, http: { status: pick([200, 404, 500]), path: '/a' }, took: rnd.int(900) });
      if (rnd.int(20) === 0) line = line.slice(0, -3); // damaged: JSONParserErr, with the labels found before the damage
      if (rnd.int(20) === 0) line = line.slice(0, -1) + `,"level":"${pick(LEVELS)}"}`; // repeated key: the last wins
    } else if (kind < 7) {
      line = `time=x level=${level} msg="req ${i} \\"quoted\\"" request_id=r${i} took=${rnd.int(900)}ms`;
      if (rnd.int(20) === 0) line += ` level=${pick(LEVELS)}`; // repeated key: the first wins
      if (rnd.int(30) === 0) line += ' broken="';
    } else {
      line = `${pick(LEVELS).toUpperCase()} plain line ${i}`;
    }
    values.push([ns(i), line]);
  }
  await pushSealedThenHead(srv.url, { job: 'mix', level: 'stream' }, values.slice(0, 1500), 300);
  await pushSealedThenHead(srv.url, { job: 'mix', app: 'b' }, values.slice(1500), 300);
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

async function range(query: string): Promise<{ status: number; body: any; text: string }> {
  const u = new URL(srv.url + '/loki/api/v1/query_range');
  u.searchParams.set('query', query);
  u.searchParams.set('start', ns(0));
  u.searchParams.set('end', ns(3100));
  u.searchParams.set('step', '60');
  const res = await fetch(u);
  const text = await res.text();
  return { status: res.status, body: res.status === 200 ? JSON.parse(text) : undefined, text };
}

/** The query with `pipe` appended to its log pipeline (before `unwrap`, or else the range). */
function withTail(q: string, pipe: string): string {
  if (q.includes(' | unwrap')) return q.replace(' | unwrap', ` ${pipe} | unwrap`);
  return q.replace(/ \[(\d+[mh])\]/, ` ${pipe} [$1]`);
}

const QUERIES = [
  'sum by (level) (count_over_time({job="mix"} | json | drop __error__, __error_details__ [5m]))',
  'sum(count_over_time({job="mix"} | logfmt | __error__="" | level="error" [10m]))',
  'sum by (level_extracted, http_status) (count_over_time({job="mix"} | json | __error__="" [5m]))',
  'sum by (level) (rate({job="mix"} | logfmt | level=~"warn|error" [5m]))',
  'sum by (level) (count_over_time({job="mix"} | logfmt --strict | drop __error__, __error_details__ [5m]))',
  'sum by (level) (sum_over_time({job="mix"} | logfmt | __error__="" | unwrap duration(took) | __error__="" [5m]))',
  'sum by (level) (count_over_time({job="mix"} | json | __error__="" | http_status >= 400 [5m]))',
];

for (const query of QUERIES) {
  test(`same answer with and without parser hints: ${query}`, async () => {
    const got = await range(query);
    assert.equal(got.status, 200, got.text);
    assert.ok(got.body.data.result.length > 0, 'the query finds something');
    const noHints = await range(withTail(query, '| line_format "{{ __line__ }}"'));
    assert.equal(noHints.status, 200, noHints.text);
    assert.deepEqual(got.body.data.result, noHints.body.data.result);
    const parser = / \| (json|logfmt --strict|logfmt)/.exec(query)![0];
    const unfused = await range(query.replace(parser, `${parser} |= ""`));
    assert.deepEqual(got.body.data.result, unfused.body.data.result);
  });
}

test('a pipeline error under hints names the series with all its labels, as without hints', async () => {
  // Without the drop, damaged JSON lines keep __error__ and fail the query; the series named is the
  // full label set of such a line (the msg and request_id found before the damage too), not just
  // the grouping. The line filter keeps the JSON lines, so the first error is a damaged one.
  const q = 'sum by (level) (count_over_time({job="mix"} |= "\\"took\\"" | json [5m]))';
  const r = await range(q);
  assert.equal(r.status, 400, r.text);
  assert.match(r.text, /pipeline error: 'JSONParserErr'/);
  assert.match(r.text, /request_id=/, 'the series is named with the labels nothing else reads');
  const twin = await range(withTail(q, '| line_format "{{ __line__ }}"'));
  assert.equal(r.text, twin.text);
});
