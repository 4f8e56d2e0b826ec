/**
 * Plain-file discovery (issue #4 §1), for hosts without containers: the configured globs are expanded
 * every interval and each matching file is a target `file:<absolute path>`, read as raw lines.
 *
 * Rotated siblings are not targets of their own. A glob such as `/var/log/app/*.log*` also matches
 * `app.log.1` the moment logrotate renames `app.log`, and reading it as a new file would send its
 * lines a second time: the reader of `app.log` already follows the rename and finishes the old file.
 * So a file whose name is a rotated form of a name the same pattern matches (`<name>.<digits>`,
 * `<name>-YYYYMMDD[hh[mm[ss]]]`) is left out, and compressed files (`.gz`, `.bz2`, `.xz`, `.zst`,
 * `.zip`, `.lz4`) are never targets, since the raw reader would ship their bytes. A pattern that
 * names such a file itself (`/var/log/app.log.1`) still gets it: stripping the suffix no longer
 * matches the pattern.
 *
 * A file missing from one expansion may be between a rename and its re-creation; missing from two
 * in a row (longer than an interval), it is finished, i.e. read to its end. If it comes back it is
 * upserted again. A path matched by several entries of `files` takes the labels of the first.
 */
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import type { AgentConfig } from '../../config/agent.js';
import type { Labels } from '../../api/model.js';
import type { Logger } from '../../util/logger.js';
import type { Discovery, DiscoverySink } from '../model.js';

export interface FileDiscoveryDeps {
  log: Logger;
  /** Value of the `host` label. */
  host: string;
  /** Glob expansion interval (ms, default 1000). */
  intervalMs?: number;
  /** Called at the end of every expansion, before the next can start (tests count expansions instead of sleeping). */
  onScanned?: () => void;
}

const SOURCE = 'files';
const COMPRESSED = /\.(?:gz|bz2|xz|zst|zip|lz4)$/;
const ROTATION_SUFFIX = /(?:\.[0-9]+|-[0-9]{8}(?:[0-9]{2}){0,3})$/;

interface Group {
  patterns: string[];
  exclude: string[];
  labels: Labels;
  matches: (path: string) => boolean;
}

/** Creates the file discovery; start() resolves after the first expansion of the globs. */
export function createFileDiscovery(cfg: AgentConfig['files'], sink: DiscoverySink, deps: FileDiscoveryDeps): Discovery {
  const intervalMs = deps.intervalMs ?? 1000;
  const groups: Group[] = cfg.map((g) => {
    const patterns = g.paths.map(absolutePattern);
    return { patterns, exclude: g.exclude.map(absolutePattern), labels: g.labels, matches: picomatch(patterns, { dot: true }) };
  });
  /** Targets upserted and not finished: path → consecutive expansions it was absent from. */
  const live = new Map<string, number>();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> | undefined;
  let lastError: string | undefined;

  async function scan(): Promise<void> {
    const seen = new Map<string, Labels>();
    for (const g of groups) {
      const found = await glob(g.patterns, {
        absolute: true,
        onlyFiles: true,
        dot: true,
        expandDirectories: false,
        ignore: g.exclude,
      });
      for (const path of found) {
        if (seen.has(path) || !isTargetName(path, g.matches)) continue;
        seen.set(path, g.labels);
      }
    }
    if (abort.signal.aborted) return;
    for (const [path, labels] of seen) {
      if (live.has(path)) {
        live.set(path, 0);
        continue;
      }
      live.set(path, 0);
      deps.log.debug({ file: path }, 'file target found');
      sink.upsert({
        id: `file:${path}`,
        kind: 'file',
        labels: { host: deps.host, ...labels, filename: path },
        reader: { type: 'file', path, format: 'raw' },
        info: { file: path, node: deps.host },
      });
    }
    for (const [path, missing] of live) {
      if (seen.has(path)) continue;
      if (missing + 1 >= 2) {
        live.delete(path);
        sink.finished(`file:${path}`);
      } else live.set(path, missing + 1);
    }
  }

  function runScan(): Promise<void> {
    scanning ??= scan()
      .finally(() => deps.onScanned?.())
      .then(() => {
        lastError = undefined;
      })
      .catch((e: unknown) => {
        const err = e as Error;
        if (err.message !== lastError) sink.error(SOURCE, new Error(`expanding the file globs failed: ${err.message}`));
        lastError = err.message;
      })
      .finally(() => {
        scanning = undefined;
      });
    return scanning;
  }

  function kick(): void {
    if (abort.signal.aborted) return;
    timer = setTimeout(() => void runScan().then(kick), intervalMs);
  }

  return {
    async start() {
      await runScan();
      kick();
    },
    async close() {
      abort.abort();
      if (timer) clearTimeout(timer);
      await scanning;
    },
  };
}

/** Whether a matched file is a target of its own rather than a rotated or compressed sibling. */
export function isTargetName(path: string, matches: (path: string) => boolean): boolean {
  const name = basename(path);
  if (COMPRESSED.test(name)) return false;
  let stem = name;
  while (ROTATION_SUFFIX.test(stem)) {
    stem = stem.replace(ROTATION_SUFFIX, '');
    if (stem && matches(join(dirname(path), stem))) return false;
  }
  return true;
}

/** Relative patterns are relative to the working directory, like the paths they will produce. */
function absolutePattern(p: string): string {
  return isAbsolute(p) ? p : resolve(p);
}
