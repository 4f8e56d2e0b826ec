/**
 * What the ruler's unit tests share: a real store with known log lines, the real query service over
 * it, rule groups built in code, and the stand-ins of ../../helpers/ruler-stand-ins.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { Entry, Labels } from '../../../src/api/model.js';
import { createLocalScanner } from '../../../src/query/engine/block-scanner.js';
import { createQueryService, type QueryService } from '../../../src/query/service.js';
import type { Rule, RuleGroup, RuleSpec } from '../../../src/rules/model.js';
import { createStore, type EmbeddedStore } from '../../../src/store/index.js';
import { createLogger } from '../../../src/util/logger.js';

/** 2024-05-01T00:00:00Z in ms: the tests' clocks start here. */
export const T0 = 1_714_521_600_000;

export const silentLog = createLogger({ level: 'silent' });

export interface TestStore {
  dir: string;
  store: EmbeddedStore;
  query: QueryService;
  close(): Promise<void>;
}

/** A store (clock at T0 + 1h, so every test time is in its past) and the query service over it. */
export async function openTestStore(): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), 'ruler-store-'));
  const store = createStore({ dir, compactionIntervalMs: 0, retention: { periodMs: 0 }, now: () => T0 + 3_600_000 });
  await store.start();
  const query = createQueryService({ store, scanner: createLocalScanner(store), limits: { max_entries_limit_per_query: 1000, max_query_series: 100 }, timeoutMs: 10_000 });
  return {
    dir,
    store,
    query,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One line per second from `fromMs` (inclusive) to `toMs` (exclusive). */
export async function writeLines(store: EmbeddedStore, tenant: string, labels: Labels, fromMs: number, toMs: number, line: string): Promise<void> {
  const entries: Entry[] = [];
  for (let t = fromMs; t < toMs; t += 1000) entries.push({ ts: BigInt(t) * 1_000_000n, line });
  await store.append(tenant, [{ labels, entries }]);
}

function ruleSpec(r: Rule): RuleSpec {
  if (r.kind === 'recording') return { record: r.name, expr: r.expr, labels: r.labels };
  return { alert: r.name, expr: r.expr, for: `${r.forMs / 1000}s`, keep_firing_for: `${r.keepFiringForMs / 1000}s`, labels: r.labels, annotations: r.annotations };
}

export function alerting(name: string, expr: string, opts: { forMs?: number; keepFiringForMs?: number; labels?: Labels; annotations?: Labels } = {}): Rule {
  return { kind: 'alerting', name, expr, forMs: opts.forMs ?? 0, keepFiringForMs: opts.keepFiringForMs ?? 0, labels: opts.labels ?? {}, annotations: opts.annotations ?? {} };
}

export function recording(name: string, expr: string, labels: Labels = {}): Rule {
  return { kind: 'recording', name, expr, labels };
}

export function group(tenant: string, namespace: string, name: string, rules: Rule[], opts: { intervalMs?: number; limit?: number } = {}): RuleGroup {
  const intervalMs = opts.intervalMs ?? 10_000;
  const limit = opts.limit ?? 0;
  return { tenant, namespace, name, intervalMs, limit, rules, spec: { name, interval: `${intervalMs / 1000}s`, limit, rules: rules.map(ruleSpec) }, origin: 'api' };
}

/** A metric's value for exactly these labels (undefined when the series does not exist). */
export async function metricValue(registry: Registry, name: string, labels: Labels = {}): Promise<number | undefined> {
  const all = await registry.getMetricsAsJSON();
  const m = all.find((x) => x.name === name);
  if (!m) return undefined;
  const want = Object.entries(labels);
  const v = m.values.find((x) => want.every(([k, val]) => (x.labels as Labels)[k] === val) && Object.keys(x.labels).length === want.length);
  return v?.value;
}

export { Registry };
export { InMemoryRuleSource, RecordingAlertSink, RecordingSampleSink } from '../../helpers/ruler-stand-ins.js';
