/**
 * Where a cold block's bytes go and what each layout lever gives (issue #12, docs/benchmarks.md
 * "Cold tier size"): the corpus split per stream into blocks of 1 MiB raw as the cold tier builds
 * them, then for each variant the bytes per raw line byte and the compression CPU, and the decode
 * CPU of the text and the line-columns layout (interleaved, medians).
 *
 *   LINES=300000 node --import tsx bench/cold-layout.bench.ts
 *   PARTS=levers,columns ...   # some of parts, levers, columns, sizes, tokens, pieces (default parts,levers,columns)
 *   BLOCK=4194304 ...          # raw bytes per block (default 1 MiB)
 *   LEVELS=16,17 SIZES=1048576,4194304   # the sizes part: line-columns blocks at these zstd levels and block sizes
 *   NEWEST=1000                # the pieces part: decode CPU of all lines forward, all backward, and each block's newest NEWEST lines
 *
 * The tokens part: distinct bloom tokens per block by kind, and how many occur in at least 90% /
 * 50% of their stream's blocks (what a shared per-output token set could take out of the blooms).
 */
import { Compressor } from 'zstd-napi';
import type { Entry } from '../src/api/model.js';
import { compressBlock, decodeBlockPayload, serializeEntries, SPLIT_HEADER, splitStatsLength } from '../src/store/block-codec.js';
import { buildBloom, COLD_BLOOM } from '../src/store/bloom.js';
import { buildColdBloom } from '../src/store/cold-bloom.js';
import { decodeBlockPieces, forEachPiece } from '../src/store/block-pieces.js';
import { stripTimestamps } from '../src/store/line-transform.js';
import { calibrate, corpusRows, ensureCorpus, median } from './harness.js';

const LINES = Number(process.env.LINES ?? 300_000);
const BLOCK = Number(process.env.BLOCK ?? 1 << 20);
const PARTS = (process.env.PARTS ?? 'parts,levers,columns').split(',');
const LEVELS = (process.env.LEVELS ?? '16,17').split(',').map(Number);
const SIZES = (process.env.SIZES ?? '1048576,2097152,4194304').split(',').map(Number);
/** The pieces part: lines each block gives its `newest` read (as `newest 1000` reads a stream's last block). */
const NEWEST = Number(process.env.NEWEST ?? 1000);

ensureCorpus(LINES);
console.log(calibrate().text);
const streams = new Map<string, Entry[]>();
let raw = 0;
for await (const r of corpusRows(LINES)) {
  let a = streams.get(r.container);
  if (!a) streams.set(r.container, (a = []));
  a.push({ ts: BigInt(r.ms) * 1_000_000n, line: r.line, metadata: { detected_level: 'info' } });
  raw += Buffer.byteLength(r.line);
}
/** Each stream's entries cut into blocks of `size` raw bytes, as the cold tier cuts them. */
function cut(size: number): Array<{ stream: string; entries: Entry[] }> {
  const out: Array<{ stream: string; entries: Entry[] }> = [];
  for (const [stream, all] of streams) {
    let cur: Entry[] = [];
    let bytes = 0;
    for (const e of all) {
      cur.push(e);
      bytes += e.line.length;
      if (bytes >= size) {
        out.push({ stream, entries: cur });
        cur = [];
        bytes = 0;
      }
    }
    if (cur.length > 0) out.push({ stream, entries: cur });
  }
  return out;
}
const blocks = cut(BLOCK);
console.log(JSON.stringify({ lines: LINES, rawBytes: raw, blocks: blocks.length, blockBytes: BLOCK }));

const perRaw = (n: number): number => Math.round((n / raw) * 10_000) / 10_000;
const cpuMs = (f: () => void): number => {
  const c = process.cpuUsage();
  f();
  const u = process.cpuUsage(c);
  return Math.round((u.user + u.system) / 1000);
};
const text = (es: Entry[]): Buffer => Buffer.from((stripTimestamps(es) ?? es.map((e) => e.line)).join('\n'));
const compressor = (params: Record<string, unknown>): Compressor => {
  const c = new Compressor();
  c.setParameters({ checksumFlag: true, ...params });
  return c;
};

