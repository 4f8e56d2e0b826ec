/**
 * Loki's protobuf push message (logproto.PushRequest, pkg/push/push.proto), uncompressed:
 *   PushRequest   { repeated StreamAdapter streams = 1; }
 *   StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 *   EntryAdapter  { google.protobuf.Timestamp timestamp = 1; string line = 2;
 *                   repeated LabelPairAdapter structuredMetadata = 3; }
 *   LabelPairAdapter { string name = 1; string value = 2; }
 *   Timestamp     { int64 seconds = 1; int32 nanos = 2; }
 * Snappy framing lives in ./body.ts.
 */
import { NS_PER_S } from '../time-units.js';
import type { Entry, Labels, PushRequest, StreamPush } from '../model.js';
import { labelsToString } from '../model.js';
import { ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT, protoError } from './protobuf.js';
import { LabelStringError, parseLabelString } from './label-string.js';
import { DEFAULT_MAX_PUSH_ITEMS, clip, setLabel, tooManyItems, type DecodedPush, type InvalidStream } from './decoded-push.js';

const NS = NS_PER_S;

// Entries of a batch mostly share their second: reuse its bigint product.
let lastSec: number | bigint = 0;
let lastSecNs = 0n;

interface DecodeState {
  out: DecodedPush;
  /** Streams by label text: repeated label strings share one stream (ingest would merge them anyway). */
  byText: Map<string, StreamPush>;
  invalidByText: Map<string, InvalidStream>;
  items: number;
  maxItems: number;
}

/**
 * Decodes an uncompressed PushRequest. Throws LogwharfError('invalid_push') on malformed bytes and
 * 413 beyond `maxItems` streams plus entries.
 */
export function decodePushProto(buf: Buffer, maxItems = DEFAULT_MAX_PUSH_ITEMS): DecodedPush {
  const r = new ProtoReader(buf);
  const st: DecodeState = { out: { streams: [], invalid: [] }, byText: new Map(), invalidByText: new Map(), items: 0, maxItems };
  let index = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_LEN, 'PushRequest.streams');
      const end = r.lenEnd();
      decodeStream(r, end, index++, st);
      r.pos = end;
    } else r.skip(tag & 7);
  }
  return st.out;
}

function decodeStream(r: ProtoReader, end: number, index: number, st: DecodeState): void {
  const out = st.out;
  let labelText = '';
  const entries: Entry[] = [];
  let bytes = 0;
  const outerEnd = r.end;
  // Narrow the reader to this message so a bad inner length cannot run past it.
  r.end = end;
  try {
    while (r.pos < end) {
      const tag = r.tag();
      const f = tag >>> 3;
      if (f === 2) {
        r.expect(tag, WIRE_LEN, 'StreamAdapter.entries');
        const e = r.lenEnd();
        if (++st.items > st.maxItems) throw tooManyItems(st.maxItems);
        const entry = decodeEntry(r, e);
        bytes += entry.line.length;
        entries.push(entry);
        r.pos = e;
        r.end = end;
      } else if (f === 1) {
        r.expect(tag, WIRE_LEN, 'StreamAdapter.labels');
        labelText = r.string();
      } else r.skip(tag & 7);
    }
  } finally {
    r.end = outerEnd;
  }
  // A stream without entries adds nothing; skipping it keeps empty streams from costing memory.
  if (entries.length === 0) return;
  const known = st.byText.get(labelText);
  if (known) {
    for (const e of entries) known.entries.push(e);
    return;
  }
  if (++st.items > st.maxItems) throw tooManyItems(st.maxItems);
  const bad = st.invalidByText.get(labelText);
  if (bad) {
    bad.entries += entries.length;
    bad.bytes += bytes;
    return;
  }
  let labels: Labels;
  try {
    labels = parseLabelString(labelText);
  } catch (e) {
    if (!(e instanceof LabelStringError)) throw e;
    const inv = { index, labels: clip(labelText), reason: e.reason, message: e.message, entries: entries.length, bytes };
    st.invalidByText.set(labelText, inv);
    out.invalid.push(inv);
    return;
  }
  const stream = { labels, entries };
  st.byText.set(labelText, stream);
  out.streams.push(stream);
}

