/**
 * A minimal protobuf wire-format reader and writer (varints, fixed32/64, length-delimited).
 * Hand-written because the push path decodes millions of small messages: a generic library's
 * per-message object allocation and reflection cost more than the decoding itself.
 * Spec: https://protobuf.dev/programming-guides/encoding/
 */
import { LogwharfError } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;

/** Thrown for malformed input; the message says what and where. */
export function protoError(what: string, pos: number): LogwharfError {
  return new LogwharfError('invalid_push', `malformed protobuf: ${what} at byte ${pos}`);
}

export class ProtoReader {
  readonly buf: Buffer;
  pos: number;
  /** End of the message being read; narrowed while reading a nested message. */
  end: number;
  /** fixed64's last high word and its BigInt (see fixed64). */
  private hi = 0;
  private hiBig = 0n;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Reads a tag; returns field number << 3 | wire type, as sent. */
  tag(): number {
    const t = this.uint32();
    if (t >>> 3 === 0) throw protoError('field number 0', this.pos);
    return t;
  }

  /** A varint that must fit in 32 bits (tags, lengths, enums, uint32). Longer varints are truncated as protobuf does. */
  uint32(): number {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    if (p >= end) throw protoError('truncated varint', p);
    let c = b[p++]!;
    let v = c & 0x7f;
    if (c < 0x80) {
      this.pos = p;
      return v;
    }
    let shift = 7;
    for (;;) {
      if (p >= end) throw protoError('truncated varint', p);
      c = b[p++]!;
      if (shift < 32) v |= (c & 0x7f) << shift;
      if (c < 0x80) break;
      shift += 7;
      if (shift >= 70) throw protoError('varint longer than 10 bytes', p);
    }
    this.pos = p;
    return v >>> 0;
  }

  /**
   * A 64-bit varint as a JS number when it is exactly representable (|v| < 2^53), else as bigint.
   * Negative int64 values arrive as 10-byte two's complement varints.
   */
  int64(): number | bigint {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let c: number;
    // low 28 bits
    do {
      if (p >= end) throw protoError('truncated varint', p);
      c = b[p++]!;
      if (shift < 28) lo |= (c & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (c & 0x0f) << 28;
        hi = (c & 0x7f) >> 4;
      } else hi |= (c & 0x7f) << (shift - 32);
      shift += 7;
      if (c >= 0x80 && shift >= 70) throw protoError('varint longer than 10 bytes', p);
    } while (c >= 0x80);
    this.pos = p;
    lo >>>= 0;
    hi >>>= 0;
    if (hi < 0x200000) return hi * TWO_32 + lo; // < 2^53
    const u = (BigInt(hi) << 32n) | BigInt(lo);
    const s = BigInt.asIntN(64, u);
    if (s > -9007199254740992n && s < 0n) return Number(s);
    return s;
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw protoError('truncated fixed32', this.pos);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * Unsigned fixed64 as bigint. OTLP's nanosecond timestamps are fixed64, one or two per record:
   * `readBigUInt64LE` makes four BigInts for each (both halves, a shift, a sum), all garbage but the
   * last. Consecutive timestamps share their high word (it changes every ~4.3 s), so its shifted
   * BigInt is kept and each value costs the low word's BigInt and the sum; zero (an absent
   * observed time) costs nothing.
   */
  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw protoError('truncated fixed64', this.pos);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    if (hi !== this.hi) {
      this.hi = hi;
      this.hiBig = BigInt(hi) << 32n;
    }
    return lo === 0 ? this.hiBig : this.hiBig + BigInt(lo);
  }

  double(): number {
    if (this.pos + 8 > this.end) throw protoError('truncated double', this.pos);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix and returns the end offset of the field's bytes, checked against the message end. */
  lenEnd(): number {
    const start = this.pos;
    const n = this.uint32();
    // uint32() truncates to 32 bits; a negative int32 length would look huge, so any overflow fails here.
    const e = this.pos + n;
    if (e > this.end) throw protoError(`length ${n} exceeds message`, start);
    return e;
  }

  string(): string {
    const e = this.lenEnd();
    // utf8Slice skips toString()'s argument checks, which cost more than decoding a short line.
    const s = this.pos === e ? '' : (this.buf as unknown as { utf8Slice(start: number, end: number): string }).utf8Slice(this.pos, e);
    this.pos = e;
    return s;
  }

  bytes(): Buffer {
    const e = this.lenEnd();
    const v = this.buf.subarray(this.pos, e);
    this.pos = e;
    return v;
  }

  /** Skips a field of the given wire type (unknown fields are ignored, as protobuf requires). */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.int64();
        return;
      case WIRE_FIXED64:
        if (this.pos + 8 > this.end) throw protoError('truncated fixed64', this.pos);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.lenEnd();
        return;
      case WIRE_FIXED32:
        if (this.pos + 4 > this.end) throw protoError('truncated fixed32', this.pos);
        this.pos += 4;
        return;
      default:
        // Groups (3, 4) are long deprecated and never used by Loki or OTLP.
        throw protoError(`unsupported wire type ${wireType}`, this.pos);
    }
  }

  /** Throws unless the field has the expected wire type. */
  expect(tag: number, wireType: number, field: string): void {
    if ((tag & 7) !== wireType) throw protoError(`field ${field} has wire type ${tag & 7}, expected ${wireType}`, this.pos);
  }
}

/** A growable protobuf writer. Length-delimited fields are written by reserving space and back-patching. */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  uint32(v: number): void {
    this.ensure(5);
    const b = this.buf;
    v >>>= 0;
    while (v > 0x7f) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }

  tag(field: number, wireType: number): void {
    this.uint32((field << 3) | wireType);
  }

  /** int64/uint64 varint from a number (integral) or bigint; negatives as 10-byte two's complement. */
  int64(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
      this.uint32(v);
      return;
    }
    // Seconds since the epoch are bigints below 2^32: written as numbers, they allocate no BigInts
    // (the agent encodes one per entry; issue #17).
    if (typeof v === 'bigint' && v >= 0n && v <= 0xffffffffn) {
      this.uint32(Number(v));
      return;
    }
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  string(s: string): void {
    // Worst case 3 bytes per UTF-16 unit; write in place, then fix up the length prefix size.
    const max = s.length * 3;
    this.ensure(max + 5);
    const lenPos = this.pos;
    const prefix = max < 0x80 ? 1 : max < 0x4000 ? 2 : max < 0x200000 ? 3 : max < 0x10000000 ? 4 : 5;
    const n = this.buf.write(s, lenPos + prefix, 'utf8');
    this.patchLength(lenPos, prefix, n);
  }

  bytes(b: Uint8Array): void {
    this.uint32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Starts a length-delimited field; returns a mark for `end()`. Reserves 5 bytes for the length. */
  begin(): number {
    this.ensure(5);
    const mark = this.pos;
    this.pos += 5;
    return mark;
  }

  end(mark: number): void {
    const n = this.pos - mark - 5;
    this.patchLength(mark, 5, n);
  }

  /** Writes varint length `n` at `at`, where `reserved` bytes were left for it before `n` bytes of content. */
  private patchLength(at: number, reserved: number, n: number): void {
    const need = n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
    if (need !== reserved) {
      // copyWithin, not copy: Buffer#copy makes a view object at every call.
      this.buf.copyWithin(at + need, at + reserved, at + reserved + n);
    }
    let v = n;
    let p = at;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p++] = v;
    this.pos = at + need + n;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
