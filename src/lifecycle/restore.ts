/**
 * `logwharf restore DIR --data NEWDIR` (issue #15): copies the newest complete generation of a
 * backup (or the one named) into a data directory, checking every file's size and SHA-256 against
 * the manifest on the way; a damaged backup stops the restore with the file named. The target must
 * not exist or be empty; `force` empties a non-empty one first, unless a live server holds it.
 * Files are copied, never linked: the server appends to some of them, which must not change the
 * backup. Retention applies as usual once a server opens the directory: data older than its
 * tenant's and stream's period is deleted at the first compaction.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lockDir } from '../store/dir-lock.js';
import { fsyncDir } from '../util/fsync-dir.js';
import { listGenerations, readManifest, type Manifest } from './backup-manifest.js';
import { BackupError } from './backup-writer.js';

export async function restoreBackup(backup: string, data: string, opts: { force?: boolean; generation?: string } = {}): Promise<Manifest> {
  const gens = await listGenerations(backup);
  if (gens.length === 0) throw new BackupError(`${backup} holds no backup (no generations/ directory)`);
  const g = opts.generation !== undefined ? gens.find((x) => x.id === opts.generation) : [...gens].reverse().find((x) => x.complete);
  if (!g) throw new BackupError(opts.generation !== undefined ? `${backup} has no generation ${opts.generation}` : `${backup} has no complete generation to restore`);
  if (!g.complete) throw new BackupError(`generation ${g.id} is incomplete and cannot be restored`);
  const m = await readManifest(g.dir);
  let names: string[] = [];
  try {
    names = await readdir(data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (names.length > 0) {
    if (!opts.force) throw new BackupError(`--data ${data} is not empty; restore into a new or empty directory, or pass --force to replace its contents`);
    // Refuses a directory a live server holds.
    const unlock = await lockDir(data);
    await unlock();
    for (const n of names) await rm(join(data, n), { recursive: true, force: true });
  }
  await mkdir(data, { recursive: true });
  const dirs = new Set<string>([data]);
  for (const f of m.files) {
    const dest = join(data, f.path);
    await mkdir(dirname(dest), { recursive: true });
    dirs.add(dirname(dest));
    const h = createHash('sha256');
    let size = 0;
    const fh = await open(dest, 'w');
    try {
      for await (const chunk of createReadStream(join(g.dir, 'data', f.path))) {
        const b = chunk as Buffer;
        h.update(b);
        size += b.length;
        await fh.write(b);
      }
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (size !== f.size || h.digest('hex') !== f.sha256) throw new BackupError(`${f.path} in generation ${g.id} does not match its manifest (damaged backup); the restore stopped, ${data} is incomplete`);
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await fsyncDir(d);
  return m;
}
