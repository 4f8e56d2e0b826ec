/** Picks the block scanner: the query pool's workers when there is one, else the calling thread. */
import type { StoreReader } from '../../store/store.js';
import { createLocalScanner, type BlockScanner } from './block-scanner.js';
import type { QueryPool } from './query-pool.js';
import { createWorkerScanner } from './worker-scanner.js';

export function createScanner(store: StoreReader, pool: QueryPool | undefined): BlockScanner {
  return pool && pool.size > 0 ? createWorkerScanner(store, pool) : createLocalScanner(store);
}
