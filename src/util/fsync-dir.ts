/**
 * fsync of a directory, so a file created, renamed or deleted in it survives a crash (POSIX makes
 * the directory entry durable only then).
 */
import { open } from 'node:fs/promises';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
