/**
 * The agent's data model (issue #4): what discovery finds (targets), what readers produce (lines
 * with positions), and how positions make "no loss, no duplicates" work.
 *
 * The flow for one source: a reader yields batches of lines with the position just after them → the
 * source's pipeline turns lines into entries → the shipper acknowledges the batch once the server
 * (or the disk buffer) has it → only then is the position committed, and the positions file is
 * written atomically. After a crash the reader resumes at the committed position; lines between it
 * and the crash are sent again with the same timestamps (from the runtime), so the server drops them
 * as exact duplicates.
 */
import type { Labels } from '../api/model.js';

export type StreamName = 'stdout' | 'stderr';

/** One log line as read from a source, before the pipeline. */
export interface LogLine {
  /** Nanoseconds since the epoch: the runtime's timestamp (Docker json-file `time`, CRI prefix), or read time for plain files. */
  ts: bigint;
  /** The text without its trailing newline; partial records already joined. */
  line: string;
  /** stdout/stderr for container logs; absent for plain files. */
  stream?: StreamName;
  /** Set on the pieces of a line that was longer than max_line_bytes and had to be split. */
  truncated?: boolean;
}

/** Where a file reader is: the file by device and inode (paths move on rotation) and a byte offset. */
export interface FilePosition {
  kind: 'file';
  /** The path the file had when last seen (a hint; dev+ino identify it). */
  path: string;
  dev: number;
  ino: number;
  /** Bytes of the file consumed: every complete line before it has been produced. */
  offset: number;
}

/** Where a Docker logs-endpoint reader is: the newest runtime timestamp produced (ns, decimal). */
export interface SincePosition {
  kind: 'since';
  ts: string;
}

export type Position = FilePosition | SincePosition;

/** A batch of lines and the position just after the last of them. */
export interface ReadBatch {
  lines: LogLine[];
  position: Position;
  /** Raw bytes consumed from the source for these lines (for metrics and in-flight accounting). */
  bytes: number;
}

/** Counters a reader reports; each becomes a reason or event in the agent's metrics. */
export type ReaderEvent =
  | 'invalid_utf8' // a line held invalid UTF-8 (replaced by U+FFFD)
  | 'nul_bytes' // a line held NUL bytes (kept)
  | 'malformed_record' // a json-file or CRI record that could not be parsed (skipped)
  | 'split_line' // a line longer than max_line_bytes was split
  | 'truncated_file' // the file shrank under the reader (copytruncate); reading restarted at 0
  | 'rotation' // the file was rotated; the reader finished the old one and moved on
  | 'lost_rotated'; // a rotated file the reader had not finished was gone (or gzipped) when looked for

/**
 * Produces a source's lines in order. Pull-based: the caller asks for the next batch only when it has
 * room, so a slow or absent server pauses reading (the file is the buffer).
 */
export interface LineReader {
  /**
   * The next batch of complete lines; waits while there is nothing new. Resolves `undefined` once the
   * reader is closed, or after `drain()` when everything up to the end has been produced.
   */
  next(): Promise<ReadBatch | undefined>;
  /** Read to the end of what exists now (container exited, file gone), then finish. */
  drain(): void;
  /** Stops at once and releases every file descriptor. */
  close(): Promise<void>;
  /** File descriptors this reader holds now (0, 1, or 2 while finishing a rotated file). */
  readonly openFiles: number;
}

export type LineFormat = 'docker-json' | 'cri' | 'raw';

/** How to read a target's lines. */
export type ReaderSpec =
  | { type: 'file'; path: string; format: LineFormat }
  | { type: 'docker-logs'; containerId: string };

export type TargetKind = 'docker' | 'kubernetes' | 'file';

/** Something discovery found to collect: one container, one pod container's log file, or one plain file. */
export interface Target {
  /** Stable across agent restarts: `docker:<full id>`, `k8s:<pod uid>/<container>/<n>`, `file:<path>`. Keys the positions file. */
  id: string;
  kind: TargetKind;
  /** Stream labels before relabelling. Names starting with `__` (e.g. __meta_docker_container_label_x) are visible to relabel rules only. */
  labels: Labels;
  reader: ReaderSpec;
  /** What the sources registry shows about it. */
  info: TargetInfo;
}

export interface TargetInfo {
  node?: string;
  container?: string;
  containerId?: string;
  /** The container's init process on the host, where its cgroup and network figures are read (not reported). */
  pid?: number;
  pod?: string;
  namespace?: string;
  image?: string;
  file?: string;
}

/** What a discovery tells the agent. */
export interface DiscoverySink {
  /** A new target, or new labels for a known one (pod metadata arriving after the files). */
  upsert(target: Target): void;
  /** The target is gone (container exited, pod deleted, file removed): read it to the end, then stop. */
  finished(id: string): void;
  /** A discovery problem worth showing (API unreachable, permission denied); discovery keeps retrying. */
  error(source: string, err: Error): void;
}

export interface Discovery {
  start(): Promise<void>;
  close(): Promise<void>;
}
