/**
 * Writes one backup generation (layout in ./backup-manifest.ts) from a source: the server's
 * snapshot over HTTP, or a stopped server's data directory. Every file is written and fsynced with
 * its SHA-256 computed on the way (and checked against the source's, when it gave one); files the
 * previous complete generation has with the same size and SHA-256 are hard-linked instead (copied
 * where the file system refuses links). The manifest is written last and the generation renamed
 * from `<id>.partial` to `<id>`: a generation without a manifest is never mistaken for a backup.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir } from '../util/fsync-dir.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { generationsDir, listGenerations, MANIFEST_FORMAT, PARTIAL_SUFFIX, readManifest, type Manifest, type ManifestFile } from './backup-manifest.js';

export interface BackupSourceFile {
  path: string;
  size: number;
  /** Known up front (the server computes it); otherwise the writer asks `hash` when it needs to compare. */
  sha256?: string;
}

export interface BackupSource {
  describe: Manifest['source'];
  files: BackupSourceFile[];
  /** The file's bytes from `from` (default 0) to `size`. */
  open(f: BackupSourceFile, from?: number): Promise<Readable>;
  /** SHA-256 of the file's `size` bytes, for sources that can compute it cheaply (local files). */
  hash?(f: BackupSourceFile): Promise<string>;
}

export class BackupError extends Error {}

/** Refuses an `--out` that is neither new, empty, nor an earlier backup. */
async function checkOut(out: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new BackupError(`cannot read --out ${out}: ${(e as Error).message}`);
  }
  if (names.length > 0 && !names.includes('generations')) {
    throw new BackupError(`--out ${out} is a non-empty directory that is not a logwharf backup; name a new directory or an earlier backup`);
  }
}

function genId(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace('.', '');
}

export async function writeBackup(out: string, src: BackupSource, started: Date): Promise<Manifest> {
  await checkOut(out);
  const gens = await listGenerations(out);
  const prevGen = [...gens].reverse().find((g) => g.complete);
  const prev = new Map<string, ManifestFile>();
  if (prevGen) for (const f of (await readManifest(prevGen.dir)).files) prev.set(f.path, f);
  let id = genId(started);
  while (gens.some((g) => g.id === id)) id += 'x';
  const partial = join(generationsDir(out), id + PARTIAL_SUFFIX);
  await mkdir(join(partial, 'data'), { recursive: true });
  const files: ManifestFile[] = [];
  let linked = 0;
  let copied = 0;
  let copiedBytes = 0;
  const dirs = new Set<string>();
  for (const f of src.files) {
    const dest = join(partial, 'data', f.path);
    await mkdir(dirname(dest), { recursive: true });
    dirs.add(dirname(dest));
    const before = prev.get(f.path);
    if (before && before.size === f.size) {
      const sha = f.sha256 ?? (await src.hash?.(f));
      if (sha === before.sha256) {
        const from = join(prevGen!.dir, 'data', f.path);
        await link(from, dest).catch(async () => copyFile(from, dest));
        files.push({ path: f.path, size: f.size, sha256: sha });
        linked++;
        continue;
      }
    }
    // A file that grew since (segment files are append-only): the earlier copy plus the new tail,
    // accepted only when the whole matches the source's checksum; otherwise copied whole.
    if (before && before.size < f.size) {
      const want = f.sha256 ?? (await src.hash?.(f));
      if (want !== undefined) {
        await copyFile(join(prevGen!.dir, 'data', f.path), dest);
        const sha = await copyIn(await src.open(f, before.size), dest, { ...f, sha256: want }, before.size).catch(() => undefined);
        if (sha !== undefined) {
          files.push({ path: f.path, size: f.size, sha256: sha });
          copied++;
          copiedBytes += f.size - before.size;
          continue;
        }
      }
    }
    const sha = await copyIn(await src.open(f), dest, f);
    files.push({ path: f.path, size: f.size, sha256: sha });
    copied++;
    copiedBytes += f.size;
  }
  for (const d of dirs) await fsyncDir(d);
  const manifest: Manifest = { format: MANIFEST_FORMAT, generation: id, started: started.toISOString(), finished: new Date().toISOString(), source: src.describe, files, linked, copied, copiedBytes };
  await writeFileAtomic(join(partial, 'manifest.json'), JSON.stringify(manifest, null, 1));
  const final = join(generationsDir(out), id);
  await rename(partial, final);
  await fsyncDir(generationsDir(out));
  return manifest;
}

/**
 * Streams a source file to `dest` (after its first `offset` bytes, already there), fsyncs it, and
 * checks the whole file's length and (when known) checksum.
 */
async function copyIn(stream: Readable, dest: string, f: BackupSourceFile, offset = 0): Promise<string> {
  const fh = await open(dest, offset > 0 ? 'r+' : 'w');
  const h = createHash('sha256');
  let size = offset;
  try {
    if (offset > 0) {
      for await (const chunk of createReadStream('', { fd: fh.fd, start: 0, end: offset - 1, autoClose: false })) h.update(chunk as Buffer);
    }
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      h.update(b);
      await fh.write(b, 0, b.length, size);
      size += b.length;
    }
    await fh.truncate(size);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  const sha = h.digest('hex');
  if (size !== f.size) throw new BackupError(`${f.path}: received ${size} bytes of ${f.size}; the backup is incomplete`);
  if (f.sha256 !== undefined && sha !== f.sha256) throw new BackupError(`${f.path}: the bytes received do not match the source's SHA-256; the backup is incomplete`);
  return sha;
}
