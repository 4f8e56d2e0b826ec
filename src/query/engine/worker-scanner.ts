/**
 * A BlockScanner that runs every scan on the query pool's worker threads (./query-pool.ts), so a
 * large query uses every core and no query, however slow its pipeline, holds the event loop:
 * sealed blocks go as plain BlockRefs (each worker reads and decodes its file regions itself),
 * blocks still in the in-memory head go as columns (their line bytes copied to the worker in one
 * buffer, decoded there; src/store/head-columns.ts). The request's
 * signal (the query timeout) terminates the workers running it.
 */
import type { BlockRef, StoreReader } from '../../store/store.js';
import { postableColumns } from '../../store/head-columns.js';
import { ScanTally, type BlockScanner, type ScanRequest, type ScanResult } from './block-scanner.js';
import type { ScanJob } from './scan-job.js';
import type { QueryPool } from './query-pool.js';

export function createWorkerScanner(store: StoreReader, pool: QueryPool): BlockScanner {
  return {
    async scan(req: ScanRequest): Promise<ScanResult> {
      const parts: BlockRef[][] = Array.from({ length: Math.min(pool.size, req.refs.length) }, () => []);
      req.refs.forEach((r, i) => parts[i % parts.length]!.push(r.location.kind === 'head' ? { ...r, location: { kind: 'head', columns: postableColumns(r.location.columns) } } : r));
      const streams: ScanJob['streams'] = {};
      for (const r of req.refs) {
        const s = req.streams.get(r.streamId);
        if (s) streams[r.streamId] = s.labels;
      }
      const results = await Promise.all(
        parts.map(
          (refs) =>
            pool.run(
              { kind: 'scan', refs, streams, stages: req.stages, from: req.from, to: req.to, limit: req.limit, direction: req.direction },
              { signal: req.signal },
            ) as Promise<ScanResult>,
        ),
      );
      const tally = new ScanTally();
      for (const r of results) {
        // Workers cannot reach the store: it quarantines what they found damaged.
        for (const d of r.damaged ?? []) store.reportDamagedBlock?.(d.ref, d.reason);
        tally.merge(r);
      }
      return tally.result();
    },
    // The pool belongs to the server, which closes it.
    async close() {},
  };
}
