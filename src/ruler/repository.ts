/**
 * The one owner of the ruler's rule groups: those managed through the API (rule-store.ts, under the
 * data directory) and the read-only ones from `ruler.rules_dir` (rules-dir.ts). The API writes
 * through it, the evaluator reads `list()` and re-reads it on `onChange`.
 *
 * A namespace belongs to one source: a namespace that has a file in `ruler.rules_dir` is read-only
 * (writes answer 403 naming the file to edit instead), and it hides an API namespace of the same
 * name (which can only exist if the file was added later; that is logged).
 */
import type { Registry } from 'prom-client';
import { LogwharfError } from '../api/errors.js';
import type { RuleGroup, RuleGroupSpec } from '../rules/model.js';
import { toRuleGroup } from '../rules/parse.js';
import { childLogger, type Logger } from '../util/logger.js';
import { RuleStore } from './rule-store.js';
import { RulesDir } from './rules-dir.js';
import { nameProblem } from './rule-paths.js';
import { createRuleCodec, type RuleCodec } from './rule-codec.js';

export interface RuleRepository {
  /** Every group of one tenant, or of all tenants when `tenant` is undefined. */
  list(tenant?: string): RuleGroup[];
  /** The groups of one namespace (empty when there is none). */
  get(tenant: string, namespace: string): RuleGroup[];
  /** One group, or undefined. */
  get(tenant: string, namespace: string, group: string): RuleGroup | undefined;
  /** Creates or replaces a group in an API namespace; resolves once it is durable. */
  put(tenant: string, namespace: string, spec: RuleGroupSpec): Promise<void>;
  /** Deletes one group, or the whole namespace without `group`; resolves false when there was none. */
  delete(tenant: string, namespace: string, group?: string): Promise<boolean>;
  /** True when the namespace comes from `ruler.rules_dir` (and so cannot be written). */
  isReadOnly(tenant: string, namespace: string): boolean;
  /** Called after any change of the groups (API write or directory reload); returns an unsubscribe. */
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}

export interface RuleRepositoryOptions {
  dataDir: string;
  /** `ruler.rules_dir`; '' = none. */
  rulesDir: string;
  defaultIntervalMs: number;
  maxGroupsPerTenant: number;
  maxRulesPerGroup: number;
  log: Logger;
  registry?: Registry;
  /** Periodic rescan of `rulesDir` (tests make it short or 0). */
  rulesDirRescanMs?: number;
  /** Watch `rulesDir` with fs.watch too (default true). */
  rulesDirWatch?: boolean;
  /**
   * Groups the server ships (the self-monitoring rules), per tenant and namespace. A namespace of the
   * same name stored through the API or in `rulesDir` replaces them whole (Loki's way to override);
   * deleting that namespace brings them back.
   */
  builtin?: ReadonlyArray<{ tenant: string; namespace: string; groups: readonly RuleGroupSpec[] }>;
  /** Parses rules_dir files (the server shares its codec with the API); one of its own otherwise. */
  codec?: RuleCodec;
  now?: () => number;
}

