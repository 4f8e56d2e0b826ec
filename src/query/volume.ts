/**
 * `/index/volume` and `/index/volume_range`: bytes of log lines per label set, answered from block
 * metadata alone (no payload is read). Grouping, as Loki: by `targetLabels` when given, otherwise by
 * the label names the selector mentions (`aggregateBy=series`, the default). With
 * `aggregateBy=labels` each name=value pair of the matching streams is its own series.
 * A block that straddles a range boundary counts in proportion to the overlap of its time bounds.
 */
import { nsToMs } from '../api/time-units.js';
import type { Labels } from '../api/model.js';
import type { VolumeParams } from '../api/params.js';
import type { MatrixSeries, VectorSample } from '../api/envelope.js';
import { defaultStep } from '../api/params.js';
import type { Store } from '../store/store.js';
import { parseMatchers } from '../logql/syntax/index.js';

interface Bucketed {
  labels: Labels;
  total: number;
  buckets: Map<bigint, number>;
}

function collect(store: Store, tenant: string, p: VolumeParams, step: bigint | undefined): Bucketed[] {
  const matchers = parseMatchers(p.query);
  const to = p.end + 1n;
  const streams = store.streams(tenant, matchers, p.start, to);
  const byId = new Map(streams.map((s) => [s.id, s.labels] as const));
  const names = p.targetLabels && p.targetLabels.length > 0 ? p.targetLabels : [...new Set(matchers.map((m) => m.name))];
  const groups = new Map<string, Bucketed>();
  const add = (labels: Labels, ts: bigint, bytes: number) => {
    const key = JSON.stringify(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, total: 0, buckets: new Map() }));
    g.total += bytes;
    if (step !== undefined) {
      const b = p.start + ((ts - p.start) / step) * step;
      g.buckets.set(b, (g.buckets.get(b) ?? 0) + bytes);
    }
  };
  for (const ref of store.blocks(tenant, [...byId.keys()], p.start, to)) {
    const labels = byId.get(ref.streamId)!;
    const span = ref.maxTs - ref.minTs + 1n;
    const lo = ref.minTs > p.start ? ref.minTs : p.start;
    const hi = ref.maxTs < p.end ? ref.maxTs : p.end;
    if (hi < lo) continue;
    const bytes = span <= 1n ? ref.rawBytes : Math.round((ref.rawBytes * Number(hi - lo + 1n)) / Number(span));
    const at = ref.maxTs < p.end ? ref.maxTs : p.end;
    if (p.aggregateBy === 'labels') {
      for (const [k, v] of Object.entries(labels)) add({ [k]: v }, at, bytes);
    } else {
      const sel: Labels = {};
      let any = false;
      for (const n of names) {
        if (labels[n] !== undefined) {
          sel[n] = labels[n]!;
          any = true;
        }
      }
      if (any || names.length === 0) add(sel, at, bytes);
    }
  }
  return [...groups.values()].sort((a, b) => b.total - a.total).slice(0, p.limit);
}

function ms(ns: bigint): number {
  return Number(nsToMs(ns));
}

export function volume(store: Store, tenant: string, p: VolumeParams): { resultType: 'vector'; result: VectorSample[] } {
  const at = ms(p.end);
  return { resultType: 'vector', result: collect(store, tenant, p, undefined).map((g) => ({ metric: g.labels, tsMs: at, value: g.total })) };
}

export function volumeRange(store: Store, tenant: string, p: VolumeParams): { resultType: 'matrix'; result: MatrixSeries[] } {
  const step = p.step ?? defaultStep(p.start, p.end);
  const result = collect(store, tenant, p, step).map((g) => ({
    metric: g.labels,
    values: [...g.buckets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([t, v]) => [ms(t), v] as [number, number]),
  }));
  return { resultType: 'matrix', result };
}
