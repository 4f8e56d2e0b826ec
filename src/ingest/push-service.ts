/**
 * The push service: decode (any wire format) → validate → limits → store, with Loki's semantics
 * (pkg/distributor, pkg/ingester): invalid entries are dropped and named in a 400, the valid rest
 * is stored; a tenant over its rate gets 429 and nothing is stored; streams over the active-stream
 * limit or their own rate get 429 for those entries. Loki 3's ingest-time enrichment is on by
 * default: service_name discovery (`discover_service_name`; OTLP always) and detected_level
 * structured metadata (`discover_log_levels`, see detect-level.ts). A 429 wins over a 400 in a mixed outcome
 * because clients retry 429s, and the entries already stored come back as exact duplicates, which
 * the store drops silently.
 */
import { plural } from '../util/plural.js';
import { msToNs } from '../api/time-units.js';
import { utf8Cut } from '../api/utf8.js';
import { Registry } from 'prom-client';
import { LogwharfError, type ErrorCode } from '../api/errors.js';
import type { Entry, Labels, StreamPush } from '../api/model.js';
import { labelsToString, sortLabels } from '../api/model.js';
import { decodeLokiPush, type PushBody } from '../api/push/loki-push.js';
import { decodeOtlpLogs, otlpSuccessResponse } from '../api/push/otlp-push.js';
import { otlpToPush } from '../api/push/otlp-mapping.js';
import type { InvalidStream } from '../api/push/decoded-push.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../api/push/body.js';
import type { Store } from '../store/store.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DEFAULT_DISCOVER_SERVICE_NAME, ENTRY_OVERHEAD_BYTES, TenantLimits, type Limits, type LimitsConfig } from './limits.js';
import { createIngestMetrics, type IngestMetrics } from './ingest-metrics.js';
import { DETECTED_LEVEL, detectLevel, levelFromLine, levelFromMetadata, levelFromStreamLabels, normalizeLevel } from '../api/detect-level.js';
import { StreamTracker } from './stream-tracker.js';
import { TokenBucket } from './token-bucket.js';
import { RETRYABLE_REASONS, dropEmptyLabels, formatNs, streamText, validateStreamLabels, withServiceName, type DiscardReason, type Rejection } from './validate.js';

/**
 * Entries validated between two turns of the event loop, and most entries per store append: a
 * large push is handled in slices so no request holds the loop for long (issue #8: /ready waited
 * 5.9 s behind one push). A push appended in several slices is still acknowledged only when all are
 * durable; a retry after a failed slice re-sends entries already stored, which the store drops as
 * exact duplicates.
 */
const SLICE_ENTRIES = 8192;
/** The same in line bytes: long lines cost per byte (level detection, the store's blocks and blooms). */
const SLICE_BYTES = 1024 * 1024;

/** How many distinct rejection messages a 400/429 body lists; the rest are counted. */
export const MAX_LISTED_REJECTIONS = 10;

export interface PushServiceDeps {
  store: Store;
  /** Limits for every tenant (Loki's limits_config names); Loki's defaults where absent. */
  limits?: LimitsConfig;
  /** Per-tenant overrides, applied on top of `limits`. */
  overrides?: Record<string, LimitsConfig>;
  /** Registry for the ingest counters; a private one when absent. */
  registry?: Registry;
  /** Same as `registry` (prom-client's option name). */
  register?: Registry;
  /** Clock in milliseconds (tests). */
  now?: () => number;
  /** Bound on a decompressed request body (413 above it). */
  maxDecompressedBytes?: number;
  /** Bound on streams plus entries in one request (413 above it); DEFAULT_MAX_PUSH_ITEMS when absent. */
  maxPushItems?: number;
}

/** What a fully successful push did. */
export interface PushOutcome {
  streams: number;
  /** Entries written. */
  accepted: number;
  /** Exact duplicates the store dropped silently. */
  duplicates: number;
}

