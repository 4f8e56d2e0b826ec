/**
 * The embedded storage engine (issue 2 §3): a group-committed WAL in front of per-stream in-memory
 * heads, sealed into zstd blocks with token blooms in per-tenant segment files.
 *
 * Exactly-once across crashes: every WAL record has an LSN; a sealed block's index record carries
 * the LSN of the last WAL record whose entries for that stream it (with earlier blocks) contains.
 * A seal always takes a stream's whole head, and the blocks of one seal batch are indexed in one
 * framed (all-or-nothing) index write, so on replay a record is applied to a stream exactly when
 * its LSN is above that stream's sealed LSN — whether or not the WAL was checkpointed after the
 * seal. WAL segments are deleted only once no head holds entries from them; a checkpoint runs
 * after every seal and from the tick whenever one would delete something, and rolls the open
 * segment when every record in it is sealed, so the WAL holds about max_block_age (+ half of it,
 * the segment age) of data rather than a 32 MiB segment's worth (docs/storage.md, "Seal policy").
 */
import { msToNs } from '../api/time-units.js';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Counter, Registry } from 'prom-client';
import client from 'prom-client';
import { LogwharfError } from '../api/errors.js';
import type { Entry, StreamPush } from '../api/model.js';
import { labelsToString } from '../api/model.js';
import { canonicalLabels, labelValue } from './labels.js';
import type { Matcher } from '../logql/syntax/ast.js';
import type { AppendResult, BlockRef, Store, StoreStats, StreamInfo, TailEvent } from './store.js';
import { compressBlock, compressParts, decodeBlockPayload, decodeBlockStats, entriesStats, isSplitRegion, serializeEntries, splitStatsLength, SPLIT_HEADER, STATS_PROBE_BYTES, type BlockStats } from './block-codec.js';
import { BLOCK_HEADER, blockHeader, payloadChecksumOk, readBlockHeader, type BlockMeta } from './block-meta.js';
import { bloomMayContain, bloomProbe, buildBloom, type BloomProbe } from './bloom.js';
import { Head, compareEntries } from './head.js';
import { SealedDigest } from './sealed-digest.js';
import { columnsEntries, columnsStats } from './head-columns.js';
import { storeIoError } from './io-error.js';
import { retentionPolicy, type RetentionConfig, type RetentionPolicy } from './retention.js';
import { SegmentReader } from './segment-reader.js';
import { tenantDirName } from './tenant-dir.js';
import { Tenant, type BuiltBlock, type StreamState } from './tenant.js';
import { Wal, type WalDamage } from './wal.js';
import { DamageReporter } from './damage.js';
import { BlockChecksumError, damagedBlockError } from './damaged-block.js';
import { countDamagedEntries, decodeAppendRecord, encodeAppendRecordLines, type EncodedAppendRecord } from './wal-record.js';
import { compactCold, compactTenant } from './compaction.js';
import { deleteFromTenant, type DeleteSelection, type DeletionResult } from './deletion.js';
import { ColdWorker } from './cold-pool.js';
import { lockDir } from './dir-lock.js';
import { fsyncDir } from '../util/fsync-dir.js';
import { pushAll } from '../util/arrays.js';
import { BufferPool } from '../util/buffer-pool.js';

/** The subset of a pino logger the store uses. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface StoreConfig {
  /** Data directory; created if missing. */
  dir: string;
  /** A stream's head is sealed into a block at this many raw bytes. Default 256 KiB. */
  blockTargetBytes?: number;
  /** A head is sealed once its oldest entry arrived this long ago. Default DEFAULT_MAX_BLOCK_AGE_MS (5 min). */
  maxBlockAgeMs?: number;
  /** A head is sealed after this long without appends. Default 15 min. */
  maxBlockIdleMs?: number;
  /** How often retention and compaction run; 0 disables the timer. Default 10 min. */
  compactionIntervalMs?: number;
  retention?: RetentionConfig;
  /** zstd level for blocks. Default 1 (measured best speed/ratio trade-off). */
  compressionLevel?: number;
  /**
   * Blocks whose newest entry is older than this are merged by compaction into cold blocks of
   * about `coldBlockBytes` raw bytes, recompressed at `coldCompressionLevel`. Negative or
   * infinite: no cold tier. Default 2 h.
   */
  coldAfterMs?: number;
  /**
   * Raw bytes of a cold block. Default DEFAULT_COLD_BLOCK_BYTES (2 MiB since issue #12 stop 17: 1 MiB
   * blocks left the cold tier at 0.122 bytes per raw byte on the bench corpus, 2 MiB at 0.119; 4 MiB
   * reached 0.116 but the compacted query set's peak RSS went from ~165 to 264 MB).
   */
  coldBlockBytes?: number;
  /** zstd level of cold blocks. Default COLD_LEVEL (see docs/benchmarks.md for the choice). */
  coldCompressionLevel?: number;
  /**
   * Cold blocks store their lines as templates and variable columns (block format 3,
   * ./line-columns.ts): ~8% less disk and ~35% less compaction CPU than text; query workers decode
   * both layouts a piece at a time (./block-pieces.ts). Default true since issue #12 stop 17
   * (docs/benchmarks.md, "The cold tier at 0.12"); false writes the text layout.
   */
  coldLineColumns?: boolean;
  /**
   * Cold blooms keep long hex tokens (trace, span and request ids), so a search for one id alone
   * skips cold blocks too, for ~0.003 more bytes per raw byte on the bench corpus. Default false
   * (./cold-bloom.ts, docs/storage.md "Cold blooms").
   */
  coldBloomLongHex?: boolean;
  /** Raw bytes the cold tier recompresses per exclusive section (seals wait at most that long). Default 16 MiB. */
  coldSliceBytes?: number;
  /** Block segment files roll over at this size. Default 64 MiB. */
  segmentBytes?: number;
  /** WAL segment files roll over at this size. Default 32 MiB. */
  walSegmentBytes?: number;
  /** WAL segment files roll over once their first record is this old. Default half of maxBlockAgeMs, at least 1 s. */
  walSegmentAgeMs?: number;
  /** Deleted segment files are unlinked this long after they left the index (running queries may still read them). Default 60 s. */
  unlinkGraceMs?: number;
  /** Wall clock in ms (tests). */
  now?: () => number;
  registry?: Registry;
  log?: StoreLogger;
}

export interface CompactionResult {
  /** Blocks deleted by retention. */
  expiredBlocks: number;
  /** Small blocks merged away, and blocks written by merging. */
  mergedBlocks: number;
  newBlocks: number;
  /** Segment files rewritten (live blocks copied out) or scheduled for deletion. */
  droppedSegments: number;
  /** Blocks merged into the cold tier, cold blocks written, and the raw bytes recompressed. */
  coldMergedBlocks: number;
  coldNewBlocks: number;
  coldRawBytes: number;
}

