/**
 * Read-only rule files from `ruler.rules_dir`, for rules kept in git: `<dir>/<tenant>/<namespace>.yaml`
 * (or `.yml`), each a Prometheus rule file (`groups: [...]`). Names are taken literally here (a
 * person chose them); hidden files and directories (editors' swap files, `.git`) are skipped.
 *
 * Reloading: fs.watch (recursive) triggers a rescan soon after a change where the platform delivers
 * events, and a periodic rescan catches what it misses (network and overlay filesystems, a replaced
 * mount). A file that stops parsing keeps its last good groups, and the problem is logged once per
 * distinct content, with the positions the parser gives; a file removed takes its groups with it.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Counter, Registry } from 'prom-client';
import { rulerCounter } from './metrics.js';
import type { RuleGroupSpec } from '../rules/model.js';
import { parseRuleFile } from '../rules/parse.js';
import type { Logger } from '../util/logger.js';

/** How often the directory is rescanned when no watch event arrives. */
export const RULES_DIR_RESCAN_MS = 10_000;
/** Events usually come in bursts (an editor writes, renames, chmods); one rescan after the burst. */
const WATCH_SETTLE_MS = 100;
const RULE_FILE_RE = /^(.+)\.ya?ml$/;

export interface RulesDirOptions {
  dir: string;
  log: Logger;
  maxRulesPerGroup: number;
  /** Called after a rescan changed any namespace's groups. */
  onChange: () => void;
  /** Periodic rescan interval (default RULES_DIR_RESCAN_MS); 0 = none. */
  rescanMs?: number;
  /** Use fs.watch as well (default true). */
  watch?: boolean;
  registry?: Registry;
}

interface LoadedFile {
  /** The text last read, to tell a change from a rescan that found the same file. */
  text: string;
  /** The groups of the last text that parsed. */
  groups: RuleGroupSpec[];
}

export class RulesDir {
  /** tenant → namespace → file state, as of the last completed scan. */
  private readonly files = new Map<string, Map<string, LoadedFile>>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  /** The scan under way; a request meanwhile sets `again` so exactly one more scan follows it. */
  private scanning: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly errors: Counter;

  private constructor(private readonly opts: RulesDirOptions) {
    this.errors = rulerCounter(opts.registry, 'logwharf_ruler_rules_dir_errors_total', 'Rule files in ruler.rules_dir that failed to load (each distinct broken content counted once); their last good groups stay in use.');
  }

  /** Loads the directory once and starts watching it. */
  static async open(opts: RulesDirOptions): Promise<RulesDir> {
    const d = new RulesDir(opts);
    await d.scan();
    d.startWatching();
    return d;
  }

  tenantIds(): string[] {
    return [...this.files.keys()];
  }

  /** namespace → groups of one tenant (only namespaces whose file ever parsed). */
  namespaces(tenant: string): Map<string, readonly RuleGroupSpec[]> {
    const out = new Map<string, readonly RuleGroupSpec[]>();
    for (const [ns, f] of this.files.get(tenant) ?? []) out.set(ns, f.groups);
    return out;
  }

  /** True when the tenant has a file for this namespace, even one that never parsed. */
  owns(tenant: string, namespace: string): boolean {
    return this.files.get(tenant)?.has(namespace) ?? false;
  }

