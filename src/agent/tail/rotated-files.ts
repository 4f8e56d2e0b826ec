/**
 * Finding the files a log was rotated into, so that no line is lost when the reader falls behind a
 * rotation (or was stopped during one). Rotated names share the live file's name plus a suffix:
 * Docker's `<id>-json.log.1`, `.2`, …; the kubelet's `0.log.20260102-150405`; logrotate's
 * `app.log.1`. Compressed ones cannot be tailed and are left out.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface RotatedFile {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeNs: bigint;
}

const COMPRESSED = /\.(gz|zst|bz2|xz|zip|lz4)$/;

/**
 * The live file's rotated siblings, oldest first. A listing taken while a writer renames its chain
 * (`.1` → `.2` …) can see one file twice and another not at all, so the directory is listed until two
 * listings in a row agree.
 */
export async function listRotated(livePath: string): Promise<RotatedFile[]> {
  let prev = await listOnce(livePath);
  for (let i = 0; i < 10; i++) {
    const again = await listOnce(livePath);
    if (sameListing(prev, again)) return again;
    prev = again;
  }
  return prev;
}

function sameListing(a: RotatedFile[], b: RotatedFile[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.path !== y.path || x.ino !== y.ino || x.dev !== y.dev || x.mtimeNs !== y.mtimeNs) return false;
  }
  return true;
}

async function listOnce(livePath: string): Promise<RotatedFile[]> {
  const dir = dirname(livePath);
  const base = basename(livePath) + '.';
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found: RotatedFile[] = [];
  for (const name of names) {
    if (!name.startsWith(base) || COMPRESSED.test(name) || name.endsWith('.tmp')) continue;
    const path = join(dir, name);
    try {
      const st = await stat(path, { bigint: true });
      if (!st.isFile()) continue;
      found.push({ path, dev: Number(st.dev), ino: Number(st.ino), size: Number(st.size), mtimeNs: st.mtimeNs });
    } catch {
      // rotated away or deleted between readdir and stat
    }
  }
  found.sort(rotationOrder);
  return found;
}

/**
 * Oldest first: by modification time, and for equal times (coarse timestamps, a burst of rotations)
 * by name: a larger numeric suffix is older (`.2` before `.1`), date suffixes sort as text.
 */
export function rotationOrder(a: RotatedFile, b: RotatedFile): number {
  if (a.mtimeNs !== b.mtimeNs) return a.mtimeNs < b.mtimeNs ? -1 : 1;
  const na = numericSuffix(a.path);
  const nb = numericSuffix(b.path);
  if (na !== undefined && nb !== undefined) return nb - na;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function numericSuffix(path: string): number | undefined {
  const m = /\.(\d{1,6})$/.exec(path);
  return m ? Number(m[1]) : undefined;
}

/**
 * The rotated files written after the file `{dev, ino}` (whose last modification was `mtimeNs`):
 * those after it in rotation order when it is still among them, else those modified since. The
 * caller keeps `{dev, ino}` open meanwhile where it can, so the inode is not reused by a new file.
 */
export function rotatedAfter(files: RotatedFile[], dev: number, ino: number, mtimeNs: bigint | undefined): RotatedFile[] {
  const i = files.findIndex((f) => f.dev === dev && f.ino === ino);
  if (i >= 0) return files.slice(i + 1);
  if (mtimeNs === undefined) return [];
  // Timestamps are as coarse as the kernel's clock tick: an equal time may be a newer file. Reading
  // an older one again (duplicates, which the server drops) is better than skipping a newer one.
  return files.filter((f) => f.mtimeNs >= mtimeNs && (f.dev !== dev || f.ino !== ino));
}