export async function createRuleRepository(opts: RuleRepositoryOptions): Promise<RuleRepository> {
  const log = opts.log;
  const listeners = new Set<() => void>();
  /** All tenants' groups, rebuilt lazily after a change; `list()` is called on every evaluation round. */
  let cache: Map<string, RuleGroup[]> | undefined;
  const changed = () => {
    cache = undefined;
    for (const l of [...listeners]) {
      try {
        l();
      } catch (e) {
        log.error({ err: (e as Error).message }, 'a rule change listener failed');
      }
    }
  };

  const store = await RuleStore.open({
    dataDir: opts.dataDir,
    maxGroupsPerTenant: opts.maxGroupsPerTenant,
    maxRulesPerGroup: opts.maxRulesPerGroup,
    log: childLogger(log, { part: 'rule-store' }),
    registry: opts.registry,
    now: opts.now,
  });
  const ownCodec = opts.codec ? undefined : createRuleCodec({ maxRulesPerGroup: opts.maxRulesPerGroup });
  const codec = opts.codec ?? ownCodec!;
  const dir = opts.rulesDir
    ? await RulesDir.open({
        dir: opts.rulesDir,
        log: childLogger(log, { part: 'rules-dir' }),
        parseFile: (text) => codec.parseFile(text),
        onChange: changed,
        rescanMs: opts.rulesDirRescanMs,
        watch: opts.rulesDirWatch,
        registry: opts.registry,
      })
    : undefined;

  const shadowWarned = new Set<string>();

  function build(): Map<string, RuleGroup[]> {
    const out = new Map<string, RuleGroup[]>();
    const builtin = opts.builtin ?? [];
    const tenants = new Set([...store.tenantIds(), ...(dir?.tenantIds() ?? []), ...builtin.map((b) => b.tenant)]);
    for (const tenant of [...tenants].sort()) {
      const groups: RuleGroup[] = [];
      const fromDir = dir?.namespaces(tenant) ?? new Map<string, readonly RuleGroupSpec[]>();
      const fromApi = store.namespaces(tenant);
      const fromBuiltin = new Map(builtin.filter((b) => b.tenant === tenant).map((b) => [b.namespace, b.groups]));
      const names = new Set([...fromDir.keys(), ...fromApi.keys(), ...fromBuiltin.keys()]);
      for (const namespace of [...names].sort()) {
        const dirGroups = fromDir.get(namespace);
        const apiGroups = fromApi.get(namespace);
        const origin = dirGroups ? 'dir' : apiGroups ? 'api' : 'builtin';
        if (dirGroups && apiGroups) warnShadowed(tenant, namespace);
        for (const spec of dirGroups ?? apiGroups ?? fromBuiltin.get(namespace) ?? []) {
          groups.push(toRuleGroup(spec, { tenant, namespace, defaultIntervalMs: opts.defaultIntervalMs, origin }));
        }
      }
      if (groups.length > 0) out.set(tenant, groups);
    }
    return out;
  }

  function warnShadowed(tenant: string, namespace: string): void {
    const key = JSON.stringify([tenant, namespace]);
    if (shadowWarned.has(key)) return;
    shadowWarned.add(key);
    log.warn({ tenant, namespace }, 'a namespace stored through the API is hidden by a file of the same name in ruler.rules_dir; the file wins');
  }

  function all(): Map<string, RuleGroup[]> {
    return (cache ??= build());
  }

  function isReadOnly(tenant: string, namespace: string): boolean {
    return dir?.owns(tenant, namespace) ?? false;
  }

  function refuseReadOnly(tenant: string, namespace: string): void {
    if (isReadOnly(tenant, namespace)) {
      throw new LogwharfError(
        'read_only',
        `namespace "${namespace}" is read-only: its rules come from ruler.rules_dir (${opts.rulesDir}/${tenant}/${namespace}.yaml); change that file instead`,
      );
    }
  }

  function get(tenant: string, namespace: string): RuleGroup[];
  function get(tenant: string, namespace: string, group: string): RuleGroup | undefined;
  function get(tenant: string, namespace: string, group?: string): RuleGroup[] | RuleGroup | undefined {
    const inNs = (all().get(tenant) ?? []).filter((g) => g.namespace === namespace);
    return group === undefined ? inNs : inNs.find((g) => g.name === group);
  }

  return {
    list(tenant) {
      if (tenant !== undefined) return [...(all().get(tenant) ?? [])];
      return [...all().values()].flat();
    },
    get,
    async put(tenant, namespace, spec) {
      refuseReadOnly(tenant, namespace);
      await store.putGroup(tenant, namespace, spec);
      changed();
    },
    async delete(tenant, namespace, group) {
      const problem = nameProblem('namespace', namespace) ?? (group === undefined ? undefined : nameProblem('group', group));
      if (problem) throw new LogwharfError('bad_request', problem);
      refuseReadOnly(tenant, namespace);
      const done = group === undefined ? await store.deleteNamespace(tenant, namespace) : await store.deleteGroup(tenant, namespace, group);
      if (done) changed();
      return done;
    },
    isReadOnly,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await dir?.close();
      await store.drain();
      await ownCodec?.close();
    },
  };
}