export interface PushService {
  /** A Loki push (`/loki/api/v1/push`, `/api/prom/push`). Resolves when durable; throws LogwharfError otherwise. */
  push(tenant: string, req: PushBody): Promise<PushOutcome>;
  /** An OTLP/HTTP logs export. Resolves to the response body; throws LogwharfError (see otlpErrorResponse). */
  pushOtlp(tenant: string, req: PushBody): Promise<{ contentType: string; body: Buffer }>;
  /** Validates, limits and stores already decoded streams (used by both of the above, and by in-process callers). */
  pushStreams(tenant: string, streams: StreamPush[], invalid?: InvalidStream[]): Promise<PushOutcome>;
  /**
   * Replaces the per-tenant overrides (a runtime-config reload). Pushes from then on see them; a
   * tenant's rate limiters keep their fill, capped at a lowered burst (./token-bucket.ts).
   */
  setOverrides(overrides: Record<string, LimitsConfig>): void;
}

interface Pending {
  labels: Labels;
  key: string;
  entries: Entry[];
  sizes: number[];
}

class RejectionLog {
  readonly counts = new Map<DiscardReason, number>();
  private readonly listed = new Map<string, { n: number }>();
  total = 0;

  add(r: Rejection, entries = 1): void {
    if (entries <= 0) return;
    this.total += entries;
    this.counts.set(r.reason, (this.counts.get(r.reason) ?? 0) + entries);
    const l = this.listed.get(r.message);
    if (l) l.n += entries;
    else if (this.listed.size < MAX_LISTED_REJECTIONS) this.listed.set(r.message, { n: entries });
  }

  toError(accepted: number): LogwharfError {
    const retryable = [...this.counts.keys()].some((r) => RETRYABLE_REASONS.has(r));
    const reasons = [...this.counts.keys()].filter((r) => RETRYABLE_REASONS.has(r) === retryable);
    const lines: string[] = [];
    let listedCount = 0;
    for (const [msg, { n }] of this.listed) {
      lines.push(n > 1 ? `${msg} (${n} entries)` : msg);
      listedCount += n;
    }
    if (this.total > listedCount) lines.push(`... and ${this.total - listedCount} more rejected entries`);
    lines.push(`${plural(this.total, 'entry', 'entries')} rejected, ${accepted} accepted`);
    const code = codeFor(reasons, retryable);
    return new LogwharfError(code, lines.join('\n'), { rejected: this.total, accepted, reasons: Object.fromEntries(this.counts) });
  }
}

function codeFor(reasons: DiscardReason[], retryable: boolean): ErrorCode {
  if (retryable) return reasons.length === 1 && reasons[0] === 'stream_limit' ? 'stream_limit' : 'rate_limited';
  if (reasons.length !== 1) return 'invalid_push';
  switch (reasons[0]) {
    case 'line_too_long':
      return 'line_too_long';
    case 'greater_than_max_sample_age':
      return 'too_old';
    case 'too_far_in_future':
      return 'too_new';
    case 'too_far_behind':
      return 'out_of_order';
    case 'structured_metadata_too_large':
    case 'structured_metadata_too_many':
      return 'invalid_push';
    default:
      return 'invalid_labels';
  }
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateUtf8(s: string, maxBytes: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= maxBytes) return s;
  return b.toString('utf8', 0, utf8Cut(b, 0, maxBytes));
}

/**
 * Entries whose only metadata is detected_level share one frozen object per level: nearly every
 * entry has one, and an object each made ingest's peak memory grow by tens of MB.
 */
const LEVEL_ONLY = new Map<string, Labels>();
function levelOnly(level: string): Labels {
  let o = LEVEL_ONLY.get(level);
  if (o === undefined) {
    o = Object.freeze({ [DETECTED_LEVEL]: level }) as Labels;
    // Levels from lines are normalised (a handful of values); unknown values from labels are kept
    // as sent, so the cache is bounded.
    if (LEVEL_ONLY.size < 256) LEVEL_ONLY.set(level, o);
  }
  return o;
}

/**
 * Frozen metadata objects shared by many entries (the OTLP mapping interns a resource's and scope's
 * pairs), each with detected_level added: one object per shared object and level.
 */
