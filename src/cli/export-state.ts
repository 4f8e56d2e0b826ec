/**
 * What makes `logwharf export --out FILE` resumable: `FILE.export-state.json` beside the output,
 * and each window's entries in `FILE.export-parts/<window>.part`. A window counts as done only once
 * its part file is fsynced and the state file (replaced atomically) lists it with its entry count,
 * so after a kill at any moment a part file is either listed and complete, or not listed and
 * written again from scratch. When every window is done the parts are joined into FILE (written
 * atomically) and both the state file and the parts directory are removed.
 *
 * The state names the query, range, window size and format; `--resume` with another query, window
 * or format is refused, because the parts would not belong together, and it continues the saved
 * range (relative times such as now-1h were resolved at the first run).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { ExportFormat } from '../api/export-record.js';

export const STATE_SUFFIX = '.export-state.json';
export const PARTS_SUFFIX = '.export-parts';
const VERSION = 1;

export interface ExportPlan {
  query: string;
  start: bigint;
  end: bigint;
  window: bigint;
  format: ExportFormat;
}

export interface ExportState {
  plan: ExportPlan;
  /** Window index → entries written to its part. */
  done: Map<number, number>;
}

interface StateFile {
  version: number;
  query: string;
  start: string;
  end: string;
  window_ns: string;
  format: ExportFormat;
  done: Record<string, number>;
}

export function statePath(out: string): string {
  return out + STATE_SUFFIX;
}

export function partsDir(out: string): string {
  return out + PARTS_SUFFIX;
}

export async function saveState(path: string, s: ExportState): Promise<void> {
  const file: StateFile = {
    version: VERSION,
    query: s.plan.query,
    start: s.plan.start.toString(),
    end: s.plan.end.toString(),
    window_ns: s.plan.window.toString(),
    format: s.plan.format,
    done: Object.fromEntries([...s.done].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
  };
  await writeFileAtomic(path, JSON.stringify(file, null, 1) + '\n');
}

/**
 * The saved state, or undefined when there is none; throws with a readable reason when its query,
 * window or format is not `plan`'s. Its time range replaces `plan`'s.
 */
export function loadState(path: string, plan: ExportPlan): ExportState | undefined {
  if (!existsSync(path)) return undefined;
  let f: StateFile;
  try {
    f = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
  } catch (e) {
    throw new Error(`${path} is not a readable export state (${(e as Error).message}); remove it and the parts directory to start over`);
  }
  if (f.version !== VERSION) throw new Error(`${path} has version ${String(f.version)}, this logwharf writes ${VERSION}`);
  const differs: string[] = [];
  if (f.query !== plan.query) differs.push(`query ${JSON.stringify(f.query)}`);
  if (f.window_ns !== plan.window.toString()) differs.push(`window ${f.window_ns} ns`);
  if (f.format !== plan.format) differs.push(`output ${f.format}`);
  if (differs.length > 0) throw new Error(`${path} belongs to another export (${differs.join(', ')}); resume with the same query, --window and --output, or remove it to start over`);
  const done = new Map<number, number>();
  for (const [k, v] of Object.entries(f.done ?? {})) done.set(Number(k), v);
  // The range is the first run's: `--from now-1h` means another range a minute later, and the parts
  // already written belong to the first one.
  return { plan: { ...plan, start: BigInt(f.start), end: BigInt(f.end) }, done };
}
