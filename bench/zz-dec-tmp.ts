// Decode CPU of cold columnar blocks from the bench corpus: MODE=forward|backward|newest, profiled.
import type { Entry } from '/work/wt-coldscan/src/api/model.js';
import { compressBlock, serializeEntries } from '/work/wt-coldscan/dist/store/block-codec.js';
import { decodeBlockPieces, forEachPiece } from '/work/wt-coldscan/dist/store/block-pieces.js';
import { corpusRows, ensureCorpus } from '/work/wt-coldscan/bench/harness.js';
const LINES = 300000, BLOCK = 2097152;
ensureCorpus(LINES);
const streams = new Map<string, Entry[]>();
for await (const r of corpusRows(LINES)) { let a = streams.get(r.container); if (!a) streams.set(r.container, (a = [])); a.push({ ts: BigInt(r.ms) * 1_000_000n, line: r.line, metadata: { detected_level: 'info' } }); }
const payloads: Buffer[] = [];
for (const all of streams.values()) { let cur: Entry[] = []; let bytes = 0; const flush = () => { const { buf, sizes } = serializeEntries(cur, { stripTimestamps: true, columns: true }); payloads.push(compressBlock(buf, 16, sizes)); cur = []; bytes = 0; }; for (const e of all) { cur.push(e); bytes += e.line.length; if (bytes >= BLOCK) flush(); } if (cur.length) flush(); }
const mode = process.env.MODE ?? 'backward';
let sink = 0;
for (let run = 0; run < Number(process.env.N ?? 9); run++) {
  const c = process.cpuUsage();
  for (const p of payloads) { const pieces = decodeBlockPieces(p)!; const n = pieces.offsets.length; let want = mode === 'newest' ? 1000 : n; forEachPiece(0, n, mode !== 'forward', (lo, hi) => { sink += pieces.lines(lo, hi).length; return (want -= hi - lo) > 0; }); }
  const u = process.cpuUsage(c); console.log(mode, Math.round((u.user + u.system) / 1000), 'ms');
}
