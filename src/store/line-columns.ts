/**
 * The columnar lines column of cold blocks (lines mode 2 of ./block-codec.ts; written when
 * `storage.cold_line_columns` is on, read always): each line is split
 * into a template — its text with every variable token replaced by a placeholder — and the
 * variables, which go to columns by the text just before them (in a JSON line `"user_id":"` picks
 * the user ids' column, in logfmt `user=`). Lines of a stream share few templates, and a column
 * holds values of one kind next to each other (all request ids, all durations), which zstd codes
 * in far fewer and cheaper matches than the same values interleaved with keys and punctuation:
 * ~10% fewer body bytes on the shared corpus, and half the compression CPU (docs/benchmarks.md).
 * This is VictoriaLogs' idea of per-field encoding, made format-agnostic: it needs no JSON or
 * logfmt parser (nginx, postgres and Java lines gain too), and decoding is exact by construction
 * (a line is its template with the placeholders filled in order). The price: rebuilding lines costs
 * ~0.5 µs a line more than splitting a text, which full scans of cold data pay — hence opt-in.
 *
 * Variables: a value after '=' (logfmt) or '":' (JSON) — a quoted one up to its closing quote or
 * first backslash, an unquoted one as a token — and elsewhere any token (a maximal run of
 * [0-9A-Za-z._-]) holding a digit (ids, numbers, IPs). Other words stay in the template. A
 * variable's column is picked by the last CONTEXT bytes of literal template text before it
 * (since the previous variable), which the decoder recomputes from the template, so the format
 * stores no column ids: that rule and CONTEXT are part of the format; which tokens are variables
 * is the encoder's choice alone and may change without a format change.
 *
 * Layout (after the lines-mode byte):
 *   varint T · T × template (UTF-8, ended by an unescaped '\n') · count × varint template id ·
 *   varint C · C × varint byte length · the columns' values, each followed by '\n' (UTF-8)
 * In a template, PH (0x1e) stands for the next variable and ESC (0x1f) makes the next byte literal
 * (a PH, ESC or '\n' of the line). Columns are numbered by first use, templates in order.
 * Free of side effects: query workers import it.
 */
import type { ByteReader, ByteWriter } from './bytes.js';
import { splitJoinedLines } from './joined-lines.js';

const PH = 0x1e;
const ESC = 0x1f;
/** Characters of literal text before a variable that pick its column. */
const CONTEXT = 16;
/** Blocks with more distinct templates than this share of their lines are stored as plain text. */
const MAX_TEMPLATE_SHARE = 0.5;

// Token characters: ASCII letters, digits, '.', '_', '-'.
const TOKEN = new Uint8Array(128);
for (let c = 48; c <= 57; c++) TOKEN[c] = 2; // digits
for (let c = 65; c <= 90; c++) TOKEN[c] = 1;
for (let c = 97; c <= 122; c++) TOKEN[c] = 1;
TOKEN[46] = TOKEN[95] = TOKEN[45] = 1;

function escapeLiteral(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === PH || c === ESC || c === 10) {
      out += s.slice(from, i) + String.fromCharCode(ESC, c);
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** The column key of a variable: the last CONTEXT bytes (UTF-8, as latin1 text) of the escaped literal before it. */
function contextOf(lit: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u007f]/.test(lit)) return lit.length > CONTEXT ? lit.slice(-CONTEXT) : lit;
  const b = Buffer.from(lit, 'utf8');
  return b.toString('latin1', Math.max(0, b.length - CONTEXT));
}

interface Template {
  id: number;
  columns: number[];
}

/**
 * Writes `lines` as the columnar layout above (without the mode byte) and returns true, or writes
 * nothing and returns false when the lines share too few templates to gain (the caller then
 * stores them as text).
 */
