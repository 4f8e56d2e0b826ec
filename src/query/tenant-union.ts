/**
 * Multi-tenant queries (issue #11; Loki's multi-tenant querier): a read-only view of the store that
 * presents several tenants as one, every stream carrying its tenant as the label `__tenant_id__`.
 *
 * The query engine runs on this view unchanged, which gives Loki's semantics without a second merge
 * path: a log query's `limit` and `direction` apply to the merged entries (one ordered scan over all
 * tenants' blocks), `max_query_series` to the merged series, and `sum by (__tenant_id__) (…)`
 * groups by tenant because the label is there when the range aggregation reads the stream.
 *
 * Decisions where Loki leaves room:
 * - `__tenant_id__` is a stream label, so the pipeline sees it too (`line_format "{{.__tenant_id__}}"`,
 *   `| keep`, `| drop`). Loki adds it after the pipeline; a query that does not name it gets the same
 *   result either way.
 * - A selector's `__tenant_id__` matchers (any operator) choose which tenants are read and are then
 *   dropped from the selector, so `{__tenant_id__="a"}` alone selects all of tenant a's streams.
 * - A stored label of that name (ingest accepts it) is replaced by the tenant, so the label always
 *   says where a line came from.
 *
 * Stream ids are per tenant in the store, so the view numbers the streams it hands out itself and
 * maps them back for `blocks`, `readBlock` and the damaged-block report. One view per query.
 */
import { labelsToString, sortLabels, type Entry } from '../api/model.js';
import { TENANT_LABEL, TENANT_SEPARATOR } from '../http/tenants.js';
import { compileMatcher } from '../logql/matchers.js';
import type { Matcher } from '../logql/syntax/ast.js';
import type { BlockRef, Store, StoreReader, StreamInfo } from '../store/store.js';

interface Origin {
  tenant: string;
  streamId: number;
}

export function tenantUnion(store: Store, tenants: readonly string[]): StoreReader {
  /** Virtual id → where the stream lives; tenant → stored id → the stream as the view shows it. */
  const origins = new Map<number, Origin>();
  const shown = new Map<string, Map<number, StreamInfo>>();
  for (const t of tenants) shown.set(t, new Map());

  const show = (tenant: string, s: StreamInfo): StreamInfo => {
    const known = shown.get(tenant)!;
    let v = known.get(s.id);
    if (!v) {
      const labels = sortLabels({ ...s.labels, [TENANT_LABEL]: tenant });
      v = { id: origins.size + 1, labels, key: labelsToString(labels) };
      origins.set(v.id, { tenant, streamId: s.id });
      known.set(s.id, v);
    }
    return v;
  };
  const stored = (ref: BlockRef): BlockRef => {
    const o = origins.get(ref.streamId);
    if (!o) throw new Error(`stream ${ref.streamId} was not handed out by this multi-tenant view`);
    return { ...ref, streamId: o.streamId };
  };

  const streams = (matchers: readonly Matcher[], from: bigint, to: bigint): StreamInfo[] => {
    const { chosen, rest } = splitTenantMatchers(tenants, matchers);
    const out: StreamInfo[] = [];
    for (const t of chosen) for (const s of store.streams(t, rest, from, to)) out.push(show(t, s));
    return out;
  };

  return {
    streams: (_tenant, matchers, from, to) => streams(matchers, from, to),
    labelNames(_tenant, from, to, matchers = []) {
      const names = new Set<string>();
      for (const s of streams(matchers, from, to)) for (const n of Object.keys(s.labels)) names.add(n);
      return [...names].sort();
    },
    labelValues(_tenant, name, from, to, matchers = []) {
      const values = new Set<string>();
      for (const s of streams(matchers, from, to)) {
        const v = s.labels[name];
        if (v !== undefined) values.add(v);
      }
      return [...values].sort();
    },
    blocks(_tenant, streamIds, from, to, hints) {
      const byTenant = new Map<string, number[]>();
      for (const id of streamIds) {
        const o = origins.get(id);
        if (!o) continue;
        let ids = byTenant.get(o.tenant);
        if (!ids) byTenant.set(o.tenant, (ids = []));
        ids.push(o.streamId);
      }
      const out: BlockRef[] = [];
      for (const [t, ids] of byTenant) {
        const known = shown.get(t)!;
        for (const ref of store.blocks(t, ids, from, to, hints)) out.push({ ...ref, streamId: known.get(ref.streamId)!.id });
      }
      return out;
    },
    readBlock: (ref): Promise<Entry[]> => store.readBlock(stored(ref)),
    ...(store.readBlockStats && { readBlockStats: (ref: BlockRef) => store.readBlockStats!(stored(ref)) }),
    reportDamagedBlock(ref, reason) {
      if (origins.has(ref.streamId)) store.reportDamagedBlock?.(stored(ref), reason);
    },
  };
}

/**
 * The tenants a selector's `__tenant_id__` matchers allow (all of them must match, as every
 * matcher of a selector must), and the selector without them.
 */
export function splitTenantMatchers(tenants: readonly string[], matchers: readonly Matcher[]): { chosen: string[]; rest: Matcher[] } {
  const rest: Matcher[] = [];
  const tests: Array<(v: string | undefined) => boolean> = [];
  for (const m of matchers) {
    if (m.name === TENANT_LABEL) tests.push(compileMatcher(m));
    else rest.push(m);
  }
  return { chosen: tenants.filter((t) => tests.every((f) => f(t))), rest };
}

/**
 * What a request for `tenants` reads: the store itself for one tenant, the union view for several
 * (its streams carry `__tenant_id__`; a single-tenant request's do not, as in Loki).
 */
export function readerFor(store: Store, tenants: string | readonly string[]): { reader: StoreReader; tenant: string; multi: boolean } {
  const list = typeof tenants === 'string' ? [tenants] : tenants;
  if (list.length === 1) return { reader: store, tenant: list[0]!, multi: false };
  if (list.length === 0) throw new Error('a query needs at least one tenant');
  return { reader: tenantUnion(store, list), tenant: list.join(TENANT_SEPARATOR), multi: true };
}
