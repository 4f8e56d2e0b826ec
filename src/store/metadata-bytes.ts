/**
 * One entry's structured metadata as bytes, `varint pairs · pairs × (str name · str value)`: the
 * layout of the WAL record (./wal-record.ts) and of each set in the block payload's metadata table
 * (./block-codec.ts; blocks sealed before issue #12's stop 17 have it once per entry). With Loki 3's detected_level nearly every entry has metadata, and
 * ingest hands the store a few shared objects (one per level, one per OTLP resource and scope):
 * an object met again in the same buffer has its earlier bytes copied instead of two or more
 * UTF-8 encodings, which were a tenth of the WAL encoding's time. The bytes are the same either way.
 */
import type { Labels } from '../api/model.js';
import type { ByteWriter } from './bytes.js';

/**
 * Objects remembered per buffer without condition; past that, only while copies have been at least
 * as many as the objects remembered (an OTLP push of ~100 containers has ~100 resources × levels
 * shared objects per WAL record: with a fixed 64, a tenth of its entries were encoded afresh, ~3% of
 * ingest's CPU; issue #12, stop 17), and never past MAX_REMEMBERED. Objects made per entry (no
 * copies) still stop at 64 remembered.
 */
const ALWAYS_REMEMBERED = 64;
const MAX_REMEMBERED = 1 << 16;
/** Encodings longer than this are not remembered (copying them would save little). */
const MAX_REMEMBERED_BYTES = 4096;

export class MetadataBytes {
  // Start and end offset, in the writer's buffer, of each remembered object's encoding.
  private readonly seen = new Map<Labels, number>();
  private readonly ends: number[] = [];
  private copies = 0;

  /** Writes `m` (undefined: no pairs) to `w`; `w` must be the same writer on every call. */
  write(w: ByteWriter, m: Labels | undefined): void {
    if (m === undefined) {
      w.u8(0);
      return;
    }
    const at = this.seen.get(m);
    if (at !== undefined) {
      this.copies++;
      const start = this.ends[2 * at]!;
      const len = this.ends[2 * at + 1]! - start;
      w.ensure(len);
      const b = w.buf;
      const p = w.pos;
      // Short runs (`detected_level=info`) copy faster in a loop than through copyWithin.
      if (len <= 48) for (let i = 0; i < len; i++) b[p + i] = b[start + i]!;
      else b.copyWithin(p, start, start + len);
      w.pos = p + len;
      return;
    }
    const start = w.pos;
    const keys = Object.keys(m);
    w.varint(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      w.str(k);
      w.str(m[k]!);
    }
    const n = this.seen.size;
    if ((n < ALWAYS_REMEMBERED || (this.copies >= n && n < MAX_REMEMBERED)) && w.pos - start <= MAX_REMEMBERED_BYTES) {
      this.seen.set(m, this.ends.length >>> 1);
      this.ends.push(start, w.pos);
    }
  }
}
