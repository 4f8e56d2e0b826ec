/** Drain pattern mining (src/query/drilldown/drain.ts) and per-step pattern counts (patterns.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Drain, tokenize, printPattern } from '../../../src/query/drilldown/drain.js';
import { minePatterns } from '../../../src/query/drilldown/patterns.js';

function patterns(d: Drain): string[] {
  return d.list().map((c) => printPattern(c.tokens));
}

test('tokenize: whitespace, key=value split, quoted values kept whole', () => {
  const t = tokenize('id=1 level=info msg="user logged in" done');
  assert.equal(t.length, 7);
  assert.equal(printPattern(t), 'id=1 level=info msg="user logged in" done');
  // Spacing is kept (single-space splits, as Loki's tokenizer), so the pattern matches the line.
  assert.equal(printPattern(tokenize('  a   b\tc ')), '  a   b\tc ');
  assert.deepEqual(tokenize('a  b'), ['a', '', 'b']);
  assert.equal(printPattern(tokenize('x= y =z')), 'x= y =z');
});

test('similar lines collapse into one pattern with <_> where they differ', () => {
  const d = new Drain();
  d.train('user alice logged in from 10.0.0.1');
  d.train('user bob logged in from 10.0.0.2');
  d.train('user carol logged in from 10.0.0.3');
  assert.deepEqual(patterns(d), ['user <_> logged in from <_>']);
  assert.equal(d.list()[0]!.size, 3);
});

test('logfmt values vary behind their keys: level=info msg=<_>', () => {
  const d = new Drain();
  d.train('ts=2024-01-01T00:00:00Z level=info msg=started component=api');
  d.train('ts=2024-01-01T00:00:01Z level=info msg=stopped component=api');
  d.train('ts=2024-01-01T00:00:02Z level=info msg="request done" component=api');
  assert.deepEqual(patterns(d), ['ts=<_> level=info msg=<_> component=api']);
});

test('different shapes stay apart', () => {
  const d = new Drain();
  for (let i = 0; i < 5; i++) {
    d.train(`GET /api/users/${i} 200 ${i * 3}ms`);
    d.train(`connection to db-${i} lost, retrying in ${i}s`);
    d.train(`cache miss key=${i}`);
  }
  const got = patterns(d).sort();
  assert.deepEqual(got, ['GET <_> 200 <_>', 'cache miss key=<_>', 'connection to <_> lost, retrying in <_>'].sort());
});

test('same length but dissimilar lines do not merge', () => {
  const d = new Drain();
  d.train('alpha beta gamma delta');
  d.train('one two three four');
  assert.equal(d.size, 2);
});

test('bounded memory on hostile input: unique random lines never exceed the cluster cap', () => {
  const d = new Drain({ maxClusters: 50 });
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed.toString(36);
  };
  for (let i = 0; i < 20_000; i++) {
    const n = 1 + (i % 120);
    const words: string[] = [];
    for (let k = 0; k < n; k++) words.push(rnd() + 'x'.repeat(k % 7 === 0 ? 400 : 0));
    d.train(words.join(' '));
  }
  assert.ok(d.size <= 50, `clusters ${d.size}`);
  assert.ok(d.evicted > 0);
  for (const c of d.list()) {
    assert.ok(c.tokens.length <= d.opts.maxTokens);
    for (const t of c.tokens) assert.ok(t.length <= d.opts.maxTokenLength + 1);
  }
  // A very long line is cut, not kept whole.
  const c = d.train('y'.repeat(1_000_000));
  assert.ok(c.tokens.join('').length <= d.opts.maxTokenLength);
});

test('minePatterns counts per step bucket, aligned to the step, zero buckets left out', () => {
  const s = 1_000_000_000n;
  const base = 1_700_000_000n; // seconds, a multiple of 10
  const entries = [
    { ts: (base + 1n) * s, line: 'GET /a 200' },
    { ts: (base + 5n) * s, line: 'GET /b 200' },
    { ts: (base + 12n) * s, line: 'GET /c 200' },
    { ts: (base + 35n) * s, line: 'GET /d 200' },
    { ts: (base + 36n) * s, line: 'disk full on /dev/sda1' },
  ];
  const got = minePatterns(entries, 10n * s);
  assert.deepEqual(got, [
    { pattern: 'GET <_> 200', samples: [[1_700_000_000, 2], [1_700_000_010, 1], [1_700_000_030, 1]] },
    { pattern: 'disk full on /dev/sda1', samples: [[1_700_000_030, 1]] },
  ]);
});

test('minePatterns keeps levels apart and reports them', () => {
  const s = 1_000_000_000n;
  const got = minePatterns(
    [
      { ts: 10n * s, line: 'request failed id=1', level: 'error' },
      { ts: 11n * s, line: 'request failed id=2', level: 'error' },
      { ts: 12n * s, line: 'request failed id=3', level: 'info' },
    ],
    60n * s,
  );
  assert.deepEqual(got, [
    { pattern: 'request failed id=<_>', level: 'error', samples: [[0, 2]] },
    { pattern: 'request failed id=3', level: 'info', samples: [[0, 1]] },
  ]);
});

test('tokenize keeps patterns usable as filters: long tokens and cut lines end in <_>; ts= values vary at once', () => {
  const long = tokenize('a ' + 'b'.repeat(300) + ' c');
  assert.deepEqual(long, ['a', '<_>', 'c']);
  const cut = tokenize('x y ' + 'z '.repeat(5000));
  assert.equal(cut[cut.length - 1], '<_>');
  assert.equal(printPattern(tokenize('ts=2024-01-01T00:00:00Z level=info')), 'ts=<_> level=info');
});

test('minePatterns mines JSON lines on their message, printed <_>...<_>; JSON without one is left out', () => {
  const s = 1_000_000_000n;
  const got = minePatterns(
    [
      { ts: 1n * s, line: JSON.stringify({ level: 'info', msg: 'user alice logged in', id: 1 }) },
      { ts: 2n * s, line: JSON.stringify({ level: 'info', msg: 'user bob logged in', id: 2 }) },
      { ts: 3n * s, line: JSON.stringify({ level: 'info', nomsg: true }) },
    ],
    60n * s,
  );
  assert.deepEqual(got, [{ pattern: '<_>user <_> logged in<_>', samples: [[0, 2]] }]);
});

test('logfmt lines with the same keys split on their messages and levels, not on ids and numbers', () => {
  const d = new Drain();
  const msgs = ['user logged in', 'cache miss'];
  for (let i = 0; i < 40; i++) {
    const level = i % 4 < 2 ? 'info' : 'warn';
    d.train(`ts=2024-01-01T00:00:${i}Z level=${level} caller=svc${i % 3}.go:${i} msg="${msgs[i % 2]}" user=u${i} took=${i}ms`);
  }
  assert.deepEqual(patterns(d).sort(), [
    'ts=<_> level=info caller=<_> msg="cache miss" user=<_> took=<_>',
    'ts=<_> level=info caller=<_> msg="user logged in" user=<_> took=<_>',
    'ts=<_> level=warn caller=<_> msg="cache miss" user=<_> took=<_>',
    'ts=<_> level=warn caller=<_> msg="user logged in" user=<_> took=<_>',
  ]);
});
