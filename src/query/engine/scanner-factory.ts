/** Picks the block scanner: worker threads when configured, else the calling thread. */
import type { Store } from '../../store/store.js';
import { createLocalScanner, type BlockScanner } from './block-scanner.js';
import { createWorkerScanner } from './worker-scanner.js';

export function createScanner(store: Store, workers: number): BlockScanner {
  return workers > 0 ? createWorkerScanner(store, workers) : createLocalScanner(store);
}
