/**
 * The token bloom's inner loops as a small WebAssembly module (issue #12, stop 17), assembled
 * here from the instructions below: no toolchain, no binary file in the repository.
 *
 * Why: building a hot block's bloom was ~16% of the server's CPU while ingesting (2M lines,
 * protobuf), and seven JavaScript variants of the byte loop did not make it cheaper (stop 16,
 * docs/benchmarks.md): V8 checks bounds and tags small integers on every byte. Here the loop is
 * the same algorithm as ./bloom.ts describes — FNV-1a over each maximal run of word bytes, tokens of
 * 3 bytes or more, distinct hashes in an open-addressing set, then k bits per hash by double
 * hashing with the same finalisers and the same `(h1 + j·h2) mod bits` — so the bits are exactly
 * those of the JavaScript builder (test/unit/store/bloom-wasm.fuzz.test.ts compares them).
 *
 * Memory (one linear memory, grown by the caller): [0, 256) the word-byte table; [256, 260) a flag
 * set when a token hashes to 0 (the set marks empty slots with 0, so that hash is kept apart);
 * from FREE on the text, the set and the bloom being written, where the caller puts them.
 */

/** Byte offset of the flag set when a token hashes to 0. */
export const ZERO_FLAG = 256;
/** Byte offset of the first free byte (text, set and bloom are placed from here by the caller). */
export const FREE = 1024;

// Opcodes (WebAssembly core specification, binary format).
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const RETURN = 0x0f;
const GET = 0x20;
const SET = 0x21;
const TEE = 0x22;
const LOAD = 0x28;
const LOAD8_U = 0x2d;
const STORE = 0x36;
const STORE8 = 0x3a;
const CONST = 0x41;
const EQZ = 0x45;
const EQ = 0x46;
const GE_U = 0x4f;
const GT_U = 0x4b;
const ADD = 0x6a;
const SUB = 0x6b;
const MUL = 0x6c;
const REM_U = 0x70;
const AND = 0x71;
const OR = 0x72;
const XOR = 0x73;
const SHL = 0x74;
const SHR_U = 0x76;
const VOID = 0x40;
const I32 = 0x7f;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (constants such as the FNV prime are given as int32). */
function sleb(n: number): number[] {
  n |= 0;
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const c32 = (n: number): number[] => [CONST, ...sleb(n)];
const get = (l: number): number[] => [GET, l];
const set = (l: number): number[] => [SET, l];
const tee = (l: number): number[] => [TEE, l];
/** Loads with alignment hint and offset 0. */
const load8 = [LOAD8_U, 0, 0];
const load32 = [LOAD, 2, 0];
const store32 = [STORE, 2, 0];

/** local `h` ← fin1(h) (./bloom.ts: murmur3's finaliser). */
function fin1(h: number): number[] {
  return [
    ...get(h), ...get(h), ...c32(16), SHR_U, XOR, ...set(h),
    ...get(h), ...c32(0x85ebca6b), MUL, ...set(h),
    ...get(h), ...get(h), ...c32(13), SHR_U, XOR, ...set(h),
    ...get(h), ...c32(0xc2b2ae35), MUL, ...set(h),
    ...get(h), ...get(h), ...c32(16), SHR_U, XOR, ...set(h),
  ];
}

/** local `h` ← fin2(h). */
function fin2(h: number): number[] {
  return [
    ...get(h), ...c32(0x9e3779b9), XOR, ...c32(0x2c1b3c6d), MUL, ...set(h),
    ...get(h), ...get(h), ...c32(15), SHR_U, XOR, ...set(h),
    ...get(h), ...c32(0x297a2d39), MUL, ...set(h),
    ...get(h), ...get(h), ...c32(12), SHR_U, XOR, ...c32(1), OR, ...set(h),
  ];
}

/**
 * tokens(p, end, tbl, mask, count) → `count` plus the distinct token hashes of bytes [p, end) not
 * yet in the set at `tbl` (mask + 1 slots, zeroed by the caller before the first call), or -1 once
 * the set is more than half full (the caller doubles it and starts again). Calls may continue a
 * set over pieces of a text cut at separator bytes.
 * Locals: 0 p, 1 end, 2 tbl, 3 mask, 4 count, 5 c, 6 h, 7 from, 8 slot, 9 key.
 */
function tokensBody(): number[] {
  const [p, end, tbl, mask, count, c, h, from, slot, key] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  return [
    1, 5, I32, // five more i32 locals
    BLOCK, VOID, // $done
    LOOP, VOID, // $next: at a byte, or at end
    ...get(p), ...get(end), GE_U, BR_IF, 1,
    ...get(p), ...load8, ...tee(c), ...load8, EQZ,
    IF, VOID, // a separator byte
    ...get(p), ...c32(1), ADD, ...set(p), BR, 1,
    END,
    ...get(p), ...set(from),
    ...c32(0x811c9dc5), ...set(h),
    BLOCK, VOID, // $tokenEnd
    LOOP, VOID,
    ...get(h), ...get(c), XOR, ...c32(0x01000193), MUL, ...set(h),
    ...get(p), ...c32(1), ADD, ...tee(p), ...get(end), GE_U, BR_IF, 1,
    ...get(p), ...load8, ...tee(c), ...load8, BR_IF, 0,
    END,
    END,
    ...get(p), ...get(from), SUB, ...c32(3), GE_U,
    IF, VOID, // a token: insert h
    ...get(h), EQZ,
    IF, VOID,
    ...c32(ZERO_FLAG), ...load32, EQZ,
    IF, VOID,
    ...c32(ZERO_FLAG), ...c32(1), ...store32,
    ...get(count), ...c32(1), ADD, ...set(count),
    END,
    BR, 2, // to $next (if h = 0, if-token, loop $next)
    END,
    ...get(h), ...set(slot), ...fin1(slot), ...get(slot), ...get(mask), AND, ...set(slot),
    LOOP, VOID, // probe
    ...get(slot), ...c32(2), SHL, ...get(tbl), ADD, ...load32, ...tee(key), EQZ,
    IF, VOID, // empty: take it
    ...get(slot), ...c32(2), SHL, ...get(tbl), ADD, ...get(h), ...store32,
    ...get(count), ...c32(1), ADD, ...tee(count), ...c32(1), SHL, ...get(mask), ...c32(1), ADD, GT_U,
    IF, VOID, ...c32(-1), RETURN, END,
    BR, 3, // to $next (if-empty, probe loop, if-token, loop $next)
    END,
    ...get(key), ...get(h), EQ, BR_IF, 2, // present: to $next (probe loop, if-token, loop $next)
    ...get(slot), ...c32(1), ADD, ...get(mask), AND, ...set(slot),
    BR, 0,
    END,
    END,
    BR, 0,
    END,
    END,
    ...get(count),
    END,
  ];
}

/**
 * setBits(tbl, slots, out, m, k): for each hash in the set (and 0 if flagged), k bits of the bloom
 * at byte `out` (m bits, zeroed by the caller), as ./bloom.ts's setBits did. Locals: 0 tbl, 1
 * slots, 2 out, 3 m, 4 k, 5 i, 6 h, 7 h1, 8 h2, 9 j, 10 b, 11 zero (1 while the flagged 0 hash is
 * pending).
 */
function setBitsBody(): number[] {
  const [tbl, slots, out, m, k, i, h, h1, h2, j, b, zero] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  return [
    1, 7, I32,
    ...c32(ZERO_FLAG), ...load32, ...set(zero),
    BLOCK, VOID, // $done
    LOOP, VOID, // $slot
    // next hash: the flagged 0 first, then every non-empty slot
    ...get(zero),
    IF, VOID,
    ...c32(0), ...set(h), ...c32(0), ...set(zero),
    ELSE(),
    BLOCK, VOID, // $found
    LOOP, VOID,
    ...get(i), ...get(slots), GE_U, BR_IF, 4, // to $done (loop, block $found, else, loop $slot, block $done)
    ...get(i), ...c32(2), SHL, ...get(tbl), ADD, ...load32, ...set(h),
    ...get(i), ...c32(1), ADD, ...set(i),
    ...get(h), BR_IF, 1, // to $found
    BR, 0,
    END,
    END,
    END,
    ...get(h), ...set(h1), ...fin1(h1),
    ...get(h), ...set(h2), ...fin2(h2),
    ...c32(0), ...set(j),
    BLOCK, VOID,
    LOOP, VOID,
    ...get(j), ...get(k), GE_U, BR_IF, 1,
    ...get(h1), ...get(j), ...get(h2), MUL, ADD, ...get(m), REM_U, ...set(b),
    // out[b >>> 3] |= 1 << (b & 7)
    ...get(out), ...get(b), ...c32(3), SHR_U, ADD,
    ...get(out), ...get(b), ...c32(3), SHR_U, ADD, ...load8,
    ...c32(1), ...get(b), ...c32(7), AND, SHL, OR,
    STORE8, 0, 0,
    ...get(j), ...c32(1), ADD, ...set(j),
    BR, 0,
    END,
    END,
    BR, 0,
    END,
    END,
    END,
  ];
}

function ELSE(): number {
  return 0x05;
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'utf8')];
}

