/**
 * Files replaced atomically: the new content goes to `<path>.tmp`, is fsynced, renamed over the old
 * file, and the directory is fsynced, so a crash at any moment leaves either the old or the new
 * file, never a torn one. Used for the agent's positions and the ruler's alert state.
 */
import { open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync of a directory: POSIX makes a created, renamed or deleted entry durable only then. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` with `data` atomically and durably. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await writeFile(fh, data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}