/** The embedded store, with its maintenance entry points. */
export interface EmbeddedStore extends Store {
  /** Always present here (see Store.readBlockStats). */
  readBlockStats(ref: BlockRef): Promise<BlockStats>;
  /** Seals every head into blocks now (tests, shutdown). */
  flush(): Promise<void>;
  /** Runs retention and compaction once (also run by a timer started in start()). */
  compact(opts?: { unlinkGraceMs?: number }): Promise<CompactionResult>;
  /**
   * Replaces the per-tenant retention (Loki's per-tenant `retention_period` and `retention_stream`
   * from the runtime-config file): a tenant named here is kept by its own config, every other by
   * `StoreConfig.retention`. The next compaction applies it.
   */
  setTenantRetention(perTenant: Record<string, RetentionConfig>): void;
  /**
   * Removes the entries a delete request selects (issue #15): seals every head, rewrites the
   * affected blocks, moves the other blocks of their segment files out and rewrites the index, then
   * rolls the WAL so the files that held the lines can go. Queries stop seeing the entries when it
   * resolves; the old files are unlinked after `unlinkGraceMs` (at the next compaction or close).
   * Idempotent: applying it again removes nothing more.
   */
  deleteEntries(tenant: string, sel: DeleteSelection): Promise<Omit<DeletionResult, 'drop'> & { droppedSegments: number }>;
  /**
   * A consistent snapshot of the stored logs for a backup (issue #15): seals every head (so every
   * entry acknowledged before the call is in a block), then, in the exclusive section, captures each
   * tenant's `tenant`, `streams.log` and `index.log` as bytes and each segment file the index uses up
   * to its last indexed block. Segment files are append-only and are not unlinked until `release()`,
   * so those prefixes stay readable as captured while ingest goes on.
   */
  snapshot(tenants?: (tenant: string) => boolean): Promise<StoreSnapshot>;
}

/** One file of a snapshot: a path relative to the data directory, the bytes that belong to it (a prefix for segments), and its content when captured in memory. */
export interface SnapshotFile {
  path: string;
  size: number;
  content?: Buffer;
}

export interface StoreSnapshot {
  files: SnapshotFile[];
  /** The tenants whose data it holds. */
  tenants: string[];
  /** Whether tenants were left out (the caller's choice). */
  partial: boolean;
  /** Lets compaction unlink segment files again. Idempotent. */
  release(): void;
}

const SEAL_RETRY_MS = 1000;
/**
 * The default seal age (decision, issue #12): 5 minutes, not Loki's 2 h max_chunk_age, so that data
 * leaves the WAL (~1.2 bytes per raw byte) for blocks (~0.2) within 10 minutes of ingest. The many
 * small blocks of quiet streams are merged by the hot compaction (every compaction_interval) and
 * again into the cold tier; docs/benchmarks.md has what it costs.
 */
export const DEFAULT_MAX_BLOCK_AGE_MS = 5 * 60_000;
/**
 * Default zstd level of cold blocks. Measured on 1 MiB per-stream blocks of the shared corpus in
 * the text layout: 15 → 0.160 bytes per raw byte at 23 MB/s, 16 → 0.151 at 7.7 MB/s (zstd's
 * optimal parser starts here), 17 → 0.149 at 7.1 MB/s, 19 → 0.149 at 3.4 MB/s. In the line-columns
 * layout (the default since issue #12 stop 17) 16 is both smaller and faster: lines 0.1025 against
 * 0.1044 at 17 and 0.110 at 18 to 22, ~15% less compression CPU (2M lines; docs/benchmarks.md).
 */
export const COLD_LEVEL = 16;

/** Default raw bytes of a cold block (see `coldBlockBytes`). */
export const DEFAULT_COLD_BLOCK_BYTES = 2 << 20;

interface Work {
  s: StreamState;
  entries: Entry[];
}

export class Engine implements EmbeddedStore {
  private readonly tenants = new Map<string, Tenant>();
  private readonly wal: Wal;
  private readonly target: number;
  private readonly maxAge: number;
  private readonly maxIdle: number;
  private readonly level: number;
  private readonly coldAfter: number;
  private readonly coldTarget: number;
  private readonly coldLevel: number;
  private readonly coldSlice: number;
  private readonly policy: RetentionPolicy;
  /** Tenants with a retention of their own (setTenantRetention); replaced whole, never edited. */
  private tenantPolicies = new Map<string, RetentionPolicy>();
  private readonly now: () => number;
  private readonly reader = new SegmentReader();
  private readonly listeners = new Map<string, Set<(ev: TailEvent) => void>>();
  private state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  private lock: Promise<unknown> = Promise.resolve();
  private sealQueue = new Map<StreamState, Tenant>();
  private sealerRunning = false;
  private sealRetryAt = 0;
  /** Appends between their WAL write and their entries reaching the heads (see checkpoint). */
  private appending = 0;
  private checkpointing = false;
  private timers: NodeJS.Timeout[] = [];
  private unlock: (() => Promise<void>) | undefined;
  private pendingUnlink: Array<{ tenant: Tenant; segment: number; at: number }> = [];
  /**
   * Buffers for WAL records, reused once a record is written and in the heads: each ~1 MB record
   * lives until its fsync, long enough to reach V8's old generation, whose buffers only a full
   * collection frees (docs/benchmarks.md, issue #12 stop 18).
   */
  private readonly recordBuffers = new BufferPool({ maxBuffers: 8, maxBytes: 16 * 1024 * 1024, maxBufferBytes: 8 * 1024 * 1024, idleMs: 2000 });
  private readonly recordBuffer = (n: number): Buffer => this.recordBuffers.get(n);
  private readonly metrics: { appended?: Counter; duplicates?: Counter; sealed?: Counter; errors?: Counter; compactions?: Counter; expired?: Counter<'tenant'> } = {};
  private readonly damage: DamageReporter;
  /** Damaged blocks being (or already) quarantined, by `path@offset`. */
  private readonly quarantining = new Set<string>();
  /** Snapshots being copied: while any is, no segment file is unlinked. */
  private snapshots = 0;

