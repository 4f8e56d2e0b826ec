/**
 * A source's pipeline (issue #4 §3): turns a reader's lines into entries grouped by their final label
 * set. Stages, in order (docs/agent-pipeline.md shows them with examples):
 *
 * 1. labels: the target's labels plus `stream` (stdout/stderr) → relabel rules (may drop the entry)
 *    → names starting with `__` removed → external labels added (stream labels win);
 * 2. drop rules (selector on the final labels, regex on the line), then the health-check rule;
 * 3. the line's own time (first timestamp rule whose selector matches the final labels);
 * 4. multiline joining (first rule whose selector matches the final labels);
 * 5. structured metadata: detected_level, and truncated="true" on pieces of split lines.
 *
 * Everything that depends only on labels (relabelling, selectors, the stream's level label, which
 * multiline rule applies) is worked out once per distinct `stream` value and cached, so the per-line
 * work is the drop regexes, the health-check test and level detection.
 */
import type { Entry, Labels, StreamPush } from '../../api/model.js';
import { labelsToString, sortLabels } from '../../api/model.js';
import { levelFromStreamLabels } from '../../api/detect-level.js';
import type { AgentConfig } from '../../config/agent.js';
import type { LogLine, StreamName } from '../model.js';
import { compileDropRules, type DropRule } from './drop.js';
import { isHealthcheck } from './healthcheck.js';
import { entryLevel, entryMetadata } from './level.js';
import { compileMultilineRules, MultilineJoiner, type EmitJoined, type MultilineRule } from './multiline.js';
import { compileRelabel, type Relabeler } from './relabel.js';
import { compileTimestampRules, type TimestampRule } from './timestamp.js';
import { configError } from './selector.js';

/** What one `process` or `flush` call produced. */
export interface PipelineOutput {
  /** Entries grouped by final label set (label objects are shared and frozen). */
  streams: StreamPush[];
  /** Source lines the entries carry (a joined multiline entry counts each of its lines). */
  lines: number;
  /** UTF-8 bytes of the entries' text. */
  bytes: number;
  /** Lines not shipped, by reason: `relabel`, `no_labels`, `healthcheck`, or a drop rule's reason. */
  dropped: Map<string, number>;
  /** Lines that kept the runtime's time although a timestamp rule applied, by reason: missing, unparsable, skew. */
  timestampFailures: Map<string, number>;
}

/** The pipeline of one source; not shared between sources. */
export interface SourcePipeline {
  /** One reader batch → entries grouped by final label set. Multiline entries whose max_wait has passed are emitted first, so `process([])` emits just those. */
  process(lines: LogLine[]): PipelineOutput;
  /** Multiline holds lines not yet emitted (or a label change left entries to emit). */
  readonly pending: boolean;
  /** Epoch ms when the pending lines must be emitted (max_wait); undefined when nothing is pending. */
  readonly flushDeadline: number | undefined;
  /** Emits whatever multiline holds (timeout, drain, shutdown). */
  flush(): PipelineOutput;
  /** The target's labels changed (pod metadata arrived); lines held by multiline get the new labels. */
  setLabels(labels: Labels): void;
  /** The final labels of this stream's entries (relabelled, external labels added); undefined when relabelling drops it. */
  streamLabels(stream: StreamName | undefined): Labels | undefined;
  /**
   * Hot reload: `next` (compiled from the new configuration) takes over from this pipeline. A
   * multiline entry still open moves into `next` and goes on there when a multiline rule of `next`
   * applies to its stream (a stack trace is not cut by a reload); otherwise it is finished as it is
   * and emitted by `next` with `next`'s labels. Its lines already passed the old drop and timestamp
   * rules. Returns what this pipeline had ready and not yet returned, to ship before anything of `next`.
   */
  handOver(next: SourcePipeline): PipelineOutput;
}

export interface PipelineOptions {
  /** Labels added to every stream (client.external_labels); a stream's own label of the same name wins. */
  externalLabels?: Labels;
  /** Clock for multiline max_wait (tests inject one). */
  now?: () => number;
  /** A joined multiline entry is cut before it exceeds this many bytes (default 256 KiB, pass max_line_bytes). */
  maxEntryBytes?: number;
}

export type PipelineConfig = AgentConfig['pipeline'];

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024;

interface Compiled {
  relabel: Relabeler;
  drops: DropRule[];
  multiline: MultilineRule[];
  timestamps: TimestampRule[];
  healthchecks: boolean;
  detectLevel: boolean;
  external: Labels;
  now: () => number;
  maxEntryBytes: number;
}

/**
 * Validates and compiles the pipeline configuration once (every regex and selector); a bad rule
 * throws a LogwharfError naming it, e.g. `pipeline.relabel[2].regex: invalid regex "(": missing )`.
 * The result makes one SourcePipeline per source from the target's labels.
 */
