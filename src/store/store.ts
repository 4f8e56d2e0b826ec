/**
 * The storage engine's contract. Every implementation runs the shared suite in
 * test/unit/store/store.case.ts. Timestamps are nanoseconds (`bigint`), ranges are inclusive of
 * `from` and exclusive of `to`, as in Loki.
 */
import type { Entry, Labels, StreamPush } from '../api/model.js';
import type { Matcher } from '../logql/syntax/ast.js';
import type { HeadColumns } from './head-columns.js';

export interface AppendResult {
  /** Entries written. */
  accepted: number;
  /** Exact duplicates (same stream, timestamp and line) dropped silently, as Loki does. */
  duplicates: number;
}

/** A stream known to the store. `id` is stable for the life of the data directory. */
export interface StreamInfo {
  id: number;
  /** Sorted label set. */
  labels: Labels;
  /** Canonical label string, `{a="1", b="2"}`. */
  key: string;
}

/**
 * A reference to a unit of stored entries of one stream: a sealed compressed block on disk, or the
 * in-memory head. Plain data, so it can be posted to a query worker thread, which reads the file
 * region itself (src/util/read-region.ts) and decodes it with `decodeBlockPayload` from
 * ./block-codec.ts.
 */
export interface BlockRef {
  streamId: number;
  /** Inclusive time bounds of the entries inside. */
  minTs: bigint;
  maxTs: bigint;
  entries: number;
  /** Uncompressed bytes of lines inside. */
  rawBytes: number;
  /**
   * Where the block lives: a file path with offset and length, or 'head' for in-memory data, as
   * columns (./head-columns.ts: `columnsEntries` makes the entries, `columnsStats` the stats).
   */
  location: { kind: 'file'; path: string; offset: number; length: number } | { kind: 'head'; columns: HeadColumns };
}

export interface StoreStats {
  streams: number;
  /** Sealed blocks plus non-empty heads (what Loki's index stats call chunks). */
  chunks: number;
  entries: number;
  bytes: number;
}

/** One batch of the live-tail feed: entries just appended to one stream. */
export interface TailEvent {
  stream: StreamInfo;
  entries: Entry[];
}

export interface Store {
  /** Opens the data directory: takes its lock, loads the index, replays the WAL. */
  start(): Promise<void>;
  /** Flushes everything durable and releases files. */
  close(): Promise<void>;

  /**
   * Appends entries. Resolves only when they are durable (they survive kill -9 from then on).
   * Rejects with a LogwharfError (code 'store_unavailable', HTTP 503) on disk trouble, writing
   * nothing partial.
   */
  append(tenant: string, streams: StreamPush[]): Promise<AppendResult>;

  /** Streams matching all matchers that have data overlapping [from, to). */
  streams(tenant: string, matchers: Matcher[], from: bigint, to: bigint): StreamInfo[];

  /** Label names of streams with data in [from, to), optionally restricted by matchers. */
  labelNames(tenant: string, from: bigint, to: bigint, matchers?: Matcher[]): string[];
  /** Values of one label, same restrictions. */
  labelValues(tenant: string, name: string, from: bigint, to: bigint, matchers?: Matcher[]): string[];

  /**
   * Block references for the given streams overlapping [from, to), in no particular order.
   * When hints are given, blocks whose token bloom proves they cannot contain a required string are
   * left out.
   */
  blocks(tenant: string, streamIds: number[], from: bigint, to: bigint, hints?: { required: string[][] }): BlockRef[];

  /**
   * Reads a block's entries in time order (ties in append order). A block that fails to decode
   * (damaged on disk) rejects with the error of ./damaged-block.ts (`isDamagedBlock`), which
   * queries skip with a warning; the store quarantines the block.
   */
  readBlock(ref: BlockRef): Promise<Entry[]>;

  /**
   * Optional: a block's timestamps (the order of readBlock), each line's UTF-8 byte length,
   * whether any entry has structured metadata and, when the store has it at hand, each entry's
   * metadata (undefined = none) — without decompressing lines where the block format allows
   * (split regions read only their stats prefix; older blocks are decoded whole; heads answer from
   * memory). Used by range aggregations that need no line (count_over_time, rate,
   * bytes_over_time, bytes_rate, absent_over_time without pipeline or unwrap); metadata becomes
   * part of the series labels there, so a block with metadata but without `metadata` takes
   * readBlock.
   */
  readBlockStats?(ref: BlockRef): Promise<{ ts: BigInt64Array | bigint[]; sizes: Uint32Array; hasMetadata: boolean; metadata?: Array<Labels | undefined> }>;

  stats(tenant: string, matchers: Matcher[], from: bigint, to: bigint): StoreStats;

  /**
   * Optional: a block that does not decode was found by a reader that cannot reach the store (a
   * query worker thread); the store reports and quarantines it (issue #8). Idempotent.
   */
  reportDamagedBlock?(ref: BlockRef, reason: string): void;

  /** Subscribes to newly appended entries of a tenant; returns the unsubscribe function. */
  subscribe(tenant: string, listener: (ev: TailEvent) => void): () => void;
}

/**
 * What queries read: a Store, or a view over one (the multi-tenant union of
 * ../query/tenant-union.ts, which presents several tenants as one).
 */
export type StoreReader = Pick<Store, 'streams' | 'labelNames' | 'labelValues' | 'blocks' | 'readBlock' | 'readBlockStats' | 'reportDamagedBlock'>;