export function writeLineColumns(w: ByteWriter, lines: readonly string[]): boolean {
  const n = lines.length;
  const templates = new Map<string, Template>();
  const order: string[] = [];
  const columnOf = new Map<string, number>();
  const columns: string[][] = [];
  const ids = new Uint32Array(n);
  const maxTemplates = Math.max(16, n * MAX_TEMPLATE_SHARE);
  const vars: string[] = [];
  const contexts: string[] = [];
  for (let i = 0; i < n; i++) {
    const line = lines[i]!;
    let tpl = '';
    let last = 0; // end of the previous variable
    vars.length = 0;
    contexts.length = 0;
    const len = line.length;
    let p = 0;
    while (p < len) {
      const c = line.charCodeAt(p);
      // A value position: after '=' (logfmt) or '":' (JSON).
      const prev = p > 0 ? line.charCodeAt(p - 1) : 0;
      const value = prev === 61 || (prev === 58 && p > 1 && line.charCodeAt(p - 2) === 34);
      if (c === 34 && value) {
        // A quoted value: its text up to the closing quote (or a backslash) is the variable.
        const start = p + 1;
        let e = start;
        while (e < len) {
          const d = line.charCodeAt(e);
          if (d === 34 || d === 92 || d === 10) break;
          e++;
        }
        p = e;
        if (e === start) continue;
        const lit = escapeLiteral(line.slice(last, start));
        tpl += lit + '\u001e';
        contexts.push(contextOf(lit));
        vars.push(line.slice(start, e));
        last = e;
        continue;
      }
      if (c >= 128 || TOKEN[c] === 0) {
        p++;
        continue;
      }
      const start = p;
      let digit = false;
      while (p < len) {
        const d = line.charCodeAt(p);
        if (d >= 128) break;
        const k = TOKEN[d]!;
        if (k === 0) break;
        if (k === 2) digit = true;
        p++;
      }
      if (!digit && !value) continue;
      const lit = escapeLiteral(line.slice(last, start));
      tpl += lit + '\u001e';
      contexts.push(contextOf(lit));
      vars.push(line.slice(start, p));
      last = p;
    }
    tpl += escapeLiteral(line.slice(last));
    let t = templates.get(tpl);
    if (!t) {
      if (order.length >= maxTemplates) return false;
      const cols = contexts.map((ctx) => {
        let k = columnOf.get(ctx);
        if (k === undefined) {
          k = columns.length;
          columnOf.set(ctx, k);
          columns.push([]);
        }
        return k;
      });
      t = { id: order.length, columns: cols };
      templates.set(tpl, t);
      order.push(tpl);
    }
    ids[i] = t.id;
    const cols = t.columns;
    for (let j = 0; j < vars.length; j++) columns[cols[j]!]!.push(vars[j]!);
  }
  w.varint(order.length);
  for (const tpl of order) {
    w.ensure(tpl.length * 3 + 1);
    w.pos += w.buf.write(tpl, w.pos, 'utf8');
    w.buf[w.pos++] = 10;
  }
  for (let i = 0; i < n; i++) w.varint(ids[i]!);
  const colTexts = columns.map((col) => (col.length > 0 ? col.join('\n') + '\n' : ''));
  w.varint(columns.length);
  for (const text of colTexts) w.varint(Buffer.byteLength(text, 'utf8'));
  for (const text of colTexts) {
    w.ensure(text.length * 3);
    w.pos += w.buf.write(text, w.pos, 'utf8');
  }
  return true;
}

/**
 * Reads the layout above (after the mode byte) back into `n` lines. The lines are assembled as
 * bytes in one buffer and decoded to one string that the lines are sliced from, as the joined
 * text layout is read: building them from string pieces cost twice the decode time.
 * Throws RangeError on a malformed column.
 */
