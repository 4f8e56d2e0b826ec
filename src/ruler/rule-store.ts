/**
 * Rule groups managed through the ruler API, kept per tenant and namespace under the data directory
 * (file names: rule-paths.ts). Each namespace is one Prometheus rule file, so a stored namespace can
 * be copied into `ruler.rules_dir` or linted as it is.
 *
 * Durability: a write replaces the namespace's file atomically (writeFileAtomic: temp file, fsync,
 * rename, directory fsync) before the request is acknowledged, so a crash leaves the old file or the
 * new one. At start a leftover temp file (a write the crash interrupted, never acknowledged) is
 * removed, and a file that no longer parses is moved aside (`.damaged-<time>`), logged and counted:
 * the server starts with the remaining namespaces instead of refusing to start.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Counter, Registry } from 'prom-client';
import { rulerCounter } from './metrics.js';
import { LogwharfError } from '../api/errors.js';
import type { RuleGroupSpec } from '../rules/model.js';
import { parseRuleFile } from '../rules/parse.js';
import { fsyncDir } from '../util/fsync-dir.js';
import { ATOMIC_TMP_SUFFIX, DAMAGED_INFIX, moveAsideDamaged, unlinkDurable, writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { decodeName, namespaceFile, nameProblem, RULE_FILE_SUFFIX, rulesRoot, tenantRulesDir } from './rule-paths.js';

export interface RuleStoreOptions {
  dataDir: string;
  maxGroupsPerTenant: number;
  maxRulesPerGroup: number;
  log: Logger;
  registry?: Registry;
  /** Clock for the names of damaged files. */
  now?: () => number;
}

export type Namespaces = ReadonlyMap<string, readonly RuleGroupSpec[]>;

const EMPTY: Namespaces = new Map();

export class RuleStore {
  /**
   * tenant → namespace → groups in file order. After every completed write this equals what the
   * files on disk hold; a tenant or namespace with no groups has no entry (and no file).
   */
  private readonly tenants = new Map<string, Map<string, RuleGroupSpec[]>>();
  /** Writes run one after another, so two requests never interleave the read-modify-write of a file. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly damaged: Counter;

  private constructor(private readonly opts: RuleStoreOptions) {
    this.damaged = rulerCounter(opts.registry, 'logwharf_ruler_damaged_rule_files_total', 'Stored rule files that did not parse at start and were moved aside (.damaged-<time>).');
  }

  /** Opens the store under `dataDir`, loading every namespace file (see the header for damage). */
  static async open(opts: RuleStoreOptions): Promise<RuleStore> {
    const store = new RuleStore(opts);
    await store.load();
    return store;
  }

  /** Tenants that have at least one stored group. */
  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  namespaces(tenant: string): Namespaces {
    return this.tenants.get(tenant) ?? EMPTY;
  }

  /** Creates the group, or replaces the group of the same name in that namespace. */
  async putGroup(tenant: string, namespace: string, spec: RuleGroupSpec): Promise<void> {
    checkNames(namespace, spec.name);
    return await this.serial(async () => {
      if (spec.rules.length > this.opts.maxRulesPerGroup) {
        throw new LogwharfError('bad_request', `per-user rules per rule group limit (limit: ${this.opts.maxRulesPerGroup} actual: ${spec.rules.length}) exceeded`);
      }
      const current = this.namespaces(tenant).get(namespace) ?? [];
      const at = current.findIndex((g) => g.name === spec.name);
      if (at < 0) {
        const count = this.groupCount(tenant) + 1;
        if (count > this.opts.maxGroupsPerTenant) {
          throw new LogwharfError('bad_request', `per-user rule groups limit (limit: ${this.opts.maxGroupsPerTenant} actual: ${count}) exceeded`);
        }
      }
      const next = at < 0 ? [...current, spec] : current.map((g, i) => (i === at ? spec : g));
      await this.writeNamespace(tenant, namespace, next);
    });
  }

  /** Resolves false when there was no such group. */
  deleteGroup(tenant: string, namespace: string, name: string): Promise<boolean> {
    return this.serial(async () => {
      const current = this.namespaces(tenant).get(namespace);
      if (!current || !current.some((g) => g.name === name)) return false;
      await this.writeNamespace(tenant, namespace, current.filter((g) => g.name !== name));
      return true;
    });
  }

  /** Resolves false when the namespace held no groups. */
  deleteNamespace(tenant: string, namespace: string): Promise<boolean> {
    return this.serial(async () => {
      if (!this.namespaces(tenant).has(namespace)) return false;
      await this.writeNamespace(tenant, namespace, []);
      return true;
    });
  }