function decodeEntry(r: ProtoReader, end: number): Entry {
  r.end = end;
  let ts = 0n;
  let line = '';
  let metadata: Labels | undefined;
  while (r.pos < end) {
    const tag = r.tag();
    const f = tag >>> 3;
    if (f === 2) {
      r.expect(tag, WIRE_LEN, 'EntryAdapter.line');
      line = r.string();
    } else if (f === 1) {
      r.expect(tag, WIRE_LEN, 'EntryAdapter.timestamp');
      const e = r.lenEnd();
      ts = decodeTimestamp(r, e);
      r.end = end;
    } else if (f === 3) {
      r.expect(tag, WIRE_LEN, 'EntryAdapter.structuredMetadata');
      const e = r.lenEnd();
      r.end = e;
      let name = '';
      let value = '';
      while (r.pos < e) {
        const t = r.tag();
        if (t >>> 3 === 1) {
          r.expect(t, WIRE_LEN, 'LabelPairAdapter.name');
          name = r.string();
        } else if (t >>> 3 === 2) {
          r.expect(t, WIRE_LEN, 'LabelPairAdapter.value');
          value = r.string();
        } else r.skip(t & 7);
      }
      r.end = end;
      setLabel((metadata ??= {}), name, value);
    } else r.skip(tag & 7);
  }
  return { ts, line, metadata };
}

function decodeTimestamp(r: ProtoReader, end: number): bigint {
  r.end = end;
  let sec: number | bigint = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.tag();
    const f = tag >>> 3;
    if (f === 1) {
      r.expect(tag, WIRE_VARINT, 'Timestamp.seconds');
      sec = r.int64();
    } else if (f === 2) {
      r.expect(tag, WIRE_VARINT, 'Timestamp.nanos');
      nanos = r.uint32() | 0;
    } else r.skip(tag & 7);
  }
  if (nanos < 0 || nanos > 999_999_999) throw protoError(`Timestamp.nanos ${nanos} out of range`, r.pos);
  if (sec !== lastSec) {
    lastSec = sec;
    lastSecNs = BigInt(sec) * NS;
  }
  return nanos === 0 ? lastSecNs : lastSecNs + BigInt(nanos);
}

/** Encodes a PushRequest (uncompressed). Labels are written in Loki's canonical form. */
export function encodePushProto(req: PushRequest): Buffer {
  let estimate = 64;
  for (const s of req.streams) for (const e of s.entries) estimate += e.line.length + 24;
  const w = new ProtoWriter(Math.min(estimate, 64 * 1024 * 1024));
  for (const s of req.streams) {
    w.tag(1, WIRE_LEN);
    const sm = w.begin();
    writeStream(w, s);
    w.end(sm);
  }
  return w.finish();
}

function writeStream(w: ProtoWriter, s: StreamPush): void {
  w.tag(1, WIRE_LEN);
  w.string(labelsToString(s.labels));
  for (const e of s.entries) {
    w.tag(2, WIRE_LEN);
    const em = w.begin();
    w.tag(1, WIRE_LEN);
    const tm = w.begin();
    let sec = e.ts / NS;
    let nanos = e.ts % NS;
    if (nanos < 0n) {
      nanos += NS;
      sec -= 1n;
    }
    if (sec !== 0n) {
      w.tag(1, WIRE_VARINT);
      w.int64(sec);
    }
    if (nanos !== 0n) {
      w.tag(2, WIRE_VARINT);
      w.uint32(Number(nanos));
    }
    w.end(tm);
    if (e.line.length > 0) {
      w.tag(2, WIRE_LEN);
      w.string(e.line);
    }
    if (e.metadata) {
      for (const name of Object.keys(e.metadata)) {
        w.tag(3, WIRE_LEN);
        const mm = w.begin();
        w.tag(1, WIRE_LEN);
        w.string(name);
        w.tag(2, WIRE_LEN);
        w.string(e.metadata[name]!);
        w.end(mm);
      }
    }
    w.end(em);
  }
}