if (PARTS.includes('parts')) {
  let stats = 0;
  let body = 0;
  let bloom = 0;
  let coldBloom = 0;
  let ts = 0;
  const c17 = compressor({ compressionLevel: 17 });
  for (const b of blocks) {
    const { buf, sizes } = serializeEntries(b.entries, { stripTimestamps: true });
    const p = compressBlock(buf, 17, sizes);
    const s = splitStatsLength(p);
    stats += SPLIT_HEADER + s;
    body += p.length - SPLIT_HEADER - s;
    bloom += buildBloom(Buffer.from(b.entries.map((e) => e.line).join('\n')), 0, undefined, COLD_BLOOM).length;
    coldBloom += buildColdBloom(Buffer.from(b.entries.map((e) => e.line).join('\n'))).length;
    ts += c17.compress(serializeEntries(b.entries.map((e) => ({ ts: e.ts, line: '' }))).buf).length;
  }
  console.log(JSON.stringify({ part: 'parts', timestamps: perRaw(ts), statsFrame: perRaw(stats), sizesAndMetadata: perRaw(stats - ts), lines: perRaw(body), bloomsStop16: perRaw(bloom), coldBlooms: perRaw(coldBloom) }));
}

if (PARTS.includes('levers')) {
  const levers: Array<[string, Record<string, unknown>]> = [
    ['level 17', { compressionLevel: 17 }],
    ['level 19', { compressionLevel: 19 }],
    ['level 22', { compressionLevel: 22 }],
    ['level 17, long-distance matching', { compressionLevel: 17, enableLongDistanceMatching: true }],
    ['level 17, windowLog 24', { compressionLevel: 17, windowLog: 24 }],
  ];
  for (const [name, params] of levers) {
    const c = compressor(params);
    let n = 0;
    const ms = cpuMs(() => {
      for (const b of blocks) n += c.compress(text(b.entries)).length;
    });
    console.log(JSON.stringify({ part: 'lines', lever: name, bytesPerRawByte: perRaw(n), compressCpuMs: ms }));
  }
  // A raw-content dictionary per stream: the last 112 KiB of its first block, for its later blocks.
  const dicts = new Map<string, Buffer>();
  const plain = compressor({ compressionLevel: 17 });
  let n = 0;
  const ms = cpuMs(() => {
    for (const b of blocks) {
      const t = text(b.entries);
      const dict = dicts.get(b.stream);
      if (!dict) {
        dicts.set(b.stream, t.subarray(Math.max(0, t.length - (112 << 10))));
        n += plain.compress(t).length;
        continue;
      }
      const c = compressor({ compressionLevel: 17 });
      c.loadDictionary(dict);
      n += c.compress(t).length;
    }
  });
  console.log(JSON.stringify({ part: 'lines', lever: 'level 17, raw-content dictionary per stream', bytesPerRawByte: perRaw(n), compressCpuMs: ms }));
}

if (PARTS.includes('columns')) {
  const payloads: Record<string, Buffer[]> = { text: [], columns: [] };
  for (const layout of ['text', 'columns']) {
    let n = 0;
    let lines = 0;
    const ms = cpuMs(() => {
      for (const b of blocks) {
        const { buf, sizes } = serializeEntries(b.entries, { stripTimestamps: true, columns: layout === 'columns' });
        const p = compressBlock(buf, 17, sizes);
        payloads[layout]!.push(p);
        n += p.length;
        lines += p.length - SPLIT_HEADER - splitStatsLength(p);
      }
    });
    console.log(JSON.stringify({ part: 'layout', layout, blocksBytesPerRawByte: perRaw(n), linesBytesPerRawByte: perRaw(lines), serializeAndCompressCpuMs: ms }));
  }
  const decode: Record<string, number[]> = { text: [], columns: [] };
  for (let run = 0; run < 7; run++) {
    for (const layout of ['text', 'columns']) {
      decode[layout]!.push(
        cpuMs(() => {
          for (const p of payloads[layout]!) decodeBlockPayload(p);
        }),
      );
    }
  }
  for (const layout of ['text', 'columns']) console.log(JSON.stringify({ part: 'decode', layout, medianCpuMs: median(decode[layout]!), runs: decode[layout] }));
}
if (PARTS.includes('sizes')) {
  for (const size of SIZES) {
    const sers = cut(size).map((b) => serializeEntries(b.entries, { stripTimestamps: true, columns: true }));
    for (const level of LEVELS) {
      let stats = 0;
      let body = 0;
      const ms = cpuMs(() => {
        for (const s of sers) {
          const p = compressBlock(s.buf, level, s.sizes);
          const k = splitStatsLength(p);
          stats += SPLIT_HEADER + k;
          body += p.length - SPLIT_HEADER - k;
        }
      });
      console.log(JSON.stringify({ part: 'sizes', layout: 'columns', blockBytes: size, level, blocks: sers.length, statsFrame: perRaw(stats), lines: perRaw(body), blocksBytesPerRawByte: perRaw(stats + body), compressCpuMs: ms }));
    }
  }
}