  constructor(private readonly cfg: StoreConfig) {
    this.target = cfg.blockTargetBytes ?? 256 * 1024;
    this.maxAge = cfg.maxBlockAgeMs ?? DEFAULT_MAX_BLOCK_AGE_MS;
    this.maxIdle = cfg.maxBlockIdleMs ?? Math.min(15 * 60_000, this.maxAge);
    this.now = cfg.now ?? Date.now;
    // Records of a segment rolled after half a seal age are all sealed about one seal age later:
    // the WAL keeps ~1.5 × max_block_age of data (at ingest rates that fill 32 MiB faster, less).
    this.wal = new Wal(join(cfg.dir, 'wal'), cfg.walSegmentBytes, cfg.walSegmentAgeMs ?? Math.max(1000, this.maxAge / 2), this.now);
    this.level = cfg.compressionLevel ?? 1;
    this.coldAfter = cfg.coldAfterMs ?? 2 * 3600_000;
    this.coldTarget = cfg.coldBlockBytes ?? DEFAULT_COLD_BLOCK_BYTES;
    this.coldLevel = cfg.coldCompressionLevel ?? COLD_LEVEL;
    // Each slice must be able to make progress, or compaction would loop.
    this.coldSlice = Math.max(1, cfg.coldSliceBytes ?? 16 << 20);
    this.policy = retentionPolicy(cfg.retention);
    let corruptions: Counter<'kind'> | undefined;
    if (cfg.registry) {
      const registers = [cfg.registry];
      this.metrics.appended = new client.Counter({ name: 'logwharf_store_entries_appended_total', help: 'Entries written to the store', registers });
      this.metrics.duplicates = new client.Counter({ name: 'logwharf_store_duplicates_total', help: 'Exact duplicate entries dropped', registers });
      this.metrics.sealed = new client.Counter({ name: 'logwharf_store_blocks_sealed_total', help: 'Blocks sealed from heads', registers });
      this.metrics.errors = new client.Counter({ name: 'logwharf_store_write_errors_total', help: 'Failed appends and seals', registers });
      this.metrics.compactions = new client.Counter({ name: 'logwharf_store_compactions_total', help: 'Runs of retention and compaction completed', registers });
      this.metrics.expired = new client.Counter({ name: 'logwharf_store_retention_deleted_blocks_total', help: 'Blocks deleted by retention, by tenant', labelNames: ['tenant'], registers });
      corruptions = new client.Counter({ name: 'logwharf_store_corruptions_total', help: 'Damaged parts of the data directory found (and quarantined), by kind: wal, streams, index, block, tenant', labelNames: ['kind'], registers });
      // Gauges computed when scraped: no bookkeeping on the write path.
      const engine = this;
      new client.Gauge({
        name: 'logwharf_store_head_bytes',
        help: 'Raw bytes held in memory heads, not yet sealed into blocks',
        registers,
        collect() {
          let bytes = 0;
          for (const t of engine.tenants.values()) for (const st of t.byId.values()) for (const h of [st.head, ...st.sealing]) bytes += h.rawBytes;
          this.set(bytes);
        },
      });
      new client.Gauge({
        name: 'logwharf_store_wal_bytes',
        help: 'Bytes of write-ahead log segment files on disk (held until every head with records in a segment is sealed)',
        registers,
        async collect() {
          this.set((await engine.wal.files()).bytes);
        },
      });
      new client.Gauge({
        name: 'logwharf_store_wal_segments',
        help: 'Write-ahead log segment files on disk',
        registers,
        async collect() {
          this.set((await engine.wal.files()).segments);
        },
      });
      new client.Gauge({
        name: 'logwharf_store_blocks',
        help: 'Sealed blocks on disk',
        registers,
        collect() {
          let n = 0;
          for (const t of engine.tenants.values()) for (const st of t.byId.values()) n += st.blocks.length;
          this.set(n);
        },
      });
      new client.Gauge({
        name: 'logwharf_store_streams',
        help: 'Streams known to the store',
        registers,
        collect() {
          let n = 0;
          for (const t of engine.tenants.values()) n += t.byId.size;
          this.set(n);
        },
      });
    }
    this.damage = new DamageReporter(cfg.dir, cfg.log, corruptions);
  }

