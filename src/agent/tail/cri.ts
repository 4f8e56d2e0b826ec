/**
 * The CRI log format the kubelet writes under /var/log/pods: `<RFC3339Nano> <stdout|stderr> <tags> <text>`.
 * Tags are `:`-separated; the first is `P` (partial: the line continues in the next record of the
 * same stream) or `F` (full, the last piece). The runtime splits long lines (16 KiB in containerd).
 */
import type { StreamName } from '../model.js';
import type { TimestampParser } from './timestamp.js';

/** One parsed record; readers reuse one object for every line to avoid allocations. */
export interface CriRecord {
  ts: bigint;
  stream: StreamName;
  text: string;
  partial: boolean;
}

export function emptyCriRecord(): CriRecord {
  return { ts: 0n, stream: 'stdout', text: '', partial: false };
}

/** Parses one CRI line (without its newline) into `into`; false for a malformed record. */
export function parseCriLine(line: string, parseTs: TimestampParser, into: CriRecord): boolean {
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) return false;
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) return false;
  let stream: StreamName;
  if (sp2 - sp1 === 7 && line.startsWith('stdout', sp1 + 1)) stream = 'stdout';
  else if (sp2 - sp1 === 7 && line.startsWith('stderr', sp1 + 1)) stream = 'stderr';
  else return false;
  // The text may be empty, and some writers then leave out the space after the tags.
  let sp3 = line.indexOf(' ', sp2 + 1);
  if (sp3 < 0) sp3 = line.length;
  if (sp3 === sp2 + 1) return false;
  const tag = line.charCodeAt(sp2 + 1);
  if (tag !== 80 /* P */ && tag !== 70 /* F */) return false;
  if (sp3 > sp2 + 2 && line.charCodeAt(sp2 + 2) !== 58 /* : */) return false;
  const ts = parseTs(line.slice(0, sp1));
  if (ts === undefined) return false;
  into.ts = ts;
  into.stream = stream;
  into.partial = tag === 80;
  into.text = sp3 >= line.length ? '' : line.slice(sp3 + 1);
  return true;
}
