/**
 * A backup directory (issue #15):
 *
 *   <out>/generations/<id>/manifest.json   written last: its presence means the generation is complete
 *   <out>/generations/<id>/data/<path>     the data directory's files (paths relative to it)
 *   <out>/generations/<id>.partial/        a generation being written, or one whose writer died
 *
 * Each backup into the same directory is a new generation; files unchanged since the previous
 * complete generation (same path, size and SHA-256) are hard links to it, so a generation costs only
 * what is new. Any generation can be deleted on its own (hard links keep shared files alive).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const MANIFEST_FORMAT = 'logwharf-backup/1';
export const PARTIAL_SUFFIX = '.partial';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  generation: string;
  /** ISO times the snapshot was taken and the generation finished. */
  started: string;
  finished: string;
  source: { kind: 'online'; addr: string } | { kind: 'offline'; data: string };
  files: ManifestFile[];
  /** How the generation was made: files linked from the previous one, files copied and their bytes. */
  linked: number;
  copied: number;
  copiedBytes: number;
}

export const generationsDir = (out: string) => join(out, 'generations');

/** Generation ids in time order (ids sort by time), complete and incomplete. */
export async function listGenerations(out: string): Promise<Array<{ id: string; dir: string; complete: boolean }>> {
  let names: string[];
  try {
    names = await readdir(generationsDir(out));
  } catch {
    return [];
  }
  const out2: Array<{ id: string; dir: string; complete: boolean }> = [];
  for (const name of names.sort()) {
    const dir = join(generationsDir(out), name);
    const partial = name.endsWith(PARTIAL_SUFFIX);
    const complete = !partial && (await stat(join(dir, 'manifest.json')).then(() => true, () => false));
    out2.push({ id: partial ? name.slice(0, -PARTIAL_SUFFIX.length) : name, dir, complete });
  }
  return out2;
}

export async function readManifest(genDir: string): Promise<Manifest> {
  const text = await readFile(join(genDir, 'manifest.json'), 'utf8');
  const m = JSON.parse(text) as Manifest;
  if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.files)) throw new Error(`${join(genDir, 'manifest.json')} is not a ${MANIFEST_FORMAT} manifest`);
  return m;
}

export function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let size = 0;
    createReadStream(path)
      .on('data', (c) => {
        size += c.length;
        h.update(c);
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), size }));
  });
}

export interface VerifyResult {
  generation: string;
  complete: boolean;
  files: number;
  bytes: number;
  problems: string[];
}

/** Checks every file of a generation against its manifest (size and SHA-256), and that nothing is missing. */
export async function verifyGeneration(g: { id: string; dir: string; complete: boolean }): Promise<VerifyResult> {
  const r: VerifyResult = { generation: g.id, complete: g.complete, files: 0, bytes: 0, problems: [] };
  if (!g.complete) {
    r.problems.push(`generation ${g.id} is incomplete: its writer stopped before the manifest was written (a server or backup that died mid-way); it cannot be restored`);
    return r;
  }
  let m: Manifest;
  try {
    m = await readManifest(g.dir);
  } catch (e) {
    r.problems.push(`generation ${g.id}: the manifest does not read: ${(e as Error).message}`);
    return r;
  }
  for (const f of m.files) {
    r.files++;
    try {
      const got = await sha256File(join(g.dir, 'data', f.path));
      r.bytes += got.size;
      if (got.size !== f.size) r.problems.push(`${f.path}: ${got.size} bytes, the manifest says ${f.size}`);
      else if (got.sha256 !== f.sha256) r.problems.push(`${f.path}: SHA-256 differs from the manifest (the file is damaged)`);
    } catch (e) {
      r.problems.push(`${f.path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message}`);
    }
  }
  return r;
}
