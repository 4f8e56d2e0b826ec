/** `logwharf fsck`'s access to the store (the CLI reaches the store only through app/). */
export { verifyDataDir, type FsckFinding, type FsckReport } from '../store/fsck.js';