if (PARTS.includes('tokens')) {
  const WORDS = /[0-9A-Za-z\u0080-\uffff]{3,}/g;
  const kinds: Record<string, number> = {};
  let tokens = 0;
  let shared90 = 0;
  let shared50 = 0;
  const byStream = new Map<string, Array<Set<string>>>();
  for (const b of blocks) {
    const set = new Set<string>();
    for (const e of b.entries) for (const m of e.line.matchAll(WORDS)) set.add(m[0]);
    let list = byStream.get(b.stream);
    if (!list) byStream.set(b.stream, (list = []));
    list.push(set);
  }
  for (const sets of byStream.values()) {
    const inBlocks = new Map<string, number>();
    for (const set of sets) for (const t of set) inBlocks.set(t, (inBlocks.get(t) ?? 0) + 1);
    for (const set of sets) {
      tokens += set.size;
      for (const t of set) {
        const kind = /^[0-9a-f]{16,}$/.test(t) ? 'longHex' : /^[0-9]+$/.test(t) ? 'digits' : /[0-9]/.test(t) ? 'mixed' : 'word';
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        const c = inBlocks.get(t)!;
        if (sets.length >= 4 && c >= 0.9 * sets.length) shared90++;
        if (sets.length >= 4 && c >= 0.5 * sets.length) shared50++;
      }
    }
  }
  console.log(JSON.stringify({ part: 'tokens', blocks: blocks.length, tokensPerBlock: Math.round(tokens / blocks.length), share: Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, Math.round((v / tokens) * 1000) / 1000])), inNinetyPercentOfBlocks: Math.round((shared90 / tokens) * 1000) / 1000, inHalfOfBlocks: Math.round((shared50 / tokens) * 1000) / 1000 }));
}
if (PARTS.includes('pieces')) {
  // What a query worker does per cold block: decode it a piece at a time (strings of every line),
  // text against line columns, at this level and BLOCK size; interleaved, medians.
  const payloads: Record<string, Buffer[]> = { text: [], columns: [] };
  for (const layout of ['text', 'columns'] as const) {
    for (const b of blocks) {
      const { buf, sizes } = serializeEntries(b.entries, { stripTimestamps: true, columns: layout === 'columns' });
      payloads[layout]!.push(compressBlock(buf, Number(process.env.LEVEL ?? 16), sizes));
    }
  }
  // Each read of every block: all its lines in order (a metric query), all from the last piece (a
  // backward scan with a rare filter), or only its newest NEWEST lines, from the last piece (`newest 1000`).
  const reads = { forward: false, backward: true, newest: true } as const;
  const runs: Record<string, number[]> = {};
  let sink = 0;
  for (let run = 0; run < 9; run++) {
    for (const [read, backward] of Object.entries(reads)) {
      for (const layout of ['text', 'columns'] as const) {
        (runs[`${layout} ${read}`] ??= []).push(
          cpuMs(() => {
            for (const p of payloads[layout]!) {
              const pieces = decodeBlockPieces(p)!;
              const n = pieces.offsets.length;
              let want = read === 'newest' ? NEWEST : n;
              forEachPiece(0, n, backward, (lo, hi) => {
                sink += pieces.lines(lo, hi).length;
                return (want -= hi - lo) > 0;
              });
            }
          }),
        );
      }
    }
  }
  for (const [key, r] of Object.entries(runs)) {
    const [layout, read] = key.split(' ');
    console.log(JSON.stringify({ part: 'pieces', layout, read, ...(read === 'newest' ? { newest: NEWEST } : {}), blockBytes: BLOCK, medianCpuMs: median(r), runs: r, sink }));
  }
}
console.log(calibrate().text);