function moduleBytes(): Uint8Array {
  const tokensType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([[I32]])];
  const setBitsType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([])];
  const code = (body: number[]): number[] => [...uleb(body.length), ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([tokensType, setBitsType])),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, 1]])), // one memory, at least one page, no maximum
    ...section(7, vec([[...name('mem'), 0x02, 0], [...name('tokens'), 0x00, 0], [...name('setBits'), 0x00, 1]])),
    ...section(10, vec([code(tokensBody()), code(setBitsBody())])),
  ]);
}

/** The project's TypeScript libraries do not declare WebAssembly (no DOM lib); what is used here. */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const WA = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (m: object) => { exports: object } } }).WebAssembly;

export interface BloomWasm {
  memory: WasmMemory;
  /** See tokensBody. */
  tokens(p: number, end: number, tbl: number, mask: number, count: number): number;
  /** See setBitsBody. */
  setBits(tbl: number, slots: number, out: number, m: number, k: number): void;
}

let instance: BloomWasm | undefined;

/** The module, compiled once per thread (it is ~700 bytes: synchronous compilation is fine). */
export function bloomWasm(): BloomWasm {
  if (instance) return instance;
  const inst = new WA.Instance(new WA.Module(moduleBytes()));
  const ex = inst.exports as { mem: WasmMemory; tokens: BloomWasm['tokens']; setBits: BloomWasm['setBits'] };
  const word = new Uint8Array(ex.mem.buffer, 0, 256);
  for (let c = 48; c <= 57; c++) word[c] = 1;
  for (let c = 65; c <= 90; c++) word[c] = 1;
  for (let c = 97; c <= 122; c++) word[c] = 1;
  word.fill(1, 0x80, 0x100);
  instance = { memory: ex.mem, tokens: ex.tokens, setBits: ex.setBits };
  return instance;
}
