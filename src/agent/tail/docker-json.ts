/**
 * Docker's json-file log driver: one JSON object per line, `{"log":"…\n","stream":"stdout","time":"…Z"}`.
 * The driver splits lines longer than 16 KiB into several records; every record but the last of a
 * line has a `log` without the trailing newline (a partial).
 */
import type { StreamName } from '../model.js';
import type { TimestampParser } from './timestamp.js';

/** One parsed record; readers reuse one object for every line to avoid allocations. */
export interface DockerJsonRecord {
  ts: bigint;
  stream: StreamName;
  /** The text without its trailing newline. */
  text: string;
  /** The line continues in the next record of the same stream. */
  partial: boolean;
}

export function emptyDockerJsonRecord(): DockerJsonRecord {
  return { ts: 0n, stream: 'stdout', text: '', partial: false };
}

/**
 * Parses one json-file line into `into`. Returns false for a malformed record (not JSON, fields
 * missing or of the wrong type, a time that is not RFC3339), which the caller skips and counts.
 */
export function parseDockerJsonLine(line: string, parseTs: TimestampParser, into: DockerJsonRecord): boolean {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof rec !== 'object' || rec === null) return false;
  const { log, stream, time } = rec as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof log !== 'string' || typeof time !== 'string' || (stream !== 'stdout' && stream !== 'stderr')) return false;
  const ts = parseTs(time);
  if (ts === undefined) return false;
  into.ts = ts;
  into.stream = stream;
  const complete = log.length > 0 && log.charCodeAt(log.length - 1) === 10;
  into.text = complete ? log.slice(0, -1) : log;
  into.partial = !complete;
  return true;
}
