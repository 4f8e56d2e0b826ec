/**
 * Loki's query `stats` object (pkg/logqlmodel/stats, as Loki 3.x serialises it). Grafana's query
 * inspector reads `summary`; the querier, ingester, index and cache sections are present with the
 * fields Loki writes so clients that walk them find what they expect. We have one process; what
 * was read from sealed blocks is reported under `querier` (Loki's store), what was read from the
 * in-memory heads under `ingester` as Loki's head chunks, and `summary` has both together.
 */

/** What the query engine measured; every field defaults to 0. */
export interface QueryStatsInput {
  execTimeSeconds?: number;
  queueTimeSeconds?: number;
  /** Uncompressed line bytes scanned, heads included. */
  bytesProcessed?: number;
  linesProcessed?: number;
  /** The part of bytesProcessed and linesProcessed read from in-memory heads. */
  headBytesProcessed?: number;
  headLinesProcessed?: number;
  structuredMetadataBytesProcessed?: number;
  /** Lines that passed the whole pipeline. */
  postFilterLines?: number;
  entriesReturned?: number;
  /** Compressed bytes read from storage. */
  compressedBytes?: number;
  /** Blocks (Loki: chunks) that the index pointed at, and those actually read. */
  chunksRef?: number;
  chunksDownloaded?: number;
  totalStreams?: number;
  subqueries?: number;
  splits?: number;
  shards?: number;
}

/** The `summary` section, the part Grafana shows. Times are float seconds. */
export interface LokiStatsSummary {
  bytesProcessedPerSecond: number;
  linesProcessedPerSecond: number;
  totalBytesProcessed: number;
  totalLinesProcessed: number;
  totalStructuredMetadataBytesProcessed: number;
  totalPostFilterLines: number;
  execTime: number;
  queueTime: number;
  subqueries: number;
  totalEntriesReturned: number;
  splits: number;
  shards: number;
}

/** The whole `stats` object. Sections other than `summary` are passed through as Loki shapes them. */
export interface LokiStats {
  summary: LokiStatsSummary;
  querier: Record<string, unknown>;
  ingester: Record<string, unknown>;
  index: Record<string, unknown>;
  cache: Record<string, unknown>;
}

function chunkStats(decompressedBytes: number, decompressedLines: number, smBytes: number, compressedBytes: number, postFilterLines: number, headBytes = 0, headLines = 0) {
  return {
    headChunkBytes: headBytes,
    headChunkLines: headLines,
    headChunkStructuredMetadataBytes: 0,
    decompressedBytes,
    decompressedLines,
    decompressedStructuredMetadataBytes: smBytes,
    compressedBytes,
    totalDuplicates: 0,
    postFilterLines,
  };
}

function storeStats(chunksRef: number, chunksDownloaded: number, chunk: ReturnType<typeof chunkStats>) {
  return {
    totalChunksRef: chunksRef,
    totalChunksDownloaded: chunksDownloaded,
    chunksDownloadTime: 0,
    chunkRefsFetchTime: 0,
    congestionControlLatency: 0,
    queryReferencedStructuredMetadata: false,
    queryUsedV2Engine: false,
    pipelineWrapperFilteredLines: 0,
    chunk,
  };
}

const CACHE_NAMES = ['chunk', 'index', 'result', 'statsResult', 'volumeResult', 'seriesResult', 'labelResult', 'instantMetricResult', 'logResult', 'taskResult'];

function emptyCache(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of CACHE_NAMES) {
    out[name] = { entriesFound: 0, entriesRequested: 0, entriesStored: 0, bytesReceived: 0, bytesSent: 0, requests: 0, downloadTime: 0, queryLengthServed: 0 };
  }
  return out;
}

/** Builds Loki's `stats` object from what the engine measured. */
export function lokiStats(input: QueryStatsInput = {}): LokiStats {
  const exec = input.execTimeSeconds ?? 0;
  const smBytes = input.structuredMetadataBytesProcessed ?? 0;
  const bytes = (input.bytesProcessed ?? 0) + smBytes;
  const lines = input.linesProcessed ?? 0;
  const postFilter = input.postFilterLines ?? input.entriesReturned ?? 0;
  const headBytes = input.headBytesProcessed ?? 0;
  const headLines = input.headLinesProcessed ?? 0;
  return {
    summary: {
      // Loki divides by the execution time; with no measurable time there is no rate to give.
      bytesProcessedPerSecond: exec > 0 ? Math.trunc(bytes / exec) : 0,
      linesProcessedPerSecond: exec > 0 ? Math.trunc(lines / exec) : 0,
      totalBytesProcessed: bytes,
      totalLinesProcessed: lines,
      totalStructuredMetadataBytesProcessed: smBytes,
      totalPostFilterLines: postFilter,
      execTime: exec,
      queueTime: input.queueTimeSeconds ?? 0,
      subqueries: input.subqueries ?? 0,
      totalEntriesReturned: input.entriesReturned ?? 0,
      splits: input.splits ?? 0,
      shards: input.shards ?? 0,
    },
    querier: {
      querierExecTime: exec,
      store: storeStats(
        input.chunksRef ?? 0,
        input.chunksDownloaded ?? 0,
        chunkStats((input.bytesProcessed ?? 0) - headBytes, lines - headLines, smBytes, input.compressedBytes ?? 0, postFilter),
      ),
    },
    ingester: {
      totalReached: headLines > 0 ? 1 : 0,
      totalChunksMatched: 0,
      totalBatches: 0,
      totalLinesSent: 0,
      store: storeStats(0, 0, chunkStats(0, 0, 0, 0, 0, headBytes, headLines)),
    },
    index: {
      totalChunks: input.chunksRef ?? 0,
      postFilterChunks: input.chunksDownloaded ?? 0,
      shardsDuration: 0,
      usedBloomFilters: false,
      bloomFilterTime: 0,
      chunkRefsLookupTime: 0,
      totalStreams: input.totalStreams ?? 0,
    },
    cache: emptyCache(),
  };
}
