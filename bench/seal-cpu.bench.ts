/**
 * What sealing a head into a block costs per line (issue #12, stop 16), in one process, without a
 * server: the corpus' lines put into heads (one per container, detected_level metadata shared per
 * level as ingest does), each head sealed as the store does at storage.block_target_bytes (256
 * KiB): its block region (payload and zstd level 1) and its token bloom (`Head.bloom`), each
 * timed apart over every head, RUNS times; medians in CPU ns per line, with the calibration figure
 * before and after, and the disk per raw byte. The heads are in time order (the corpus' order); a
 * head out of order is reordered at seal, which this does not time.
 *
 *   LINES=300000 RUNS=7 node --import tsx bench/seal-cpu.bench.ts
 *   cp bench/seal-cpu.bench.ts /tmp/before/bench/ && (cd /tmp/before && LINES=300000 RUNS=7 node --import tsx bench/seal-cpu.bench.ts)
 *   LINES=300000 RUNS=7 node --cpu-prof --cpu-prof-dir=bench/out/prof --import tsx bench/seal-cpu.bench.ts
 */
import type { Labels } from '../src/api/model.js';
import { detectLevel, DETECTED_LEVEL } from '../src/api/detect-level.js';
import * as codec from '../src/store/block-codec.js';
import { Head } from '../src/store/head.js';
import { calibrate, corpusRows, ensureCorpus, median } from './harness.js';

const LINES = Number(process.env.LINES ?? 300_000);
const RUNS = Number(process.env.RUNS ?? 7);
const TARGET = 256 * 1024;
for (const [k, v] of [['LINES', LINES], ['RUNS', RUNS]] as const) if (!Number.isInteger(v) || v <= 0) throw new Error(`${k} must be a positive integer, got "${process.env[k]}"`);

console.log(calibrate().text);
ensureCorpus(LINES);
const levels = new Map<string, Labels>();
const open = new Map<string, Head>();
const sealed: Head[] = [];
let lines = 0;
let raw = 0;
for await (const r of corpusRows(LINES)) {
  let h = open.get(r.container);
  if (!h) open.set(r.container, (h = new Head()));
  const level = detectLevel(undefined, undefined, r.line);
  let m = levels.get(level);
  if (!m) levels.set(level, (m = Object.freeze({ [DETECTED_LEVEL]: level }) as Labels));
  h.add({ ts: BigInt(r.ms) * 1_000_000n, line: r.line, metadata: m }, 1, 0);
  if (h.rawBytes >= TARGET) {
    sealed.push(h);
    open.delete(r.container);
  }
}
for (const h of open.values()) sealed.push(h);
for (const h of sealed) {
  lines += h.size;
  raw += h.rawBytes;
}
console.log(`${sealed.length} heads, ${lines} lines, ${(raw / 1048576).toFixed(1)} MiB raw`);

// The process' CPU time (getrusage), not wall time: on a shared machine it moves far less with load.
const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
// The block region the checkout's own way: Head.sealParts → compressParts (from stop 16), or
// Head.serialize → compressBlock, which parses the payload back (before; this file copied into an
// older checkout times that). Both give the same bytes, checked here when both exist.
const sealParts = (Head.prototype as { sealParts?: () => { ts: Buffer; lines: Buffer; sizes: Uint32Array; meta: Buffer } }).sealParts;
const compressParts = (codec as { compressParts?: (...a: [Buffer, Buffer, Uint32Array, Buffer, number]) => Buffer }).compressParts;
const region = (h: Head): Buffer => {
  if (!sealParts || !compressParts) return codec.compressBlock(h.serialize(), 1);
  const p = sealParts.call(h);
  return compressParts(p.ts, p.lines, p.sizes, p.meta, 1);
};
if (sealParts) for (const h of sealed) if (!region(h).equals(codec.compressBlock(h.serialize(), 1))) throw new Error('sealParts and serialize give different blocks');
console.log(`block region: ${sealParts ? 'Head.sealParts → compressParts' : 'Head.serialize → compressBlock'}`);
const phases = { block: [] as number[], bloom: [] as number[], total: [] as number[] };
let disk = 0;
for (let run = 0; run < RUNS; run++) {
  let tBlock = 0;
  let tBloom = 0;
  disk = 0;
  for (const h of sealed) {
    let t = cpuNs();
    const block = region(h);
    let u = cpuNs();
    tBlock += u - t;
    t = u;
    const bloom = h.bloom();
    u = cpuNs();
    tBloom += u - t;
    disk += block.length + bloom.length;
  }
  phases.block.push(tBlock / lines);
  phases.bloom.push(tBloom / lines);
  phases.total.push((tBlock + tBloom) / lines);
}
const fmt = (a: number[]) => `${median(a).toFixed(0)} ns/line (${a.map((x) => x.toFixed(0)).join(' ')})`;
for (const [k, v] of Object.entries(phases)) console.log(`${k.padEnd(9)} ${fmt(v)}`);
console.log(`disk per raw byte (block + bloom): ${(disk / raw).toFixed(4)}`);
console.log(calibrate().text);
