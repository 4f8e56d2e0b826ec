/**
 * The embedded storage engine. `createStore` is what app/ wires; `decodeBlockPayload` lets a worker
 * thread decode a block file region itself (import it from ./block-codec.js there, which has no
 * side effects).
 */
import { Engine, type EmbeddedStore, type StoreConfig } from './engine.js';

export type { CompactionResult, EmbeddedStore, SnapshotFile, StoreConfig, StoreLogger, StoreSnapshot } from './engine.js';
export type { RetentionConfig, RetentionRule } from './retention.js';
export type { AppendResult, BlockRef, Store, StoreStats, StreamInfo, TailEvent } from './store.js';
export { decodeBlockPayload } from './block-codec.js';

/** Creates the embedded store over a data directory. Call `start()` before use. */
export function createStore(config: StoreConfig): EmbeddedStore {
  return new Engine(config);
}
export type { DeleteSelection, DeletionResult } from './deletion.js';
