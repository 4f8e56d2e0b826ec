/**
 * The positions file: where each source's acknowledged lines end, so a restarted agent resumes
 * there (issue #4 §2). Written atomically: the new content goes to `<path>.tmp`, is fsynced, renamed
 * over the old file, and the directory is fsynced; a crash at any moment leaves either the old or the
 * new file, never a torn one.
 */
import { readFile, rename } from 'node:fs/promises';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { Position } from '../model.js';

const VERSION = 1;

interface PositionsJson {
  version: number;
  positions: Record<string, Position>;
}

/** Positions by target id, kept in memory and flushed to disk on demand. */
export class PositionsFile {
  /** Where a corrupt file found at open was moved to (the agent then starts every source from 0). */
  readonly recovered: string | undefined;
  private readonly map: Map<string, Position>;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    map: Map<string, Position>,
    recovered: string | undefined,
  ) {
    this.map = map;
    this.recovered = recovered;
  }

  /** Loads `path` (a missing file is an empty one); a corrupt file is renamed to `<path>.corrupt-<ms>`. */
  static async open(path: string): Promise<PositionsFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new PositionsFile(path, new Map(), undefined);
      throw e;
    }
    const map = parsePositions(text);
    if (map) return new PositionsFile(path, map, undefined);
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside);
    return new PositionsFile(path, new Map(), aside);
  }

  get(id: string): Position | undefined {
    return this.map.get(id);
  }

  set(id: string, pos: Position): void {
    const old = this.map.get(id);
    if (old && samePosition(old, pos)) return;
    this.map.set(id, pos);
    this.dirty = true;
  }

  delete(id: string): void {
    if (this.map.delete(id)) this.dirty = true;
  }

  entries(): IterableIterator<[string, Position]> {
    return this.map.entries();
  }

  get size(): number {
    return this.map.size;
  }

  /** Writes the positions if anything changed since the last flush; concurrent calls are serialised. */
  flush(): Promise<void> {
    this.writing = this.writing.then(
      () => this.write(),
      () => this.write(),
    );
    return this.writing;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const body: PositionsJson = { version: VERSION, positions: Object.fromEntries(this.map) };
    try {
      await writeFileAtomic(this.path, JSON.stringify(body, null, 1) + '\n');
    } catch (e) {
      this.dirty = true;
      throw e;
    }
  }
}

/** The positions in a file's text, or undefined when it is not a positions file of this version. */
export function parsePositions(text: string): Map<string, Position> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { version, positions } = json as Partial<PositionsJson>;
  if (version !== VERSION || typeof positions !== 'object' || positions === null || Array.isArray(positions)) return undefined;
  const map = new Map<string, Position>();
  for (const [id, p] of Object.entries(positions as Record<string, unknown>)) {
    const pos = validPosition(p);
    if (!pos) return undefined;
    map.set(id, pos);
  }
  return map;
}

function validPosition(p: unknown): Position | undefined {
  if (typeof p !== 'object' || p === null) return undefined;
  const o = p as Record<string, unknown>;
  if (o.kind === 'file') {
    const { path, dev, ino, offset } = o;
    if (typeof path !== 'string' || !isCount(dev) || !isCount(ino) || !isCount(offset)) return undefined;
    return { kind: 'file', path, dev, ino, offset };
  }
  if (o.kind === 'since' && typeof o.ts === 'string' && /^\d+$/.test(o.ts)) return { kind: 'since', ts: o.ts };
  return undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function samePosition(a: Position, b: Position): boolean {
  if (a.kind === 'since' || b.kind === 'since') return a.kind === b.kind && (a as { ts: string }).ts === (b as { ts: string }).ts;
  return a.offset === b.offset && a.ino === b.ino && a.dev === b.dev && a.path === b.path;
}
