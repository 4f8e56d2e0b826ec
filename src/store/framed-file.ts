/**
 * Reading a framed append-only file (WAL segment, streams.log, index.log) at start: every intact
 * record is returned, a torn tail is truncated, and damaged regions in the middle are handed to
 * `onDamage` (which reports and quarantines them) and then cut out of the file, so the next start
 * neither reports them again nor stops at them.
 */
import { readFile, rename, truncate, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { scanFrames, type DamagedRegion, type ScannedFrames } from './frame.js';
import { fsyncDir } from '../util/fsync-dir.js';

export type OnDamage = (region: DamagedRegion, file: Buffer, scanned: ScannedFrames) => Promise<void>;

export async function readFramedFile(path: string, onDamage: OnDamage): Promise<ScannedFrames> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], offsets: [], damaged: [], validEnd: 0 };
    throw e;
  }
  const scanned = scanFrames(buf);
  for (const region of scanned.damaged) await onDamage(region, buf, scanned);
  if (scanned.damaged.length > 0) {
    // Copy the records out first: the rewrite replaces the file they were read from.
    const kept: Buffer[] = [];
    let p = 0;
    for (const r of scanned.damaged) {
      if (r.offset > p) kept.push(buf.subarray(p, r.offset));
      p = r.offset + r.length;
    }
    if (scanned.validEnd > p) kept.push(buf.subarray(p, scanned.validEnd));
    const tmp = path + '.tmp';
    try {
      await writeFile(tmp, Buffer.concat(kept), { flush: true });
      await rename(tmp, path);
      await fsyncDir(dirname(path));
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
  } else if (scanned.validEnd < buf.length) {
    await truncate(path, scanned.validEnd);
  }
  return scanned;
}