const WITH_LEVEL = new WeakMap<Labels, Map<string, Labels>>();
function sharedWithLevel(md: Labels, level: string): Labels {
  let byLevel = WITH_LEVEL.get(md);
  if (byLevel === undefined) WITH_LEVEL.set(md, (byLevel = new Map()));
  let o = byLevel.get(level);
  if (o === undefined) {
    o = Object.freeze({ ...md, [DETECTED_LEVEL]: level }) as Labels;
    if (byLevel.size < 256) byLevel.set(level, o);
  }
  return o;
}

/**
 * The level a frozen (shared, so unchanging) metadata object states, null when none: OTLP entries
 * share one per resource and scope, and asking it for each of a dozen level fields per entry was
 * ~2% of OTLP ingest's CPU (issue #12, stop 17).
 */
const METADATA_LEVEL = new WeakMap<Labels, string | null>();
function sharedMetadataLevel(md: Labels): string | undefined {
  let v = METADATA_LEVEL.get(md);
  if (v === undefined) METADATA_LEVEL.set(md, (v = levelFromMetadata(md) ?? null));
  return v ?? undefined;
}

/**
 * The entry with detected_level structured metadata (Loki 3's discover_log_levels): one already
 * sent is kept, a known level in it normalised; otherwise detected (detect-level.ts). The added
 * pair is not counted against the metadata limits, which apply to what the client sent. With
 * `owned` (entries this service decoded itself, which nobody else holds) the entry and its
 * metadata are completed in place, saving an object or two per entry; otherwise the pushed objects
 * are not modified. Frozen metadata is shared and never modified.
 */
function withDetectedLevel(e: Entry, streamLevel: string | undefined, owned: boolean): Entry {
  const md = e.metadata;
  if (md !== undefined && Object.hasOwn(md, DETECTED_LEVEL)) {
    const v = md[DETECTED_LEVEL]!;
    const n = normalizeLevel(v);
    if (n === v) return e;
    if (owned && !Object.isFrozen(md)) {
      md[DETECTED_LEVEL] = n;
      return e;
    }
    return { ts: e.ts, line: e.line, metadata: { ...md, [DETECTED_LEVEL]: n } };
  }
  const level = streamLevel ?? (md !== undefined && Object.isFrozen(md) ? (sharedMetadataLevel(md) ?? levelFromLine(e.line)) : detectLevel(undefined, md, e.line));
  if (md === undefined) {
    if (!owned) return { ts: e.ts, line: e.line, metadata: levelOnly(level) };
    e.metadata = levelOnly(level);
    return e;
  }
  if (Object.isFrozen(md)) {
    const shared = sharedWithLevel(md, level);
    if (!owned) return { ts: e.ts, line: e.line, metadata: shared };
    e.metadata = shared;
    return e;
  }
  if (!owned) return { ts: e.ts, line: e.line, metadata: { ...md, [DETECTED_LEVEL]: level } };
  md[DETECTED_LEVEL] = level;
  return e;
}

function metadataSize(md: Labels): { bytes: number; count: number } {
  let bytes = 0;
  let count = 0;
  for (const k in md) {
    bytes += Buffer.byteLength(k) + Buffer.byteLength(md[k]!);
    count++;
  }
  return { bytes, count };
}

/**
 * Cuts streams into appends of at most `maxEntries` entries and about `maxBytes` line bytes each (a
 * long stream spans several; one entry longer than `maxBytes` is a slice of its own).
 */
function* slices(streams: StreamPush[], maxEntries: number, maxBytes: number): Generator<StreamPush[]> {
  let out: StreamPush[] = [];
  let n = 0;
  let bytes = 0;
  for (const s of streams) {
    let from = 0;
    for (let i = 0; i < s.entries.length; i++) {
      n++;
      bytes += s.entries[i]!.line.length;
      if (n >= maxEntries || bytes >= maxBytes) {
        out.push(from === 0 && i === s.entries.length - 1 ? s : { labels: s.labels, entries: s.entries.slice(from, i + 1) });
        from = i + 1;
        yield out;
        out = [];
        n = 0;
        bytes = 0;
      }
    }
    if (from < s.entries.length) out.push(from === 0 ? s : { labels: s.labels, entries: s.entries.slice(from) });
  }
  if (out.length > 0) yield out;
}

