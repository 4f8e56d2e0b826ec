/**
 * Where a text still lies in a data directory: the files whose raw bytes hold it (WAL segments,
 * index and stream logs, anything else) and the segment files with a block, live or dead, whose
 * decompressed lines hold it (every block header in the file is walked, not only the indexed ones).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { walkBlockHeaders, BLOCK_HEADER } from '../../src/store/block-meta.js';
import { decodeBlockPayload } from '../../src/store/block-codec.js';

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

export function filesHolding(dataDir: string, needle: string): string[] {
  const hits: string[] = [];
  const raw = Buffer.from(needle, 'utf8');
  for (const f of files(dataDir)) {
    const buf = readFileSync(f);
    if (buf.includes(raw)) {
      hits.push(f);
      continue;
    }
    if (!f.endsWith('.seg')) continue;
    for (const h of walkBlockHeaders(buf)) {
      const payload = buf.subarray(h.offset + BLOCK_HEADER, h.offset + BLOCK_HEADER + h.length);
      let lines: string[];
      try {
        lines = decodeBlockPayload(payload).map((e) => e.line);
      } catch {
        continue;
      }
      if (lines.some((l) => l.includes(needle))) {
        hits.push(`${f}@${h.offset}`);
        break;
      }
    }
  }
  return hits;
}
