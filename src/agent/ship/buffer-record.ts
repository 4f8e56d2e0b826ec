/**
 * One item of the disk buffer as bytes. JSON with timestamps as decimal strings: bigint
 * nanoseconds round-trip exactly, and a record stays readable with `jq` when debugging.
 */
import type { Entry, StreamPush } from '../../api/model.js';

export interface BufferedItem {
  streams: StreamPush[];
  lines: number;
  /** Bytes of log lines (what batch_size counts). */
  bytes: number;
}

type WireEntry = [ts: string, line: string, metadata?: Record<string, string>];
interface WireItem {
  n: number;
  b: number;
  s: { l: Record<string, string>; e: WireEntry[] }[];
}

export function encodeBufferedItem(item: BufferedItem): Buffer {
  const wire: WireItem = {
    n: item.lines,
    b: item.bytes,
    s: item.streams.map((s) => ({
      l: s.labels,
      e: s.entries.map((e): WireEntry => (e.metadata ? [e.ts.toString(), e.line, e.metadata] : [e.ts.toString(), e.line])),
    })),
  };
  return Buffer.from(JSON.stringify(wire));
}

/** Throws when the payload is not a record this module wrote (the checksum passed, so that is a bug or a foreign file). */
export function decodeBufferedItem(payload: Buffer): BufferedItem {
  const wire = JSON.parse(payload.toString('utf8')) as WireItem;
  if (typeof wire.n !== 'number' || typeof wire.b !== 'number' || !Array.isArray(wire.s)) throw new Error('not a disk buffer record');
  return {
    lines: wire.n,
    bytes: wire.b,
    streams: wire.s.map((s) => ({
      labels: s.l,
      entries: s.e.map(([ts, line, metadata]): Entry => (metadata ? { ts: BigInt(ts), line, metadata } : { ts: BigInt(ts), line })),
    })),
  };
}
