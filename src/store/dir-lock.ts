/**
 * One process per data directory: a second server on the same directory would interleave WAL and
 * segment writes. `LOCK` holds the owner's pid; a lock left by a dead process (kill -9), or by
 * this very process (a container restarted as pid 1 again, or tests reopening a directory), is
 * taken over.
 */
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogwharfError } from '../api/errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  try {
    const fh = await open(path, 'wx');
    await fh.writeFile(String(process.pid));
    await fh.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new LogwharfError('store_unavailable', `data directory ${dir} is in use by process ${pid} (remove ${path} if that is wrong)`);
    }
    await writeFile(path, String(process.pid));
  }
  return async () => {
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (owner === process.pid) await unlink(path).catch(() => {});
  };
}