  /** Waits for writes under way (for close). */
  async drain(): Promise<void> {
    await this.queue.catch(() => {});
  }

  private groupCount(tenant: string): number {
    let n = 0;
    for (const groups of this.namespaces(tenant).values()) n += groups.length;
    return n;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Makes the namespace hold exactly `groups` on disk, then in memory. */
  private async writeNamespace(tenant: string, namespace: string, groups: RuleGroupSpec[]): Promise<void> {
    const file = namespaceFile(this.opts.dataDir, tenant, namespace);
    if (groups.length === 0) {
      await unlinkDurable(file);
      const namespaces = this.tenants.get(tenant);
      namespaces?.delete(namespace);
      if (namespaces?.size === 0) this.tenants.delete(tenant);
      return;
    }
    await this.ensureTenantDir(tenant);
    // JSON is YAML too (any rule-file reader loads it), and serialises a large group in milliseconds
    // where a YAML printer would hold the event loop for a good part of a second.
    await writeFileAtomic(file, JSON.stringify({ groups }, null, 2) + '\n');
    let namespaces = this.tenants.get(tenant);
    if (!namespaces) this.tenants.set(tenant, (namespaces = new Map()));
    namespaces.set(namespace, groups);
  }

  private async ensureTenantDir(tenant: string): Promise<void> {
    const root = rulesRoot(this.opts.dataDir);
    const dir = tenantRulesDir(this.opts.dataDir, tenant);
    // mkdir resolves with the first directory it created, or undefined when all existed.
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) {
      await fsyncDir(root);
      await fsyncDir(this.opts.dataDir);
    }
  }

  private async load(): Promise<void> {
    const root = rulesRoot(this.opts.dataDir);
    for (const tenantEntry of await readdirOrEmpty(root)) {
      if (!tenantEntry.isDirectory()) continue;
      const tenant = decodeName(tenantEntry.name);
      if (tenant === undefined) {
        this.opts.log.warn({ dir: join(root, tenantEntry.name) }, 'ignoring a directory under the rule storage that is not a tenant written by logwharf');
        continue;
      }
      const dir = join(root, tenantEntry.name);
      for (const entry of await readdirOrEmpty(dir)) {
        if (!entry.isFile()) continue;
        await this.loadFile(tenant, dir, entry.name);
      }
    }
  }

  private async loadFile(tenant: string, dir: string, name: string): Promise<void> {
    const log = this.opts.log;
    const path = join(dir, name);
    if (name.includes(DAMAGED_INFIX)) return;
    if (name.endsWith(RULE_FILE_SUFFIX + ATOMIC_TMP_SUFFIX)) {
      // A write interrupted by a crash: it was never acknowledged, and the namespace file beside it
      // still holds the state before it.
      await unlinkDurable(path);
      log.info({ file: path }, 'removed an unfinished rule file write left by a crash');
      return;
    }
    const namespace = name.endsWith(RULE_FILE_SUFFIX) ? decodeName(name.slice(0, -RULE_FILE_SUFFIX.length)) : undefined;
    if (namespace === undefined) {
      log.warn({ file: path }, 'ignoring a file under the rule storage that is not a namespace written by logwharf');
      return;
    }
    let groups: RuleGroupSpec[];
    try {
      groups = parseRuleFile(await readFile(path, 'utf8'), { maxRulesPerGroup: Number.MAX_SAFE_INTEGER });
    } catch (e) {
      await this.quarantine(path, tenant, namespace, e);
      return;
    }
    if (groups.length === 0) return;
    let namespaces = this.tenants.get(tenant);
    if (!namespaces) this.tenants.set(tenant, (namespaces = new Map()));
    namespaces.set(namespace, groups);
  }

  private async quarantine(path: string, tenant: string, namespace: string, cause: unknown): Promise<void> {
    const problems = (cause as { problems?: unknown }).problems;
    const fields = { file: path, tenant, namespace, err: (cause as Error).message, ...(problems !== undefined ? { problems } : {}) };
    this.damaged.inc();
    let aside: string;
    try {
      aside = await moveAsideDamaged(path, (this.opts.now ?? Date.now)());
    } catch (e) {
      this.opts.log.error({ ...fields, rename_err: (e as Error).message }, 'stored rule file is damaged and could not be moved aside; its groups are not loaded');
      return;
    }
    this.opts.log.warn({ ...fields, moved_to: aside }, 'stored rule file is damaged; moved it aside and starting without its groups (restore them from the moved file or your own copy)');
  }
}

function checkNames(namespace: string, group: string): void {
  const problem = nameProblem('namespace', namespace) ?? nameProblem('group', group);
  if (problem) throw new LogwharfError('bad_request', problem);
}

async function readdirOrEmpty(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
