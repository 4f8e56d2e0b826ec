/**
 * Decoding a block's joined-lines column into line strings (issue #12), one core: the whole column
 * as one string split at '\n' (how the codec did it) against src/store/joined-lines.ts, which
 * decodes ~16 KB pieces cut at '\n' (and smaller and larger pieces, to show where the cost is: V8
 * makes a whole-block string in its large-object space). Columns of ~270 KB (the corpus' blocks'
 * average) cut from the corpus' first LINES lines.
 *
 *   node --import tsx bench/line-decode.bench.ts      # [LINES=200000] [ROUNDS=7]
 *
 * Prints the best and median MB/s of ROUNDS interleaved rounds per method, with the calibration.
 */
import { calibrate, corpusRows, ensureCorpus, median } from './harness.js';
import { splitJoinedLines } from '../src/store/joined-lines.js';

const LINES = Number(process.env.LINES ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const COLUMN_BYTES = 270_000;

ensureCorpus();
const columns: Array<{ blob: Buffer; n: number }> = [];
let cur: string[] = [];
let bytes = 0;
let read = 0;
for await (const r of corpusRows()) {
  cur.push(r.line);
  bytes += Buffer.byteLength(r.line) + 1;
  if (bytes >= COLUMN_BYTES) {
    columns.push({ blob: Buffer.from(cur.join('\n')), n: cur.length });
    cur = [];
    bytes = 0;
  }
  if (++read >= LINES) break;
}
const total = columns.reduce((a, c) => a + c.blob.length, 0);

function whole(blob: Buffer, n: number): string[] {
  const text = blob.toString('utf8');
  const out: string[] = new Array(n);
  let p = 0;
  for (let i = 0; i < n; i++) {
    let e = i === n - 1 ? text.length : text.indexOf('\n', p);
    if (e < 0) e = text.length;
    out[i] = text.slice(p, e);
    p = e + 1;
  }
  return out;
}

const methods: Record<string, (b: Buffer, n: number) => string[]> = {
  'whole column, split': whole,
  'pieces of 4 KB': (b, n) => splitJoinedLines(b, n, 4096),
  'pieces of 16 KB (the codec)': (b, n) => splitJoinedLines(b, n),
  'pieces of 32 KB': (b, n) => splitJoinedLines(b, n, 32768),
  'pieces of 64 KB': (b, n) => splitJoinedLines(b, n, 65536),
};
console.log(`${columns.length} columns, ${(total / 1e6).toFixed(1)} MB; ${calibrate().text}`);
const rates: Record<string, number[]> = {};
let sink = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, f] of Object.entries(methods)) {
    const t = performance.now();
    for (const c of columns) sink += f(c.blob, c.n).length;
    (rates[name] ??= []).push(total / 1e6 / ((performance.now() - t) / 1000));
  }
}
for (const [name, r] of Object.entries(rates)) console.log(`${name}: best ${Math.max(...r).toFixed(0)} MB/s, median ${median(r).toFixed(0)} MB/s`);
console.log(`${calibrate().text}; sink ${sink % 7}`);