export function readLineColumns(r: ByteReader, n: number): string[] {
  const t = r.varint();
  if (t > n + 16) throw new RangeError('too many line templates');
  // Unescaped literal bytes of all templates; piece j of template i is lits[pieceAt[2(colStart[i] + i + j)] ..
  // pieceAt[2(colStart[i] + i + j) + 1]); its variables' columns, cols[colStart[i] + j], by their contexts.
  const buf = r.buf;
  let q = r.pos;
  const lits = Buffer.allocUnsafe(Math.max(0, buf.length - q));
  const colStart = new Uint32Array(t + 1);
  const litLen = new Uint32Array(t);
  const colsOf: number[] = [];
  const pieces: number[] = [];
  const columnOf = new Map<string, number>();
  let newline = false;
  let o = 0;
  for (let i = 0; i < t; i++) {
    const first = o;
    pieces.push(o);
    let seg = q; // start of the escaped literal before the next variable
    for (;;) {
      if (q >= buf.length) throw new RangeError('truncated line template');
      let c = buf[q++]!;
      if (c === 10) break;
      if (c === PH) {
        const key = buf.toString('latin1', Math.max(seg, q - 1 - CONTEXT), q - 1);
        let k = columnOf.get(key);
        if (k === undefined) columnOf.set(key, (k = columnOf.size));
        colsOf.push(k);
        pieces.push(o, o);
        seg = q;
        continue;
      }
      if (c === ESC) {
        if (q >= buf.length) throw new RangeError('truncated escape in a line template');
        c = buf[q++]!;
        if (c === 10) newline = true;
      }
      lits[o++] = c;
    }
    pieces.push(o);
    litLen[i] = o - first;
    colStart[i + 1] = colsOf.length;
  }
  r.pos = q;
  const cols = Uint32Array.from(colsOf);
  const pieceAt = Uint32Array.from(pieces);
  const ids = new Uint32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const id = r.varint();
    if (id >= t) throw new RangeError('line template id out of range');
    ids[i] = id;
    total += litLen[id]! + 1;
  }
  const c = r.varint();
  const cursor = new Int32Array(c);
  const colEnd = new Int32Array(c);
  let cl = 0;
  for (let i = 0; i < c; i++) {
    cursor[i] = cl;
    cl += r.varint();
    colEnd[i] = cl;
  }
  const colBytes = r.bytes(cl);
  total += cl;
  const out = Buffer.allocUnsafe(total);
  const ends = newline ? new Uint32Array(n) : undefined;
  const at = assemble({ ids, colStart, pieceAt, lits, cols, cursor, colEnd, colBytes, out, ends });
  if (ends) {
    const lines: string[] = new Array(n);
    let from = 0;
    for (let i = 0; i < n; i++) {
      lines[i] = out.toString('utf8', from, ends[i]!);
      from = ends[i]!;
    }
    return lines;
  }
  // The assembled lines end in '\n' each: split as the joined-lines column is (./joined-lines.ts).
  return splitJoinedLines(out.subarray(0, Math.max(0, at - 1)), n);
}

interface Assembly {
  ids: Uint32Array;
  colStart: Uint32Array;
  pieceAt: Uint32Array;
  lits: Uint8Array;
  cols: Uint32Array;
  cursor: Int32Array;
  colEnd: Int32Array;
  colBytes: Uint8Array;
  out: Uint8Array;
  ends: Uint32Array | undefined;
}

/** Fills `out` with the lines ('\n' after each unless `ends` takes their ends); returns the bytes written. Its own function: V8 optimises the hot loop better. */
function assemble(a: Assembly): number {
  const { ids, colStart, pieceAt, lits, cols, cursor, colEnd, colBytes, out, ends } = a;
  const n = ids.length;
  const c = cursor.length;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    const c0 = colStart[id]!;
    const k = colStart[id + 1]! - c0;
    let pp = 2 * (c0 + id);
    for (let j = 0; ; j++) {
      for (let b = pieceAt[pp]!, e = pieceAt[pp + 1]!; b < e; b++) out[at++] = lits[b]!;
      pp += 2;
      if (j === k) break;
      const col = cols[c0 + j]!;
      if (col >= c) throw new RangeError('line column out of range');
      let v = cursor[col]!;
      const ve = colEnd[col]!;
      for (;;) {
        if (v >= ve) throw new RangeError('line column exhausted');
        const ch = colBytes[v++]!;
        if (ch === 10) break;
        out[at++] = ch;
      }
      cursor[col] = v;
    }
    if (ends) ends[i] = at;
    else out[at++] = 10;
  }
  return at;
}

/** Moves `r` past the layout above (after the mode byte) without decoding it. */
export function skipLineColumns(r: ByteReader, n: number): void {
  const t = r.varint();
  const buf = r.buf;
  let q = r.pos;
  for (let i = 0; i < t; i++) {
    for (;;) {
      if (q >= buf.length) throw new RangeError('truncated line template');
      const c = buf[q++]!;
      if (c === 10) break;
      if (c === ESC) q++;
    }
  }
  r.pos = q;
  for (let i = 0; i < n; i++) r.varint();
  const c = r.varint();
  let cl = 0;
  for (let i = 0; i < c; i++) cl += r.varint();
  r.bytes(cl);
}