  // ---------------------------------------------------------------------------------------------
  // Life cycle

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('store already started');
    this.state = 'starting';
    const started = performance.now();
    const tenantsDir = join(this.cfg.dir, 'tenants');
    try {
      await mkdir(tenantsDir, { recursive: true });
      await mkdir(join(this.cfg.dir, 'wal'), { recursive: true });
      // Make the new directory entries themselves durable before anything in them is.
      await fsyncDir(this.cfg.dir);
      this.unlock = await lockDir(this.cfg.dir);
    } catch (e) {
      this.state = 'new';
      throw storeIoError('write', e, this.cfg.dir);
    }
    for (const name of await readdir(tenantsDir)) {
      const dir = join(tenantsDir, name);
      try {
        if (!(await stat(join(dir, 'tenant'))).isFile()) continue;
      } catch {
        continue;
      }
      const t = await Tenant.load(dir, this.cfg.segmentBytes ?? 64 * 1024 * 1024, this.damage);
      this.tenants.set(t.name, t);
    }
    const now = this.now();
    let replayed = 0;
    const lastWal = await this.wal.replay(
      async (lsn, body) => {
        replayed++;
        await this.replayRecord(lsn, body, now);
      },
      (d) => this.walDamage(d),
    );
    let maxLsn = lastWal;
    for (const t of this.tenants.values()) maxLsn = Math.max(maxLsn, t.maxSealedLsn());
    await this.wal.begin(maxLsn);
    for (const t of this.tenants.values()) for (const s of t.byId.values()) delete s.replayCheckedFrom;
    this.state = 'running';
    if (this.sealQueue.size > 0) this.kickSealer();
    let streams = 0;
    let blocks = 0;
    for (const t of this.tenants.values()) {
      streams += t.byId.size;
      for (const s of t.byId.values()) blocks += s.blocks.length;
    }
    this.cfg.log?.info({ dir: this.cfg.dir, tenants: this.tenants.size, streams, blocks, walRecordsReplayed: replayed, ms: Math.round(performance.now() - started) }, 'store opened');
    const tick = Math.max(20, Math.min(5000, Math.floor(Math.min(this.maxAge, this.maxIdle) / 4)));
    this.timers.push(setInterval(() => this.tick(), tick));
    const every = this.cfg.compactionIntervalMs ?? 600_000;
    if (every > 0) {
      this.timers.push(
        setInterval(() => {
          this.compact().catch((e: unknown) => this.cfg.log?.error({ err: e }, 'compaction failed'));
        }, every),
      );
    }
    for (const t of this.timers) t.unref();
  }

  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (wasRunning) {
      await this.wal.drain();
      for (const t of this.tenants.values()) for (const s of t.byId.values()) this.cut(t, s);
      try {
        await this.exclusive(() => this.sealPending());
        await this.wal.checkpoint(this.minLiveLsn());
      } catch (e) {
        // The WAL still holds whatever could not be sealed; it is replayed at the next start.
        this.cfg.log?.warn({ err: e }, 'could not seal heads at shutdown; they stay in the WAL');
      }
      for (const t of this.tenants.values()) await t.persistStreams().catch(() => {});
      await this.unlinkPending(0);
    }
    await this.wal.close(wasRunning && this.minLiveLsn() === this.wal.next && this.sealQueue.size === 0);
    await this.reader.close();
    for (const t of this.tenants.values()) await t.close();
    await this.unlock?.();
    this.state = 'closed';
  }

  private assertRunning(): void {
    if (this.state !== 'running') throw new LogwharfError('store_unavailable', `store is ${this.state === 'new' ? 'not started' : 'closed'}`);
  }

  /** Runs `fn` after every earlier exclusive section (sealing and compaction never interleave). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  // ---------------------------------------------------------------------------------------------
  // Write path

  async append(tenant: string, streams: StreamPush[]): Promise<AppendResult> {
    this.assertRunning();
    const t = this.tenant(tenant);
    let duplicates = 0;
    const work: Work[] = [];
    for (const p of streams) {
      if (p.entries.length === 0) continue;
      const labels = canonicalLabels(p.labels);
      const s = t.stream(labels, labelsToString(labels));
      let entries = p.entries;
      // Duplicates of sealed data never reach the WAL (retries of an acknowledged push).
      if (s.sealedMaxTs >= 0n && entries.some((e) => e.ts <= s.sealedMaxTs)) {
        if (!s.lastSealed) await this.loadLastSealed(t, s);
        const kept = entries.filter((e) => !this.isSealedDuplicate(s, e));
        duplicates += entries.length - kept.length;
        entries = kept;
      }
      if (entries.length > 0) work.push({ s, entries });
    }
    if (work.length === 0) {
      this.metrics.duplicates?.inc(duplicates);
      return { accepted: 0, duplicates };
    }
    // Counted until applied: a record written but not yet in a head is in no head's LSN range, so
    // while any is, a checkpoint must not take the open segment for sealed.
    this.appending++;
    let r: AppendResult;
    try {
      const rec = encodeAppendRecordLines(tenant, work.map(({ s, entries }) => ({ labels: s.info.labels, key: s.info.key, entries })), this.recordBuffer);
      try {
        const lsn = await this.wal.append(rec.buf).catch((e: unknown) => {
          this.metrics.errors?.inc();
          throw e;
        });
        r = this.apply(t, work, lsn, this.now(), true, rec);
      } finally {
        // Written (or refused) and copied into the heads: nothing reads the record any more.
        this.recordBuffers.put(rec.backing);
      }
    } finally {
      this.appending--;
    }
    duplicates += r.duplicates;
    this.metrics.appended?.inc(r.accepted);
    this.metrics.duplicates?.inc(duplicates);
    return { accepted: r.accepted, duplicates };
  }

  private tenant(name: string): Tenant {
    let t = this.tenants.get(name);
    if (!t) {
      t = Tenant.create(name, join(this.cfg.dir, 'tenants', tenantDirName(name)), this.cfg.segmentBytes ?? 64 * 1024 * 1024);
      this.tenants.set(name, t);
    }
    return t;
  }

  private isSealedDuplicate(s: StreamState, e: Entry): boolean {
    for (const h of s.sealing) if (h.contains(e)) return true;
    return s.lastSealed !== undefined && e.ts <= s.sealedMaxTs && s.lastSealed.contains(e);
  }

  private async loadLastSealed(t: Tenant, s: StreamState): Promise<void> {
    let newest: BlockMeta | undefined;
    for (const b of s.blocks) if (!newest || b.maxTs > newest.maxTs) newest = b;
    if (!newest) {
      s.lastSealed = SealedDigest.empty;
      return;
    }
    const entries = await this.sealedEntries(t, s, newest);
    // A seal may have replaced it meanwhile; then the newer one is kept.
    s.lastSealed ??= SealedDigest.fromEntries(entries);
  }

  /**
   * Applies an acknowledged (or replayed) WAL record to the heads. `rec`: the record as encoded
   * from `work` (same streams and entries, same order), whose line bytes the heads copy.
   */
  private apply(t: Tenant, work: Work[], lsn: number, now: number, notify: boolean, rec?: EncodedAppendRecord): AppendResult {
    let accepted = 0;
    let duplicates = 0;
    // The entries added are collected only for tail listeners; without any, counting is enough.
    const collect = notify && this.listeners.has(t.name);
    const buf = rec?.buf;
    const lines = rec?.lines;
    let j = 0;
    for (const { s, entries } of work) {
      const added: Entry[] | undefined = collect ? [] : undefined;
      let n = 0;
      const h = s.head;
      for (let i = 0; i < entries.length; i++, j += 2) {
        const e = entries[i]!;
        if ((s.sealing.length > 0 || e.ts <= s.sealedMaxTs) && this.isSealedDuplicate(s, e)) {
          duplicates++;
        } else if (lines !== undefined ? h.addEncoded(e, buf!, lines[j]!, lines[j + 1]!, lsn, now) : h.add(e, lsn, now)) {
          n++;
          added?.push(e);
        } else {
          duplicates++;
        }
      }
      accepted += n;
      if (h.rawBytes >= this.target) this.cut(t, s);
      if (added !== undefined && added.length > 0) this.emit(t.name, s.info, added);
    }
    return { accepted, duplicates };
  }

  private async walDamage(d: WalDamage): Promise<void> {
    // LSNs are consecutive, so the intact records around the damage say how many records it held.
    const lostRecords = d.lsnBefore !== undefined && d.lsnAfter !== undefined ? d.lsnAfter - d.lsnBefore - 1 : undefined;
    const records = lostRecords !== undefined ? `${lostRecords} WAL record(s) (LSN ${d.lsnBefore! + 1} to ${d.lsnAfter! - 1})` : `WAL records after LSN ${d.lsnBefore ?? 0}`;
    // Garbage between two consecutive records held no entries.
    const lostEntries = lostRecords === 0 ? 0 : countDamagedEntries(d.content);
    await this.damage.report(
      { kind: 'wal', file: d.path, offset: d.offset, bytes: d.content.length, lostEntries, detail: `${records} failed their checksum and were not replayed (${lostEntries ?? 'an unknown number of'} entries lost); the records after them were` },
      d.content,
    );
  }

  private async replayRecord(lsn: number, body: Buffer, now: number): Promise<void> {
    const rec = decodeAppendRecord(body);
    if (!rec) return;
    const t = this.tenant(rec.tenant);
    const work: Work[] = [];
    for (const { labels, entries } of rec.streams) {
      const canonical = canonicalLabels(labels);
      const s = t.stream(canonical, labelsToString(canonical));
      // Already sealed into blocks before the crash: applying it again would duplicate it.
      if (lsn <= s.sealedLsn) continue;
      // A record after the sealed LSN may still hold entries that were duplicates of data sealed
      // meanwhile (a retried push that raced a seal): check those against the sealed blocks.
      let oldest: bigint | undefined;
      for (const e of entries) if (e.ts <= s.sealedMaxTs && (oldest === undefined || e.ts < oldest)) oldest = e.ts;
      if (oldest !== undefined && (s.replayCheckedFrom === undefined || oldest < s.replayCheckedFrom)) await this.loadSealedSince(t, s, oldest);
      work.push({ s, entries });
    }
    this.apply(t, work, lsn, now, false);
  }

  /** Loads every sealed block of a stream that may hold entries at or after `from`, for duplicate checks during replay. */
  private async loadSealedSince(t: Tenant, s: StreamState, from: bigint): Promise<void> {
    const entries: Entry[] = [];
    for (const b of s.blocks.slice()) {
      if (b.maxTs < from) continue;
      pushAll(entries, await this.sealedEntries(t, s, b));
    }
    entries.sort(compareEntries);
    s.lastSealed = SealedDigest.fromEntries(entries);
    s.replayCheckedFrom = from;
  }

  private emit(tenant: string, stream: StreamInfo, entries: Entry[]): void {
    const ls = this.listeners.get(tenant);
    if (!ls) return;
    for (const l of ls) {
      try {
        l({ stream, entries });
      } catch (e) {
        this.cfg.log?.warn({ err: e }, 'tail listener failed');
      }
    }
  }

  subscribe(tenant: string, listener: (ev: TailEvent) => void): () => void {
    let ls = this.listeners.get(tenant);
    if (!ls) this.listeners.set(tenant, (ls = new Set()));
    ls.add(listener);
    return () => {
      ls.delete(listener);
      if (ls.size === 0 && this.listeners.get(tenant) === ls) this.listeners.delete(tenant);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Sealing heads into blocks

  private cut(t: Tenant, s: StreamState): void {
    const h = s.head;
    if (h.size === 0) return;
    s.sealing.push(h);
    const cap = this.target * 1.5;
    s.head = new Head(Math.min(Math.ceil(h.dataBytes * 1.1), cap), Math.min(Math.ceil(h.size * 1.1), Math.ceil(cap / 64)));
    this.sealQueue.set(s, t);
    this.kickSealer();
  }

  private kickSealer(): void {
    if (this.sealerRunning || this.state !== 'running' || this.now() < this.sealRetryAt) return;
    this.sealerRunning = true;
    setImmediate(() => {
      this.exclusive(() => this.sealPending())
        .catch(() => {})
        .finally(() => {
          this.sealerRunning = false;
          if (this.sealQueue.size > 0) this.kickSealer();
        });
    });
  }

  private tick(): void {
    const now = this.now();
    for (const t of this.tenants.values()) {
      for (const s of t.byId.values()) {
        const h = s.head;
        if (h.size > 0 && (now - h.createdAt >= this.maxAge || now - h.updatedAt >= this.maxIdle)) this.cut(t, s);
      }
    }
    if (this.sealQueue.size > 0) this.kickSealer();
    // Segments rolled by age become deletable when a later seal (of any stream) moves the oldest
    // live LSN past them; the seal's own checkpoint may have come before the roll.
    else if (!this.checkpointing && this.wal.checkpointable(this.minLiveLsn(), this.appending === 0)) {
      this.checkpointing = true;
      this.exclusive(() => this.checkpoint())
        .catch((e: unknown) => this.cfg.log?.warn({ err: e }, 'WAL checkpoint failed; retried at the next tick'))
        .finally(() => (this.checkpointing = false));
    }
  }

  /**
   * Deletes the WAL segments no head needs. `minLiveLsn` and the in-flight count are read in the
   * same synchronous step as the WAL's own check, so no append can slip in between.
   */
  private checkpoint(): Promise<void> {
    if (this.state !== 'running' && this.state !== 'closing') return Promise.resolve();
    return this.wal.checkpoint(this.minLiveLsn(), this.appending === 0);
  }

  async flush(): Promise<void> {
    this.assertRunning();
    await this.wal.drain();
    for (const t of this.tenants.values()) for (const s of t.byId.values()) this.cut(t, s);
    this.sealRetryAt = 0;
    await this.exclusive(() => this.sealPending(true));
  }

  /** Writes every cut head as blocks. Failures leave the heads queued (the WAL still has them). */
  private async sealPending(throwOnError = false): Promise<void> {
    if (this.sealQueue.size === 0) return;
    const byTenant = new Map<Tenant, StreamState[]>();
    for (const [s, t] of this.sealQueue) {
      let l = byTenant.get(t);
      if (!l) byTenant.set(t, (l = []));
      l.push(s);
    }
    this.sealQueue.clear();
    let failure: unknown;
    for (const [t, streams] of byTenant) {
      try {
        await this.sealTenant(t, streams);
      } catch (e) {
        failure ??= e;
        for (const s of streams) if (s.sealing.length > 0) this.sealQueue.set(s, t);
        this.sealRetryAt = this.now() + SEAL_RETRY_MS;
        this.metrics.errors?.inc();
        this.cfg.log?.error({ err: e, tenant: t.name }, 'sealing blocks failed; data stays in the WAL and will be retried');
      }
    }
    await this.checkpoint();
    if (failure !== undefined && throwOnError) throw failure;
  }

  private async sealTenant(t: Tenant, streams: StreamState[]): Promise<void> {
    await t.persistStreams();
    const built: BuiltBlock[] = [];
    const plan: Array<{ s: StreamState; parts: number; blocks: number; last: Head; lsn: number }> = [];
    for (const s of streams) {
      const parts = s.sealing.length;
      if (parts === 0) continue;
      let blocks = 0;
      let lsn = s.sealedLsn;
      for (let i = 0; i < parts; i++) {
        const part = s.sealing[i]!;
        lsn = Math.max(lsn, part.lastLsn);
        if (part.rawBytes <= this.target * 1.5) {
          built.push(this.buildBlockFromHead(s.info.id, part));
          blocks++;
        } else {
          // One huge push: several blocks of about the target size.
          for (const chunk of splitByBytes(part.sortedEntries(), this.target)) {
            built.push(this.buildBlock(s.info.id, chunk, part.lastLsn));
            blocks++;
          }
        }
      }
      plan.push({ s, parts, blocks, last: s.sealing[parts - 1]!, lsn });
    }
    const metas = await t.writeBlocks(built);
    await t.appendIndex(metas);
    let i = 0;
    for (const p of plan) {
      const mine = metas.slice(i, i + p.blocks);
      i += p.blocks;
      pushAll(p.s.blocks, mine);
      p.s.sealing.splice(0, p.parts);
      p.s.sealedLsn = p.lsn;
      for (const m of mine) if (m.maxTs > p.s.sealedMaxTs) p.s.sealedMaxTs = m.maxTs;
      // What stays of the newest sealed head is its digest, for duplicate checks of retried pushes.
      p.s.lastSealed = p.last.digest();
    }
    this.metrics.sealed?.inc(metas.length);
  }

  private buildBlockFromHead(streamId: number, head: Head): BuiltBlock {
    const p = head.sealParts();
    const payload = compressParts(p.ts, p.lines, p.sizes, p.meta, this.level);
    const meta = { streamId, minTs: head.minTs, maxTs: head.maxTs, entries: head.size, rawBytes: head.rawBytes, lsn: head.lastLsn, bloom: head.bloom() };
    return { meta, header: blockHeader(meta, payload), payload };
  }

  /** Builds a block from sorted entries (merges, and huge heads split in several blocks). */
  private buildBlock(streamId: number, entries: Entry[], lsn: number): BuiltBlock {
    const { buf, rawBytes } = serializeEntries(entries);
    const payload = compressBlock(buf, this.level);
    const meta: BuiltBlock['meta'] = {
      streamId,
      minTs: entries[0]!.ts,
      maxTs: entries[entries.length - 1]!.ts,
      entries: entries.length,
      rawBytes,
      lsn,
      bloom: buildBloom(Buffer.from(entries.map((e) => e.line).join('\n'), 'utf8')),
    };
    return { meta, header: blockHeader(meta, payload), payload };
  }

  /** Oldest LSN whose entries are only in a head (WAL segments before it may be deleted). */
  private minLiveLsn(): number {
    let min = this.wal.next;
    for (const t of this.tenants.values()) {
      for (const s of t.byId.values()) {
        if (s.head.size > 0 && s.head.firstLsn < min) min = s.head.firstLsn;
        for (const h of s.sealing) if (h.firstLsn < min) min = h.firstLsn;
      }
    }
    return min;
  }

  // ---------------------------------------------------------------------------------------------
  // Read path

  streams(tenant: string, matchers: Matcher[], from: bigint, to: bigint): StreamInfo[] {
    const t = this.tenants.get(tenant);
    if (!t) return [];
    return t.match(matchers, from, to).map((s) => s.info);
  }

  labelNames(tenant: string, from: bigint, to: bigint, matchers: Matcher[] = []): string[] {
    const names = new Set<string>();
    for (const s of this.streams(tenant, matchers, from, to)) for (const n of Object.keys(s.labels)) names.add(n);
    return [...names].sort();
  }

  labelValues(tenant: string, name: string, from: bigint, to: bigint, matchers: Matcher[] = []): string[] {
    const values = new Set<string>();
    for (const s of this.streams(tenant, matchers, from, to)) {
      const v = labelValue(s.labels, name);
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  blocks(tenant: string, streamIds: number[], from: bigint, to: bigint, hints?: { required: string[][] }): BlockRef[] {
    const t = this.tenants.get(tenant);
    if (!t) return [];
    // `required` is a conjunction of groups; a group holds alternatives (an `or` chain), one of
    // which must occur in a matching line.
    const required = (hints?.required ?? []).filter((g) => g.length > 0);
    const probes: BloomProbe[][] = required.map((g) => g.map(bloomProbe));
    const out: BlockRef[] = [];
    for (const id of streamIds) {
      const s = t.byId.get(id);
      if (!s) continue;
      for (const b of s.blocks) {
        if (b.minTs >= to || b.maxTs < from) continue;
        if (!mayMatch(b.bloom, probes)) continue;
        out.push({
          streamId: id,
          minTs: b.minTs,
          maxTs: b.maxTs,
          entries: b.entries,
          rawBytes: b.rawBytes,
          location: { kind: 'file', path: t.segmentPath(b.segment), offset: b.offset, length: b.length },
        });
      }
      for (const h of [...s.sealing, s.head]) {
        if (h.size === 0 || h.minTs >= to || h.maxTs < from) continue;
        if (required.some((g) => !g.some((needle) => h.mayContain(needle)))) continue;
        // Columns, not entries: a count needs no line, and a worker decodes the lines it needs.
        out.push({ streamId: id, minTs: h.minTs, maxTs: h.maxTs, entries: h.size, rawBytes: h.rawBytes, location: { kind: 'head', columns: h.columns() } });
      }
    }
    return out;
  }

  async readBlock(ref: BlockRef): Promise<Entry[]> {
    if (ref.location.kind === 'head') return columnsEntries(ref.location.columns);
    const { path, offset, length } = ref.location;
    const buf = await this.reader.read(path, offset, length);
    try {
      return decodeBlockPayload(buf);
    } catch (e) {
      throw this.damagedBlock(ref, e);
    }
  }

  /** The error a query gets for a block that does not decode; the block is quarantined meanwhile. */
  private damagedBlock(ref: BlockRef, cause: unknown): LogwharfError {
    const reason = (cause as Error).message;
    this.reportDamagedBlock(ref, reason);
    return damagedBlockError(ref, reason, cause);
  }

  /**
   * A block failed to decode (here or in a query worker): report it, copy it into the quarantine
   * and drop it from the index, so later queries do not meet it again. Idempotent.
   */
  reportDamagedBlock(ref: BlockRef, reason: string): void {
    if (ref.location.kind !== 'file' || this.state !== 'running') return;
    const { path, offset } = ref.location;
    const key = `${path}@${offset}`;
    if (this.quarantining.has(key)) return;
    this.quarantining.add(key);
    void this.exclusive(async () => {
      for (const t of this.tenants.values()) {
        const s = t.byId.get(ref.streamId);
        const b = s?.blocks.find((x) => t.segmentPath(x.segment) === path && x.offset === offset);
        if (s && b) return this.quarantineBlock(t, s, b, reason);
      }
    }).catch((e: unknown) => this.cfg.log?.error({ err: e, file: path, offset }, 'could not quarantine a damaged block'));
  }

  /**
   * Copies a damaged block into the quarantine, drops it from the index and reports it. The caller
   * holds the exclusive section (or is start(), before anything else runs).
   */
  private async quarantineBlock(t: Tenant, s: StreamState, b: BlockMeta, reason: string): Promise<void> {
    const path = t.segmentPath(b.segment);
    this.quarantining.add(`${path}@${b.offset}`);
    if (!s.blocks.includes(b)) return;
    const content = await this.reader.read(path, b.offset - BLOCK_HEADER, b.length + BLOCK_HEADER).catch(() => undefined);
    s.blocks = s.blocks.filter((x) => x !== b);
    await t.rewriteIndex();
    await this.damage.report(
      { kind: 'block', file: path, offset: b.offset - BLOCK_HEADER, bytes: b.length + BLOCK_HEADER, lostEntries: b.entries, detail: `block of stream ${s.info.key} (${b.entries} entries, ${b.minTs} to ${b.maxTs}) is damaged: ${reason}; it is skipped` },
      content,
    );
  }

  /** A sealed block's entries for duplicate checks; a damaged block counts as empty (and is quarantined). */
  private async sealedEntries(t: Tenant, s: StreamState, b: BlockMeta): Promise<Entry[]> {
    const path = t.segmentPath(b.segment);
    const buf = await this.reader.read(path, b.offset, b.length);
    try {
      return decodeBlockPayload(buf);
    } catch (e) {
      const reason = (e as Error).message;
      // During start nothing else runs; later, quarantining waits for the exclusive section.
      if (this.state === 'starting') await this.quarantineBlock(t, s, b, reason);
      else this.reportDamagedBlock({ streamId: s.info.id, minTs: b.minTs, maxTs: b.maxTs, entries: b.entries, rawBytes: b.rawBytes, location: { kind: 'file', path, offset: b.offset, length: b.length } }, reason);
      return [];
    }
  }

  async readBlockStats(ref: BlockRef): Promise<BlockStats> {
    if (ref.location.kind === 'head') return columnsStats(ref.location.columns);
    const { path, offset, length } = ref.location;
    try {
      let buf = await this.reader.read(path, offset, Math.min(length, STATS_PROBE_BYTES));
      // Blocks written before split regions: decode them whole.
      if (!isSplitRegion(buf)) return entriesStats(await this.readBlock(ref));
      const need = SPLIT_HEADER + splitStatsLength(buf);
      if (need > length) throw new RangeError('stats frame beyond the block');
      if (need > buf.length) buf = await this.reader.read(path, offset, need);
      return decodeBlockStats(buf);
    } catch (e) {
      if (e instanceof LogwharfError) throw e;
      throw this.damagedBlock(ref, e);
    }
  }

  stats(tenant: string, matchers: Matcher[], from: bigint, to: bigint): StoreStats {
    const out: StoreStats = { streams: 0, chunks: 0, entries: 0, bytes: 0 };
    const t = this.tenants.get(tenant);
    if (!t) return out;
    for (const s of t.match(matchers, from, to)) {
      let any = false;
      for (const b of s.blocks) {
        if (b.minTs >= to || b.maxTs < from) continue;
        any = true;
        out.chunks++;
        out.entries += b.entries;
        out.bytes += b.rawBytes;
      }
      for (const h of [...s.sealing, s.head]) {
        if (h.size === 0 || h.minTs >= to || h.maxTs < from) continue;
        any = true;
        out.chunks++;
        out.entries += h.size;
        out.bytes += h.rawBytes;
      }
      if (any) out.streams++;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Retention and compaction

  setTenantRetention(perTenant: Record<string, RetentionConfig>): void {
    const next = new Map<string, RetentionPolicy>();
    for (const [tenant, cfg] of Object.entries(perTenant)) next.set(tenant, retentionPolicy(cfg));
    this.tenantPolicies = next;
  }

  private policyFor(tenant: string): RetentionPolicy {
    return this.tenantPolicies.get(tenant) ?? this.policy;
  }

  async compact(opts: { unlinkGraceMs?: number } = {}): Promise<CompactionResult> {
    this.assertRunning();
    const res: CompactionResult = { expiredBlocks: 0, mergedBlocks: 0, newBlocks: 0, droppedSegments: 0, coldMergedBlocks: 0, coldNewBlocks: 0, coldRawBytes: 0 };
    const now = this.now();
    // The cold tier first, in slices (each its own exclusive section, so seals run in between);
    // then retention, hot merges and segment files in one section, which also reclaims the
    // space the cold blocks replaced.
    if (this.coldAfter >= 0 && Number.isFinite(this.coldAfter)) await this.compactColdAll(now, res);
    // Closed meanwhile: the cold slices stopped; the rest waits for the next start.
    if (this.state !== 'running') return res;
    const r = await this.exclusive(() => this.compactNow(opts.unlinkGraceMs ?? this.cfg.unlinkGraceMs ?? 60_000));
    this.metrics.compactions?.inc();
    return { ...res, expiredBlocks: r.expiredBlocks, mergedBlocks: r.mergedBlocks, newBlocks: r.newBlocks, droppedSegments: r.droppedSegments };
  }

  private async compactColdAll(now: number, res: CompactionResult): Promise<void> {
    const coldCutoff = msToNs(now - this.coldAfter);
    const level = this.coldLevel;
    // Started on first use and stopped after the run (see ./cold-build.ts).
    const worker = new ColdWorker();
    const buildColdBlock = async (streamId: number, payloads: Buffer[], lsn: number): Promise<BuiltBlock> => {
      const r = await worker.build(level, payloads, this.cfg.coldLineColumns !== false, this.cfg.coldBloomLongHex === true);
      const payload = Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
      const meta: BuiltBlock['meta'] = { streamId, minTs: r.minTs, maxTs: r.maxTs, entries: r.entries, rawBytes: r.rawBytes, lsn, bloom: r.bloom, cold: true };
      return { meta, header: blockHeader(meta, payload), payload };
    };
    try {
      for (const t of [...this.tenants.values()]) {
        for (let more = true; more; ) {
          more = false;
          await this.exclusive(async () => {
            if (this.state !== 'running') return;
            const r = await compactCold(t, {
              now,
              policy: this.policyFor(t.name),
              coldCutoff,
              coldTarget: this.coldTarget,
              budget: this.coldSlice,
              read: (b) => this.verifiedPayload(t, b),
              damaged: (s, b, reason) => this.quarantineBlock(t, s, b, reason),
              buildColdBlock,
            });
            res.coldMergedBlocks += r.mergedBlocks;
            res.coldNewBlocks += r.newBlocks;
            res.coldRawBytes += r.rawBytes;
            more = r.more;
          });
        }
      }
    } finally {
      await worker.close();
    }
  }

  /** A block's payload after checking it against its header's checksum (the cold tier recompresses it in a worker). */
  private async verifiedPayload(t: Tenant, b: BlockMeta): Promise<Buffer> {
    const buf = await this.reader.read(t.segmentPath(b.segment), b.offset - BLOCK_HEADER, b.length + BLOCK_HEADER);
    const h = readBlockHeader(buf, 0);
    const payload = buf.subarray(BLOCK_HEADER);
    if (!h || h.length !== b.length) throw new BlockChecksumError('no block header where the index says');
    if (!payloadChecksumOk(h, payload)) throw new BlockChecksumError('the payload fails its checksum');
    return payload;
  }

  private async compactNow(graceMs: number): Promise<Pick<CompactionResult, 'expiredBlocks' | 'mergedBlocks' | 'newBlocks' | 'droppedSegments'>> {
    const res = { expiredBlocks: 0, mergedBlocks: 0, newBlocks: 0, droppedSegments: 0 };
    const now = this.now();
    const coldCutoff = this.coldAfter >= 0 && Number.isFinite(this.coldAfter) ? msToNs(now - this.coldAfter) : -(2n ** 63n);
    for (const t of this.tenants.values()) {
      const r = await compactTenant(t, {
        now,
        target: this.target,
        policy: this.policyFor(t.name),
        read: (b, withHeader) => this.reader.read(t.segmentPath(b.segment), b.offset - (withHeader ? BLOCK_HEADER : 0), b.length + (withHeader ? BLOCK_HEADER : 0)),
        buildBlock: (streamId, entries, lsn) => this.buildBlock(streamId, entries, lsn),
        pendingDrop: (no) => this.pendingUnlink.some((p) => p.tenant === t && p.segment === no),
        damaged: (s, b, reason) => this.quarantineBlock(t, s, b, reason),
        coldCutoff,
      });
      res.expiredBlocks += r.expiredBlocks;
      if (r.expiredBlocks > 0) this.metrics.expired?.inc({ tenant: t.name }, r.expiredBlocks);
      res.mergedBlocks += r.mergedBlocks;
      res.newBlocks += r.newBlocks;
      for (const no of r.drop) {
        this.pendingUnlink.push({ tenant: t, segment: no, at: now });
        res.droppedSegments++;
      }
    }
    await this.unlinkPending(graceMs);
    return res;
  }

  async deleteEntries(tenant: string, sel: DeleteSelection): Promise<Omit<DeletionResult, 'drop'> & { droppedSegments: number }> {
    this.assertRunning();
    // Every head, of every tenant: the WAL is shared, and only once no head holds a record can
    // the segment holding the deleted lines be removed.
    await this.wal.drain();
    for (const t of this.tenants.values()) for (const s of t.byId.values()) this.cut(t, s);
    this.sealRetryAt = 0;
    return this.exclusive(async () => {
      await this.sealPending(true);
      const t = this.tenants.get(tenant);
      const r: DeletionResult = t
        ? await deleteFromTenant(t, sel, {
            read: (b, withHeader) => this.reader.read(t.segmentPath(b.segment), b.offset - (withHeader ? BLOCK_HEADER : 0), b.length + (withHeader ? BLOCK_HEADER : 0)),
            buildBlock: (streamId, entries, lsn) => this.buildBlock(streamId, entries, lsn),
            damaged: (s, b, reason) => this.quarantineBlock(t, s, b, reason),
            pendingDrop: (no) => this.pendingUnlink.some((p) => p.tenant === t && p.segment === no),
          })
        : { deletedEntries: 0, rewrittenBlocks: 0, drop: [] };
      const now = this.now();
      for (const no of r.drop) this.pendingUnlink.push({ tenant: t!, segment: no, at: now });
      await this.wal.roll();
      await this.wal.checkpoint(this.minLiveLsn());
      return { deletedEntries: r.deletedEntries, rewrittenBlocks: r.rewrittenBlocks, droppedSegments: r.drop.length };
    });
  }

  /** `only`: the tenants to include (a token's tenants); all by default. */
  async snapshot(only?: (tenant: string) => boolean): Promise<StoreSnapshot> {
    this.assertRunning();
    await this.wal.drain();
    for (const t of this.tenants.values()) for (const s of t.byId.values()) this.cut(t, s);
    this.sealRetryAt = 0;
    return this.exclusive(async () => {
      await this.sealPending(true);
      this.snapshots++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.snapshots--;
      };
      try {
        const files: SnapshotFile[] = [];
        const tenants: string[] = [];
        let partial = false;
        const rel = (p: string) => relative(this.cfg.dir, p);
        for (const t of this.tenants.values()) {
          if (only && !only(t.name)) {
            partial = true;
            continue;
          }
          const tenantFile = await readFile(join(t.dir, 'tenant')).catch(() => undefined);
          // A tenant with nothing sealed yet has no directory: nothing to back up.
          if (!tenantFile) continue;
          files.push({ path: rel(join(t.dir, 'tenant')), size: tenantFile.length, content: tenantFile });
          tenants.push(t.name);
          for (const name of ['streams.log', 'index.log']) {
            const content = await readFile(join(t.dir, name)).catch(() => undefined);
            if (content) files.push({ path: rel(join(t.dir, name)), size: content.length, content });
          }
          const ends = new Map<number, number>();
          for (const s of t.byId.values()) for (const b of s.blocks) ends.set(b.segment, Math.max(ends.get(b.segment) ?? 0, b.offset + b.length));
          for (const [no, end] of [...ends].sort((a, b) => a[0] - b[0])) files.push({ path: rel(t.segmentPath(no)), size: end });
        }
        return { files, tenants, partial, release };
      } catch (e) {
        release();
        throw e;
      }
    });
  }

  private async unlinkPending(graceMs: number): Promise<void> {
    // A backup is reading segment prefixes: the files wait until it is done (or the next run).
    if (this.snapshots > 0 && this.state === 'running') return;
    const now = this.now();
    const due = this.pendingUnlink.filter((p) => now - p.at >= graceMs);
    this.pendingUnlink = this.pendingUnlink.filter((p) => now - p.at < graceMs);
    for (const p of due) {
      await this.reader.forget(p.tenant.segmentPath(p.segment));
      await p.tenant.dropSegment(p.segment);
    }
  }
}

function mayMatch(bloom: Uint8Array, probes: BloomProbe[][]): boolean {
  for (const group of probes) {
    let any = false;
    for (const p of group) {
      if (bloomMayContain(bloom, p)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

/** Splits sorted entries into chunks of about `target` raw bytes (a huge head becomes several blocks). */
function splitByBytes(entries: Entry[], target: number): Entry[][] {
  let total = 0;
  for (const e of entries) total += e.line.length;
  if (total <= target * 1.5) return [entries];
  const out: Entry[][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    bytes += entries[i]!.line.length;
    if (bytes >= target) {
      out.push(entries.slice(start, i + 1));
      start = i + 1;
      bytes = 0;
    }
  }
  if (start < entries.length) out.push(entries.slice(start));
  return out;
}

