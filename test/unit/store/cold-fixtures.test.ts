/**
 * Cold blocks as issue #12's stop 16 wrote them (fixtures/cold-blocks, written by that version's
 * serializeEntries + compressBlock at level 17 from the entries below): the text layout (lines
 * mode 1, timestamps as escapes) and the line-columns layout (lines mode 2). Both must stay
 * readable, whole and a piece at a time (src/store/block-pieces.ts), in both directions, whatever
 * the layout and the decoders become.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decompress } from 'zstd-napi';
import type { Entry } from '../../../src/api/model.js';
import { decodeBlockPayload, LINES_COLUMNS, LINES_JOINED, SPLIT_HEADER, splitStatsLength } from '../../../src/store/block-codec.js';
import { decodeBlockPieces, forEachPiece } from '../../../src/store/block-pieces.js';

/** Fixed entries of the cold-block fixtures: JSON, logfmt, plain and multi-byte lines, their own timestamps as text, metadata on some. */
function fixtureEntries(): Entry[] {
  const out: Entry[] = [];
  let ts = 1_714_521_600_000_000_000n;
  for (let i = 0; i < 300; i++) {
    ts += BigInt(((i * 7919) % 1000) * 1_000_000);
    const iso = new Date(Number(ts / 1_000_000n)).toISOString();
    const id = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
    const line =
      i % 4 === 0 ? `{"level":"info","ts":"${iso}","msg":"request completed","request_id":"${id}${id}","duration_ms":${(i % 97) / 10}}`
      : i % 4 === 1 ? `time=${iso} level=error msg="upstream timeout é" user=u-${10_000_000 + i} took=${i % 50}ms`
      : i % 4 === 2 ? `plain line ${i} 日本 😀`
      : `10.0.0.${i % 255} - - "GET /api/v1/orders/${i} HTTP/1.1" 200 ${i * 13}`;
    const e: Entry = { ts, line };
    if (i % 3 === 0) e.metadata = { detected_level: i % 2 ? 'error' : 'info' };
    out.push(e);
  }
  return out;
}

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/cold-blocks/${name}`, import.meta.url));

function byPieces(region: Buffer, backward: boolean): Entry[] {
  const p = decodeBlockPieces(region);
  assert.ok(p, 'a piece form');
  const pieces: Entry[][] = [];
  forEachPiece(0, p.offsets.length, backward, (lo, hi) => {
    const lines = p.lines(lo, hi);
    pieces.push(
      lines.map((line, k) => {
        const e: Entry = { ts: p.first + BigInt(p.offsets[lo + k]!), line };
        if (p.metadata?.[lo + k]) e.metadata = p.metadata[lo + k]!;
        return e;
      }),
    );
  });
  return (backward ? pieces.reverse() : pieces).flat();
}

for (const [name, mode] of [
  ['stop16-text.bin', LINES_JOINED],
  ['stop16-columns.bin', LINES_COLUMNS],
] as const) {
  test(`a stop-16 cold block (${name}) reads back exactly, whole and a piece at a time`, () => {
    const region = fixture(name);
    const body = decompress(region.subarray(SPLIT_HEADER + splitStatsLength(region)));
    assert.equal(body[0], mode, 'the fixture has the layout it is named for');
    const want = fixtureEntries();
    assert.deepEqual(decodeBlockPayload(region), want);
    assert.deepEqual(byPieces(region, false), want);
    assert.deepEqual(byPieces(region, true), want);
  });
}
