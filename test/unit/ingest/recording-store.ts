/**
 * A small in-memory Store for ingest tests: records what was appended and drops exact duplicates
 * like the real store. It is not the store under test; the real store runs its own shared suite
 * (test/unit/store/store.case.ts).
 */
import type { Entry, Labels, StreamPush } from '../../../src/api/model.js';
import { labelsToString } from '../../../src/api/model.js';
import type { Matcher } from '../../../src/logql/syntax/ast.js';
import type { AppendResult, BlockRef, Store, StreamInfo } from '../../../src/store/store.js';
import { columnsEntries, columnsFromEntries } from '../../../src/store/head-columns.js';

export class RecordingStore implements Store {
  readonly appends: { tenant: string; streams: StreamPush[] }[] = [];
  private readonly data = new Map<string, { info: StreamInfo; entries: Entry[]; seen: Set<string> }>();
  private nextId = 1;
  /** When set, append rejects with this error (disk trouble). */
  failWith: Error | undefined;

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  async append(tenant: string, streams: StreamPush[]): Promise<AppendResult> {
    if (this.failWith) throw this.failWith;
    this.appends.push({ tenant, streams });
    let accepted = 0;
    let duplicates = 0;
    for (const s of streams) {
      const key = labelsToString(s.labels);
      let st = this.data.get(tenant + '\0' + key);
      if (!st) {
        st = { info: { id: this.nextId++, labels: s.labels, key }, entries: [], seen: new Set() };
        this.data.set(tenant + '\0' + key, st);
      }
      for (const e of s.entries) {
        const k = e.ts + '\0' + e.line;
        if (st.seen.has(k)) {
          duplicates++;
          continue;
        }
        st.seen.add(k);
        st.entries.push(e);
        accepted++;
      }
    }
    return { accepted, duplicates };
  }

  /** Everything stored for a tenant: label string → lines. */
  dump(tenant: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, st] of this.data) if (k.startsWith(tenant + '\0')) out[st.info.key] = st.entries.map((e) => e.line);
    return out;
  }

  entries(tenant: string, labels: Labels): Entry[] {
    return this.data.get(tenant + '\0' + labelsToString(labels))?.entries ?? [];
  }

  streams(tenant: string, matchers: Matcher[]): StreamInfo[] {
    const out: StreamInfo[] = [];
    for (const [k, st] of this.data) {
      if (!k.startsWith(tenant + '\0')) continue;
      if (matchers.every((m) => m.op === '=' && st.info.labels[m.name] === m.value)) out.push(st.info);
    }
    return out;
  }
  labelNames(): string[] {
    return [];
  }
  labelValues(): string[] {
    return [];
  }
  blocks(tenant: string, streamIds: number[]): BlockRef[] {
    const out: BlockRef[] = [];
    for (const [k, st] of this.data) {
      if (!k.startsWith(tenant + '\0') || !streamIds.includes(st.info.id) || st.entries.length === 0) continue;
      let min = st.entries[0]!.ts;
      let max = min;
      for (const e of st.entries) {
        if (e.ts < min) min = e.ts;
        if (e.ts > max) max = e.ts;
      }
      out.push({ streamId: st.info.id, minTs: min, maxTs: max, entries: st.entries.length, rawBytes: 0, location: { kind: 'head', columns: columnsFromEntries(st.entries) } });
    }
    return out;
  }
  async readBlock(ref: BlockRef): Promise<Entry[]> {
    return ref.location.kind === 'head' ? columnsEntries(ref.location.columns) : [];
  }
  stats() {
    return { streams: 0, chunks: 0, entries: 0, bytes: 0 };
  }
  subscribe(): () => void {
    return () => {};
  }
}