export function compilePipeline(cfg: PipelineConfig, opts: PipelineOptions = {}): (targetLabels: Labels) => SourcePipeline {
  const external = opts.externalLabels ?? {};
  for (const name of Object.keys(external)) {
    if (!LABEL_NAME.test(name)) throw configError(`client.external_labels: ${JSON.stringify(name)} is not a valid label name`);
  }
  const c: Compiled = {
    relabel: compileRelabel(cfg.relabel ?? []),
    drops: compileDropRules(cfg.drop ?? []),
    multiline: compileMultilineRules(cfg.multiline ?? []),
    timestamps: compileTimestampRules(cfg.timestamp ?? []),
    healthchecks: cfg.drop_healthchecks ?? false,
    detectLevel: cfg.detect_level ?? true,
    external: { ...external },
    now: opts.now ?? Date.now,
    maxEntryBytes: opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
  };
  return (targetLabels) => new Pipeline(c, targetLabels);
}

/** Everything about one (target labels, stream) pair that does not depend on the line. */
interface StreamState {
  /** Set when every line of this stream is dropped before the drop rules (relabel, no labels left). */
  dropReason: string | undefined;
  labels: Labels;
  key: string;
  /** The drop rules whose selector matches this stream, in order. */
  drops: DropRule[];
  /** The timestamp rule of this stream, if any. */
  timestamp: TimestampRule | undefined;
  joiner: MultilineJoiner | undefined;
  emitJoined: EmitJoined;
  streamLevel: string | undefined;
  /** The output this stream last wrote to, and its StreamPush there. */
  gen: number;
  push: StreamPush | undefined;
}

let generations = 0;
/** Never written to: Output replaces it at its first count. */
const NONE: ReadonlyMap<string, number> = new Map();

class Output {
  readonly gen = ++generations;
  readonly streams: StreamPush[] = [];
  readonly byKey = new Map<string, StreamPush>();
  lines = 0;
  bytes = 0;
  // The shared empty map until the first count: an output per batch, hundreds a second on a busy
  // node, mostly with nothing dropped (issue #17).
  dropped = NONE as Map<string, number>;
  timestampFailures = NONE as Map<string, number>;

  drop(reason: string, n: number): void {
    if (this.dropped === NONE) this.dropped = new Map();
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + n);
  }

  timestampFailed(reason: string): void {
    if (this.timestampFailures === NONE) this.timestampFailures = new Map();
    this.timestampFailures.set(reason, (this.timestampFailures.get(reason) ?? 0) + 1);
  }

  streamFor(st: StreamState): StreamPush {
    if (st.gen === this.gen) return st.push!;
    let push = this.byKey.get(st.key);
    if (push === undefined) {
      push = { labels: st.labels, entries: [] };
      this.byKey.set(st.key, push);
      this.streams.push(push);
    }
    st.gen = this.gen;
    st.push = push;
    return push;
  }

  get empty(): boolean {
    return this.lines === 0 && this.dropped.size === 0 && this.timestampFailures.size === 0;
  }

  result(): PipelineOutput {
    return { streams: this.streams, lines: this.lines, bytes: this.bytes, dropped: this.dropped, timestampFailures: this.timestampFailures };
  }
}

class Pipeline implements SourcePipeline {
  private readonly c: Compiled;
  private target: Labels;
  private readonly states = new Map<string, StreamState>();
  private out = new Output();
  private lastStream: StreamName | undefined | null = null;
  private lastState: StreamState | undefined;

  constructor(c: Compiled, targetLabels: Labels) {
    this.c = c;
    this.target = { ...targetLabels };
  }