export function createPushService(deps: PushServiceDeps): PushService {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const tenantLimits = new TenantLimits(deps.limits, deps.overrides);
  const metrics: IngestMetrics = createIngestMetrics(deps.registry ?? deps.register ?? new Registry());
  const tracker = new StreamTracker(store);
  const tenantBuckets = new Map<string, TokenBucket>();
  const maxDecompressedBytes = deps.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;

  function discard(tenant: string, reason: DiscardReason, entries: number, bytes: number): void {
    if (entries > 0) metrics.discardedEntries.inc({ tenant, reason }, entries);
    if (bytes > 0) metrics.discardedBytes.inc({ tenant, reason }, bytes);
  }

  function tenantBucket(tenant: string, l: Limits, nowMs: number): TokenBucket {
    let b = tenantBuckets.get(tenant);
    if (!b) {
      b = new TokenBucket(l.ingestionRateBytes, l.ingestionBurstBytes, nowMs);
      tenantBuckets.set(tenant, b);
    }
    return b;
  }

  /** `owned`: the streams were decoded here and nobody else holds them (see withDetectedLevel). */
  async function pushStreams(tenant: string, streams: StreamPush[], invalid: InvalidStream[] = [], owned = false): Promise<PushOutcome> {
    const limits = tenantLimits.for(tenant);
    const nowMs = now();
    const nowNs = msToNs(nowMs);
    const rejections = new RejectionLog();

    let received = 0;
    let receivedBytes = 0;
    for (const inv of invalid) {
      received += inv.entries;
      receivedBytes += inv.bytes;
      rejections.add({ reason: inv.reason, message: `stream ${inv.index}: ${inv.reason === 'invalid_labels' ? `Error parsing labels '${inv.labels}' with error: ${inv.message}` : `${inv.message} in '${inv.labels}'`}` }, inv.entries);
      discard(tenant, inv.reason, inv.entries, inv.bytes);
    }

    const oldest = limits.rejectOldSamples ? nowNs - msToNs(limits.rejectOldSamplesMaxAgeMs) : undefined;
    const newestAllowed = nowNs + msToNs(limits.creationGracePeriodMs);
    const maxLine = limits.maxLineSize;
    const maxMdBytes = limits.maxStructuredMetadataSize;
    const maxMdCount = limits.maxStructuredMetadataEntries;

    // Distributor stage: labels and per-entry validation.
    const pending = new Map<string, Pending>();
    let sliced = 0;
    let slicedBytes = 0;
    let validBytes = 0;
    let validCount = 0;
    let lastMd: Labels | undefined;
    let lastMdSize = { bytes: 0, count: 0 };
    for (const s of streams) {
      let streamBytes = 0;
      const n = s.entries.length;
      received += n;
      const given = dropEmptyLabels(s.labels);
      const bad = validateStreamLabels(given, limits);
      if (bad) {
        for (const e of s.entries) streamBytes += e.line.length;
        receivedBytes += streamBytes;
        rejections.add(bad, n);
        discard(tenant, bad.reason, n, streamBytes);
        continue;
      }
      const labels = sortLabels(withServiceName(given, limits));
      const key = labelsToString(labels);
      let p = pending.get(key);
      if (!p) {
        p = { labels, key, entries: [], sizes: [] };
        pending.set(key, p);
      }
      let text: string | undefined;
      const discoverLevels = limits.discoverLogLevels;
      const streamLevel = discoverLevels ? levelFromStreamLabels(labels) : undefined;
      for (let i = 0; i < n; i++) {
        if (++sliced >= SLICE_ENTRIES || slicedBytes >= SLICE_BYTES) {
          sliced = 0;
          slicedBytes = 0;
          await nextTurn();
        }
        let e = s.entries[i]!;
        let size = Buffer.byteLength(e.line);
        slicedBytes += size;
        let mdBytes = 0;
        if (e.metadata) {
          // Shared metadata objects (OTLP resources and scopes) are measured once.
          if (e.metadata !== lastMd) {
            lastMd = e.metadata;
            lastMdSize = metadataSize(lastMd);
          }
          const m = lastMdSize;
          mdBytes = m.bytes;
          if (maxMdCount > 0 && m.count > maxMdCount) {
            receivedBytes += size + mdBytes;
            rejectEntry('structured_metadata_too_many', `stream '${(text ??= streamText(labels))}' has too many structured metadata labels: '${m.count}', limit: '${maxMdCount}'`, size + mdBytes);
            continue;
          }
          if (maxMdBytes > 0 && mdBytes > maxMdBytes) {
            receivedBytes += size + mdBytes;
            rejectEntry('structured_metadata_too_large', `stream '${(text ??= streamText(labels))}' has structured metadata too large: '${mdBytes}' bytes, limit: '${maxMdBytes}' bytes`, size + mdBytes);
            continue;
          }
        }
        receivedBytes += size + mdBytes;
        if (maxLine > 0 && size > maxLine) {
          if (limits.maxLineSizeTruncate) {
            const line = truncateUtf8(e.line, maxLine);
            e = { ts: e.ts, line, metadata: e.metadata };
            size = Buffer.byteLength(line);
          } else {
            rejectEntry('line_too_long', `Max entry size '${maxLine}' bytes exceeded for stream '${(text ??= streamText(labels))}' while adding an entry with length '${size}' bytes`, size + mdBytes);
            continue;
          }
        }
        if (oldest !== undefined && e.ts < oldest) {
          rejectEntry('greater_than_max_sample_age', `entry for stream '${(text ??= streamText(labels))}' has timestamp too old: ${formatNs(e.ts)}, oldest acceptable timestamp is: ${formatNs(oldest)}`, size + mdBytes);
          continue;
        }
        if (e.ts > newestAllowed) {
          rejectEntry('too_far_in_future', `entry for stream '${(text ??= streamText(labels))}' has timestamp too new: ${formatNs(e.ts)}`, size + mdBytes);
          continue;
        }
        p.entries.push(discoverLevels ? withDetectedLevel(e, streamLevel, owned) : e);
        p.sizes.push(size + mdBytes);
        validBytes += size + mdBytes;
        validCount++;
      }
    }
    metrics.linesReceived.inc({ tenant }, received);
    metrics.bytesReceived.inc({ tenant }, receivedBytes);

    function rejectEntry(reason: DiscardReason, message: string, bytes: number): void {
      rejections.add({ reason, message });
      discard(tenant, reason, 1, bytes);
    }

    // Tenant rate: all or nothing for the request, as Loki's distributor.
    if (validCount > 0) {
      const bucket = tenantBucket(tenant, limits, nowMs);
      bucket.setLimits(limits.ingestionRateBytes, limits.ingestionBurstBytes);
      if (!bucket.allow(validBytes + validCount * ENTRY_OVERHEAD_BYTES, nowMs)) {
        discard(tenant, 'rate_limited', validCount, validBytes);
        throw new LogwharfError(
          'rate_limited',
          `Ingestion rate limit exceeded for user ${tenant} (limit: ${Math.floor(limits.ingestionRateBytes)} bytes/sec) while attempting to ingest '${validCount}' lines totaling '${validBytes}' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased`,
          { lines: validCount, bytes: validBytes },
        );
      }
    }

    // Ingester stage: active streams, out-of-order window, per-stream rate.
    const tenantStreams = tracker.streamsOf(tenant);
    const windowNs = msToNs(limits.outOfOrderWindowMs);
    const toStore: StreamPush[] = [];
    const newest: { state: { newestTs: bigint }; ts: bigint }[] = [];
    let acceptedCount = 0;
    for (const p of pending.values()) {
      if (p.entries.length === 0) continue;
      let state = tenantStreams.get(p.key);
      if (!state) {
        if (limits.maxGlobalStreamsPerUser > 0 && tracker.activeCount(tenant, nowMs, limits.streamIdlePeriodMs) >= limits.maxGlobalStreamsPerUser) {
          let bytes = 0;
          for (const s of p.sizes) bytes += s;
          rejections.add(
            {
              reason: 'stream_limit',
              message: `Maximum active stream limit exceeded when trying to create stream ${streamText(p.labels)}, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: '${tenant}'`,
            },
            p.entries.length,
          );
          discard(tenant, 'stream_limit', p.entries.length, bytes);
          continue;
        }
        const from = oldest ?? nowNs - windowNs * 2n;
        state = { lastSeenMs: nowMs, newestTs: tracker.newestFromStore(tenant, p.labels, p.key, from, newestAllowed + 1n), limiter: new TokenBucket(limits.perStreamRateBytes, limits.perStreamBurstBytes, nowMs) };
        tenantStreams.set(p.key, state);
      }
      state.lastSeenMs = nowMs;
      state.limiter.setLimits(limits.perStreamRateBytes, limits.perStreamBurstBytes);
      let high = state.newestTs;
      // The pending array is stored as it is unless an entry is dropped: no second array per push.
      let kept: Entry[] | undefined;
      let text: string | undefined;
      for (let i = 0; i < p.entries.length; i++) {
        const e = p.entries[i]!;
        const size = p.sizes[i]!;
        // `e.ts < high` first: in-order entries then need no BigInt subtraction (an allocation each).
        if (high >= 0n && e.ts < high && e.ts < high - windowNs) {
          rejections.add({ reason: 'too_far_behind', message: `entry too far behind, entry timestamp is: ${formatNs(e.ts)}, oldest acceptable timestamp is: ${formatNs(high - windowNs)}, stream: ${(text ??= streamText(p.labels))}` });
          discard(tenant, 'too_far_behind', 1, size);
          kept ??= p.entries.slice(0, i);
          continue;
        }
        if (!state.limiter.allow(size + ENTRY_OVERHEAD_BYTES, nowMs)) {
          rejections.add({
            reason: 'per_stream_rate_limit',
            message: `Per stream rate limit exceeded (limit: ${Math.floor(limits.perStreamRateBytes)} bytes/sec) while attempting to ingest for stream '${(text ??= streamText(p.labels))}', consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased`,
          });
          discard(tenant, 'per_stream_rate_limit', 1, size);
          kept ??= p.entries.slice(0, i);
          continue;
        }
        if (e.ts > high) high = e.ts;
        if (kept !== undefined) kept.push(e);
      }
      const entries = kept ?? p.entries;
      if (entries.length > 0) {
        toStore.push({ labels: p.labels, entries });
        newest.push({ state, ts: high });
        acceptedCount += entries.length;
      }
    }

    let duplicates = 0;
    if (toStore.length > 0) {
      for (const slice of slices(toStore, SLICE_ENTRIES, SLICE_BYTES)) duplicates += (await store.append(tenant, slice)).duplicates;
      // Only once durable does the stream's newest entry move (a failed append must not shift the window).
      for (const { state, ts } of newest) if (ts > state.newestTs) state.newestTs = ts;
    }
    if (rejections.total > 0) throw rejections.toError(acceptedCount);
    return { streams: toStore.length, accepted: acceptedCount - duplicates, duplicates };
  }

  return {
    pushStreams: (tenant, streams, invalid) => pushStreams(tenant, streams, invalid),
    setOverrides: (overrides) => tenantLimits.setOverrides(overrides),
    async push(tenant, req) {
      const decoded = await decodeLokiPush(req, { maxDecompressedBytes, maxItems: deps.maxPushItems });
      // Each stage of a large push is its own turn of the event loop (see SLICE_ENTRIES).
      await nextTurn();
      return pushStreams(tenant, decoded.streams, decoded.invalid, true);
    },
    async pushOtlp(tenant, req) {
      const { request, encoding } = await decodeOtlpLogs(req, { maxDecompressedBytes, maxItems: deps.maxPushItems === undefined ? undefined : deps.maxPushItems * 4 });
      // Loki discovers service_name for OTLP while mapping, before validation, so a resource
      // without index attributes still yields a valid stream.
      await nextTurn();
      const configured = tenantLimits.for(tenant).discoverServiceName;
      const push = otlpToPush(request, { now: msToNs(now()), discoverServiceName: configured.length > 0 ? configured : DEFAULT_DISCOVER_SERVICE_NAME });
      await nextTurn();
      await pushStreams(tenant, push.streams, [], true);
      return otlpSuccessResponse(encoding);
    },
  };
}
