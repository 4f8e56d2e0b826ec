/**
 * Little-endian byte writer and reader with LEB128 varints, shared by the WAL, the block payload
 * codec and the index files. Kept free of side effects so a worker thread can load it.
 */

// One 64-bit integer's bytes, in the platform's order; written little-endian either way.
const I64 = new BigInt64Array(1);
const I64_BYTES = new Uint8Array(I64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class ByteWriter {
  buf: Buffer;
  pos = 0;

  /** `initial`: a size, or a buffer to write into first (it is replaced when it runs out). */
  constructor(initial: number | Buffer = 4096) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  i64(v: bigint): void {
    this.ensure(8);
    // Through a typed array: Buffer#writeBigInt64LE does five BigInt operations (each a new BigInt)
    // per call, a visible share of the WAL encoding at one timestamp per entry. Out of range
    // still throws a RangeError (BigInt64Array would wrap, so check first).
    if (v !== BigInt.asIntN(64, v)) throw new RangeError(`i64 out of range: ${v}`);
    I64[0] = v;
    const b = this.buf;
    const p = this.pos;
    if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) b[p + i] = I64_BYTES[i]!;
    else for (let i = 0; i < 8; i++) b[p + i] = I64_BYTES[7 - i]!;
    this.pos = p + 8;
  }

  /** Unsigned varint for integers up to 2^53. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  /**
   * Length-prefixed UTF-8 string, encoded in one pass: the length prefix is sized for the worst
   * case (3 bytes per UTF-16 unit) and written afterwards as a padded varint (LEB128 allows
   * redundant 0x80 groups), so no separate Buffer.byteLength pass is needed. Returns the offset
   * of the bytes (after the prefix); they end at `pos`.
   */
  str(s: string): number {
    const max = s.length * 3;
    const k = max < 0x80 ? 1 : max < 0x4000 ? 2 : max < 0x200000 ? 3 : max < 0x10000000 ? 4 : 5;
    // Near the end of the buffer the worst case may not fit while the real bytes do: count them
    // then rather than double a buffer sized for them (a WAL record's last lines did, a copy of
    // the whole record each time). The prefix stays sized by `max`, so the bytes are the same.
    if (this.pos + max + k > this.buf.length) this.ensure(Buffer.byteLength(s) + k);
    const start = this.pos;
    let n = this.buf.write(s, start + k, 'utf8');
    this.pos = start + k + n;
    const b = this.buf;
    for (let i = 0; i < k - 1; i++) {
      b[start + i] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    b[start + k - 1] = n;
    return start + k;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class ByteReader {
  pos: number;

  constructor(readonly buf: Buffer, pos = 0) {
    this.pos = pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError('truncated record');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  varint(): number {
    const b = this.buf;
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= b.length) throw new RangeError('truncated varint');
      const c = b[this.pos++]!;
      v += (c & 0x7f) * mul;
      if (c < 0x80) return v;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new RangeError('varint too long');
    }
  }

  str(): string {
    const n = this.varint();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}