  process(lines: LogLine[]): PipelineOutput {
    const { drops, healthchecks } = this.c;
    const now = this.c.now();
    const out = this.out;
    for (const st of this.states.values()) st.joiner?.expire(now, st.emitJoined);
    next: for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      let st = this.lastState;
      if (line.stream !== this.lastStream || st === undefined) {
        st = this.stateFor(line.stream);
        this.lastStream = line.stream;
        this.lastState = st;
      }
      if (st.dropReason !== undefined) {
        out.drop(st.dropReason, 1);
        continue;
      }
      const text = line.line;
      if (drops.length > 0) {
        for (const r of st.drops) {
          if (r.line === undefined || r.line.test(text)) {
            out.drop(r.reason, 1);
            continue next;
          }
        }
      }
      if (healthchecks && isHealthcheck(text)) {
        out.drop('healthcheck', 1);
        continue;
      }
      let ts = line.ts;
      if (st.timestamp !== undefined) {
        const own = st.timestamp.extract(text, ts);
        if (typeof own === 'bigint') ts = own;
        else out.timestampFailed(own);
      }
      const joiner = st.joiner;
      if (joiner !== undefined) {
        // A piece of a split line is already as long as a line may be: shipped on its own.
        if (line.truncated !== true) {
          joiner.push(ts, text, now, st.emitJoined);
          continue;
        }
        joiner.flush(st.emitJoined);
      }
      this.emit(st, ts, text, 1, line.truncated === true);
    }
    return this.take();
  }

  /**
   * The output so far, and a new one for what comes next. The streams forget their push of the old
   * one: it would keep this batch's lines alive until the next batch, on a quiet file for good.
   */
  private take(): PipelineOutput {
    const out = this.out;
    this.out = new Output();
    for (const st of this.states.values()) st.push = undefined;
    return out.result();
  }

  get pending(): boolean {
    if (!this.out.empty) return true;
    for (const st of this.states.values()) if (st.joiner?.pending) return true;
    return false;
  }

  get flushDeadline(): number | undefined {
    if (!this.out.empty) return this.c.now();
    let d: number | undefined;
    for (const st of this.states.values()) {
      const x = st.joiner?.deadline;
      if (x !== undefined && (d === undefined || x < d)) d = x;
    }
    return d;
  }

  flush(): PipelineOutput {
    for (const st of this.states.values()) st.joiner?.flush(st.emitJoined);
    return this.take();
  }

  setLabels(labels: Labels): void {
    this.target = { ...labels };
    const old = [...this.states.entries()];
    this.states.clear();
    this.lastStream = null;
    this.lastState = undefined;
    // Lines multiline holds have not been shipped: they go out with the new labels. The new stream
    // continues the pending entry when a multiline rule applies to it too; otherwise it is emitted now
    // (returned by the next process or flush).
    for (const [key, prev] of old) {
      if (!prev.joiner?.pending) continue;
      const st = this.stateFor(key === '' ? undefined : (key as StreamName));
      if (st.joiner !== undefined) st.joiner.adopt(prev.joiner);
      else prev.joiner.flush(st.emitJoined);
    }
  }

  handOver(next: SourcePipeline): PipelineOutput {
    if (!(next instanceof Pipeline)) throw new Error('a pipeline hands over only to another compiled pipeline');
    const ready = this.out;
    this.out = new Output();
    for (const [key, prev] of this.states) {
      if (!prev.joiner?.pending) continue;
      const st = next.stateFor(key === '' ? undefined : (key as StreamName));
      if (st.joiner !== undefined) st.joiner.adopt(prev.joiner);
      else prev.joiner.flush(st.emitJoined);
    }
    return ready.result();
  }

  streamLabels(stream: StreamName | undefined): Labels | undefined {
    const st = this.stateFor(stream);
    return st.dropReason === undefined ? st.labels : undefined;
  }

  private emit(st: StreamState, ts: bigint, text: string, lines: number, truncated: boolean): void {
    const out = this.out;
    if (st.dropReason !== undefined) {
      out.drop(st.dropReason, lines);
      return;
    }
    const metadata = entryMetadata(this.c.detectLevel ? entryLevel(st.streamLevel, text) : undefined, truncated);
    const entry: Entry = metadata === undefined ? { ts, line: text } : { ts, line: text, metadata };
    out.streamFor(st).entries.push(entry);
    out.lines += lines;
    out.bytes += Buffer.byteLength(text);
  }

  private stateFor(stream: StreamName | undefined): StreamState {
    const key = stream ?? '';
    const cached = this.states.get(key);
    if (cached !== undefined) return cached;
    const st = this.buildState(stream);
    this.states.set(key, st);
    return st;
  }

  private buildState(stream: StreamName | undefined): StreamState {
    const c = this.c;
    const input: Labels = stream === undefined ? { ...this.target } : { ...this.target, stream };
    const relabelled = c.relabel(input);
    let dropReason: string | undefined;
    const merged: Labels = { ...c.external };
    if (relabelled === undefined) dropReason = 'relabel';
    else {
      for (const [name, value] of Object.entries(relabelled)) {
        // Hidden (`__meta_*`) labels were for relabel rules only; an empty value means "no label"
        // (as in Prometheus); an invalid name would make the server reject the whole stream.
        if (name.startsWith('__') || !LABEL_NAME.test(name) || value === '') continue;
        merged[name] = value;
      }
      if (Object.keys(merged).length === 0) dropReason = 'no_labels';
    }
    const labels = Object.freeze(sortLabels(merged));
    const rule = dropReason === undefined ? c.multiline.find((r) => r.appliesTo(labels)) : undefined;
    const st: StreamState = {
      dropReason,
      labels,
      key: labelsToString(labels),
      drops: dropReason === undefined ? c.drops.filter((r) => r.appliesTo(labels)) : [],
      timestamp: dropReason === undefined ? c.timestamps.find((r) => r.appliesTo(labels)) : undefined,
      joiner: rule === undefined ? undefined : new MultilineJoiner(rule, c.maxEntryBytes),
      emitJoined: (ts, text, lines) => this.emit(st, ts, text, lines, false),
      streamLevel: levelFromStreamLabels(labels),
      gen: 0,
      push: undefined,
    };
    return st;
  }
}
