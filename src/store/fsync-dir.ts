/** The store's name for the one directory fsync (src/util/atomic-file.ts). */
export { fsyncDir } from '../util/atomic-file.js';