  /** Rescans now (and resolves when that scan is done); also what the watcher and timer call. */
  rescan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        do {
          this.again = false;
          await this.scan();
        } while (this.again && !this.closed);
      } finally {
        this.scanning = undefined;
      }
    })();
    return this.scanning;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    clearInterval(this.timer);
    clearTimeout(this.settle);
    await this.scanning;
  }

  private startWatching(): void {
    const rescanMs = this.opts.rescanMs ?? RULES_DIR_RESCAN_MS;
    if (rescanMs > 0) {
      this.timer = setInterval(() => void this.rescan().catch((e) => this.scanFailed(e)), rescanMs);
      this.timer.unref();
    }
    if (this.opts.watch === false) return;
    try {
      this.watcher = watch(this.opts.dir, { recursive: true, persistent: false }, () => {
        clearTimeout(this.settle);
        this.settle = setTimeout(() => void this.rescan().catch((e) => this.scanFailed(e)), WATCH_SETTLE_MS);
        this.settle.unref();
      });
      // A watched directory removed or unmounted: the periodic rescan carries on.
      this.watcher.on('error', (e) => {
        this.opts.log.warn({ dir: this.opts.dir, err: e.message }, 'watching ruler.rules_dir stopped; changes are picked up by the periodic rescan');
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (e) {
      this.opts.log.info({ dir: this.opts.dir, err: (e as Error).message }, 'cannot watch ruler.rules_dir; changes are picked up by the periodic rescan');
    }
  }

  private scanFailed(e: unknown): void {
    this.opts.log.warn({ dir: this.opts.dir, err: (e as Error).message }, 'rescanning ruler.rules_dir failed; keeping the rules loaded before');
  }

  private async scan(): Promise<void> {
    let changed = false;
    const seenTenants = new Set<string>();
    for (const tenantEntry of await listDir(this.opts.dir)) {
      if (!tenantEntry.isDirectory() || tenantEntry.name.startsWith('.')) continue;
      const tenant = tenantEntry.name;
      seenTenants.add(tenant);
      const before = this.files.get(tenant) ?? new Map<string, LoadedFile>();
      const after = new Map<string, LoadedFile>();
      for (const entry of await listDir(join(this.opts.dir, tenant))) {
        const m = RULE_FILE_RE.exec(entry.name);
        if (!m || !entry.isFile() || entry.name.startsWith('.')) continue;
        const namespace = m[1]!;
        if (after.has(namespace)) {
          this.opts.log.warn({ tenant, namespace, file: join(this.opts.dir, tenant, entry.name) }, 'ruler.rules_dir has both a .yaml and a .yml file for one namespace; using the first read');
          continue;
        }
        const file = join(this.opts.dir, tenant, entry.name);
        const loaded = await this.loadFile(file, tenant, namespace, before.get(namespace));
        if (!loaded) continue;
        if (loaded !== before.get(namespace)) changed ||= loaded.groups !== before.get(namespace)?.groups;
        after.set(namespace, loaded);
      }
      for (const ns of before.keys()) if (!after.has(ns)) changed = true;
      if (after.size > 0) this.files.set(tenant, after);
      else this.files.delete(tenant);
    }
    for (const tenant of [...this.files.keys()]) {
      if (!seenTenants.has(tenant)) {
        this.files.delete(tenant);
        changed = true;
      }
    }
    if (changed && !this.closed) this.opts.onChange();
  }

  /** The file's state after reading it now; undefined when it vanished before it was read. */
  private async loadFile(file: string, tenant: string, namespace: string, prev: LoadedFile | undefined): Promise<LoadedFile | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.opts.log.warn({ file, err: (e as Error).message }, 'cannot read a rule file in ruler.rules_dir; keeping its last good groups');
      return prev;
    }
    if (prev && prev.text === text) return prev;
    try {
      const groups = parseRuleFile(text, { maxRulesPerGroup: this.opts.maxRulesPerGroup });
      if (prev) this.opts.log.info({ file, tenant, namespace, groups: groups.length }, 'reloaded a rule file from ruler.rules_dir');
      return { text, groups };
    } catch (e) {
      this.errors.inc();
      const problems = (e as { problems?: unknown }).problems;
      this.opts.log.warn(
        { file, tenant, namespace, err: (e as Error).message, ...(problems !== undefined ? { problems } : {}) },
        prev ? 'rule file in ruler.rules_dir is invalid; keeping its last good groups' : 'rule file in ruler.rules_dir is invalid; none of its groups are loaded until it is fixed',
      );
      // Remember the broken text (so it is reported once), keeping the last good groups.
      return { text, groups: prev?.groups ?? [] };
    }
  }
}

async function listDir(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
}
