/**
 * Replacing a file so that a crash at any moment leaves either the old content or the new, never a
 * mix: the new bytes go to `<path>.tmp` and are fsynced, the temp file is renamed over the target
 * (atomic on POSIX), and the directory is fsynced so the rename itself survives power loss. A crash
 * before the rename leaves only a stray `.tmp`, which the owner of the directory removes at start.
 */
import { renameSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from './fsync-dir.js';

/** Suffix of the temporary file `writeFileAtomic` writes first; a leftover one is a crashed write. */
export const ATOMIC_TMP_SUFFIX = '.tmp';

export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = path + ATOMIC_TMP_SUFFIX;
  try {
    await writeFile(tmp, data, { flush: true });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** Removes a file and makes the removal durable. Resolves false when there was no such file. */
export async function unlinkDurable(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  await fsyncDir(dirname(path));
  return true;
}

/** Infix of a file moved aside because it did not parse: `<file>.damaged-<ISO time>`. */
export const DAMAGED_INFIX = '.damaged-';

/** Where a damaged file is moved: next to it, named with the time, never overwriting an older one. */
export function damagedName(file: string, now: number): string {
  return file + DAMAGED_INFIX + new Date(now).toISOString().replace(/[:.]/g, '-');
}

/**
 * Moves a file that did not parse aside (kept for the user to inspect or restore, never deleted), so
 * its owner starts without it instead of failing. Resolves with the new path.
 */
export async function moveAsideDamaged(file: string, now: number): Promise<string> {
  const aside = damagedName(file, now);
  await rename(file, aside);
  await fsyncDir(dirname(file));
  return aside;
}

/** moveAsideDamaged for owners that load synchronously at start. */
export function moveAsideDamagedSync(file: string, now: number): string {
  const aside = damagedName(file, now);
  renameSync(file, aside);
  return aside;
}
