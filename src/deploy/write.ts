/** Writes rendered files under a directory (creating folders); each file atomically, so a failed run leaves no half-written manifest. */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RenderedFiles } from './render.js';

export async function writeRendered(files: RenderedFiles, outDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(outDir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, text);
    written.push(path);
  }
  return written;
}
