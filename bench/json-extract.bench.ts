/**
 * JSON field extraction on the corpus' JSON lines (issue #12): the `| json` stage's validating walker
 * (src/logql/pipeline/json.ts) with and without parser hints, JSON.parse, and the raw-text scanner of
 * src/api/json-scan.ts reading the top-level `level` (no validation, no nested keys), one core.
 *
 *   node --import tsx bench/json-extract.bench.ts      # [LINES=...] the corpus size (default 2M)
 *
 * Prints MB/s per pass, two passes each, interleaved, with the calibration figure.
 */
import { calibrate, corpusRows, ensureCorpus } from './harness.js';
import { JsonScanner, KeyNode, walkJsonObject } from '../src/logql/pipeline/json.js';
import { sanitizeLabelName } from '../src/logql/pipeline/sanitize.js';
import { LabelWants } from '../src/logql/pipeline/label-hints.js';
import { endOfString, skipValue, skipWs } from '../src/api/json-scan.js';

const LINES = Number(process.env.LINES ?? 2_000_000);
const MAX_JSON = Number(process.env.MAX_JSON ?? 200_000);

/** Top-level keys only, values skipped by bracket counting: what json-scan.ts offers. */
function jsonScanLevel(s: string): string | undefined {
  let p = skipWs(s, 0);
  if (s.charCodeAt(p) !== 123) return undefined;
  p = skipWs(s, p + 1);
  let level: string | undefined;
  while (p < s.length && s.charCodeAt(p) === 34) {
    const e = endOfString(s, p);
    if (e < 0) return undefined;
    const isLevel = e - p === 7 && s.startsWith('level', p + 1);
    p = skipWs(s, e);
    if (s.charCodeAt(p) !== 58) return undefined;
    p = skipWs(s, p + 1);
    const v = skipValue(s, p);
    if (v < 0) return undefined;
    if (isLevel) level = s.slice(p + 1, v - 1);
    p = skipWs(s, v);
    if (s.charCodeAt(p) === 44) p = skipWs(s, p + 1);
    else break;
  }
  return level;
}

ensureCorpus(LINES);
const lines: string[] = [];
for await (const r of corpusRows(LINES)) {
  if (r.line.startsWith('{')) lines.push(r.line);
  if (lines.length >= MAX_JSON) break;
}
const mb = lines.reduce((a, l) => a + l.length, 0) / 1e6;
console.log(`${lines.length} JSON lines, ${mb.toFixed(1)} MB; ${calibrate().text}`);
const wants = new LabelWants(['level', '__error__', '__error_details__']);
let sink = 0;
const emit = (): void => void sink++;
for (const mode of ['walker', 'walker with hints', 'JSON.parse', 'json-scan', 'walker with hints', 'walker', 'json-scan', 'JSON.parse']) {
  const sc = new JsonScanner();
  const root = new KeyNode();
  const t = performance.now();
  for (const l of lines) {
    if (mode === 'JSON.parse') {
      try {
        JSON.parse(l);
      } catch {
        sink--;
      }
    } else if (mode === 'json-scan') {
      if (jsonScanLevel(l) !== undefined) sink++;
    } else {
      sc.reset(l);
      try {
        walkJsonObject(sc, root, sanitizeLabelName, emit, mode === 'walker' ? null : wants);
      } catch {
        sink--;
      }
    }
  }
  console.log(`${mode.padEnd(18)} ${(mb / ((performance.now() - t) / 1000)).toFixed(0)} MB/s`);
}
console.log(`${calibrate().text} (sink ${sink % 7})`);
