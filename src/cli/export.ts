/**
 * `logwharf export`: every entry a log query matches over a time range, however many, to a file or
 * standard output, through Loki's query_range alone (so it reads a real Loki as well as logwharf).
 *
 * The range is cut into windows (--window) read `--parallel` at a time; each window is read exactly
 * by ./export-window.ts into its own part file, and the parts are joined in time order. Requests
 * that meet 429, 5xx or a dropped connection are retried (./retry.ts). With --out, progress is kept
 * beside the file (./export-state.ts) so `--resume` continues an interrupted export with the
 * windows that were not finished. Structured metadata is asked for apart from the stream labels
 * with Loki's `categorize-labels` encoding flag; a server that does not know the flag answers
 * without it, and then the labels are exported as it merged them.
 */
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import { ENCODING_FLAGS_HEADER, FLAG_CATEGORIZE_LABELS } from '../api/envelope.js';
import { CSV_HEADER, EXPORT_FORMATS, encodeRecords, type ExportFormat, type ExportRecord } from '../api/export-record.js';
import { labelsToString } from '../api/model.js';
import { nowNs } from '../api/time-units.js';
import type { LokiClient } from '../api/client.js';
import { fsyncDir } from '../util/fsync-dir.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, durationFlag, intFlag, parseCommand, rangeFlags } from './common.js';
import { UsageError, write, type CliIO } from './io.js';
import { readWindow, type PageFetch, type PageLimits } from './export-window.js';
import { loadState, partsDir, saveState, statePath, type ExportPlan, type ExportState } from './export-state.js';
import { DEFAULT_ATTEMPTS, withRetry } from './retry.js';
import { isLogExpr, parseExpr } from '../logql/syntax/index.js';

const DEFAULT_SINCE = 3_600_000_000_000n;
const DEFAULT_WINDOW = 3_600_000_000_000n;
/** Entries per request: Loki's default largest limit is 5000; 1000 leaves room on any server. */
export const DEFAULT_PAGE = 1000;
export const DEFAULT_PARALLEL = 2;
const PROGRESS_EVERY_MS = 1000;

export const EXPORT_USAGE = `Usage: logwharf export [flags] '<selector or log query>' --from T --to T [--out FILE]

Writes every entry the log query matches in [--from, --to), beyond any per-query limit: the range is
read in windows, --parallel at a time, each paged by time so that no entry is written twice or left
out (also entries sharing one timestamp). 429 and 5xx answers are retried, honouring Retry-After.
Progress goes to stderr. Works against Loki as well as logwharf.
  --from T        start: RFC3339 (2024-05-01T10:00:00Z), Unix seconds or nanoseconds, now-D (now-7d)
  --to T          end, exclusive (default now)
  --since D       instead of --from: a window back from --to (default 1h)
  --output F      jsonl (default): {"ts","labels","structured_metadata","line"} per line
                  | csv: header ts,labels,structured_metadata,line (for people; import does not read it)
                  | loki: one Loki push body (JSON) per line, for 'logwharf import' or any Loki push endpoint
  --out FILE      write to FILE (atomically, when complete) instead of standard output
  --resume        continue an interrupted export to --out FILE (its FILE${'.export-state.json'} says which
                  windows are complete); the query, --window and --output must be the same
  --window D      length of the windows the range is cut into (default 1h)
  --parallel N    windows read at the same time (default ${DEFAULT_PARALLEL})
  --limit N       entries per request (default ${DEFAULT_PAGE}; lowered to the server's largest, 5000 on
                  Loki, when its refusal names it)
  --retries N     tries per request before giving up (default ${DEFAULT_ATTEMPTS})
${CLIENT_HELP}`;

export function exportFormatFlag(text: string | undefined): ExportFormat {
  if (text === undefined) return 'jsonl';
  if ((EXPORT_FORMATS as readonly string[]).includes(text)) return text as ExportFormat;
  throw new UsageError(`--output: "${text}" is not one of ${EXPORT_FORMATS.join(', ')}`);
}

export async function runExport(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('export', argv, {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    output: { type: 'string', short: 'o' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
    window: { type: 'string' },
    parallel: { type: 'string' },
    limit: { type: 'string' },
    retries: { type: 'string' },
  });
  if (v.help) {
    await write(io.stdout, EXPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`export: want exactly one log query, got ${positionals.length}`);
  if (isMetricQuery(positionals[0]!)) throw new UsageError(`export: ${JSON.stringify(positionals[0])} is a metric query; export takes a log query (a selector, optionally with filters)`);
  const { start, end } = rangeFlags(v, nowNs(), DEFAULT_SINCE);
  let plan: ExportPlan = {
    query: positionals[0]!,
    start,
    end,
    window: v.window !== undefined ? durationFlag('window', v.window) : DEFAULT_WINDOW,
    format: exportFormatFlag(v.output),
  };
  const parallel = v.parallel !== undefined ? intFlag('parallel', v.parallel) : DEFAULT_PARALLEL;
  const limit = v.limit !== undefined ? intFlag('limit', v.limit) : DEFAULT_PAGE;
  const attempts = v.retries !== undefined ? intFlag('retries', v.retries) : DEFAULT_ATTEMPTS;
  if (v.resume && v.out === undefined) throw new UsageError('--resume needs --out FILE: only an export to a file keeps its progress');
  const client = clientFrom(v);

  let state: ExportState;
  let parts: string;
  const out = v.out;
  if (out !== undefined) {
    if (!existsSync(dirname(out) || '.')) throw new UsageError(`--out: the directory ${dirname(out)} does not exist`);
    let saved: ExportState | undefined;
    try {
      saved = loadState(statePath(out), plan);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (saved && !v.resume) throw new UsageError(`an interrupted export to ${out} exists (${basename(statePath(out))}): add --resume to continue it, or remove it and ${basename(partsDir(out))} to start over`);
    if (!saved && v.resume) throw new UsageError(`nothing to resume: ${statePath(out)} does not exist`);
    state = saved ?? { plan, done: new Map() };
    plan = state.plan;
    parts = partsDir(out);
    mkdirSync(parts, { recursive: true });
    if (!saved) await saveState(statePath(out), state);
  } else {
    state = { plan, done: new Map() };
    parts = mkdtempSync(join(tmpdir(), 'logwharf-export-'));
  }

  const windows = Number((plan.end - plan.start + plan.window - 1n) / plan.window);
  const exporter = new Exporter(io, client, plan, state, parts, out, { parallel, limit, attempts, windows });
  try {
    await exporter.run();
  } finally {
    if (out === undefined) rmSync(parts, { recursive: true, force: true });
  }
  return 0;
}

/**
 * Whether the query parses as a metric query. One that does not parse is left to the server, whose
 * grammar is the one that counts (it may be a Loki that knows more than this parser).
 */
function isMetricQuery(query: string): boolean {
  try {
    return !isLogExpr(parseExpr(query));
  } catch {
    return false;
  }
}

interface RunOptions {
  parallel: number;
  limit: number;
  attempts: number;
  windows: number;
}

/** Orders ties the same way every run, so two exports of the same data are the same file. */
function compareRecords(a: ExportRecord, b: ExportRecord): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  const la = labelsToString(a.labels);
  const lb = labelsToString(b.labels);
  if (la !== lb) return la < lb ? -1 : 1;
  const ma = labelsToString(a.metadata);
  const mb = labelsToString(b.metadata);
  if (ma !== mb) return ma < mb ? -1 : 1;
  return a.line < b.line ? -1 : a.line > b.line ? 1 : 0;
}

class Exporter {
  private readonly started = Date.now();
  private exported = 0;
  private lastProgress = 0;
  /** State saves run one after another: two at once would share writeFileAtomic's temp file. */
  private saving: Promise<void> = Promise.resolve();
  /** Standard output only: the next window to copy out (windows finish out of order). */
  private nextOut = 0;
  private copying: Promise<void> = Promise.resolve();
  private readonly fetch: PageFetch;
  /** Shared by all windows, so one refusal teaches every window the server's largest limit. */
  private readonly limits: PageLimits;

  constructor(
    private readonly io: CliIO,
    client: LokiClient,
    private readonly plan: ExportPlan,
    private readonly state: ExportState,
    private readonly parts: string,
    private readonly out: string | undefined,
    private readonly o: RunOptions,
  ) {
    this.limits = { page: o.limit };
    this.fetch = (start, end, limit) =>
      withRetry(
        async () => {
          const res = await client.queryRange(plan.query, { start, end, limit, direction: 'forward', headers: { [ENCODING_FLAGS_HEADER]: FLAG_CATEGORIZE_LABELS } });
          if (res.data.resultType !== 'streams') throw new UsageError(`export: ${JSON.stringify(plan.query)} is a metric query; export takes a log query (a selector, optionally with filters)`);
          const records: ExportRecord[] = [];
          for (const s of res.data.result) {
            for (const e of s.values) records.push({ ts: BigInt(e[0]), labels: s.stream, metadata: e[2]?.structuredMetadata ?? {}, line: e[1] });
          }
          return records.sort(compareRecords);
        },
        {
          attempts: o.attempts,
          onRetry: (err, waitMs, attempt) => void write(io.stderr, `export: ${err.message}; retry ${attempt}/${o.attempts - 1} in ${(waitMs / 1000).toFixed(1)}s\n`),
        },
      );
  }

  private partPath(i: number): string {
    return join(this.parts, `${String(i).padStart(6, '0')}.part`);
  }

  async run(): Promise<void> {
    const { windows } = this.o;
    const todo: number[] = [];
    for (let i = 0; i < windows; i++) if (!this.state.done.has(i)) todo.push(i);
    for (const n of this.state.done.values()) this.exported += n;
    if (this.state.done.size > 0) {
      await write(this.io.stderr, `export: resuming: ${this.state.done.size} of ${windows} windows (${this.exported} entries) already done\n`);
    }
    if (this.out === undefined && this.plan.format === 'csv') await write(this.io.stdout, CSV_HEADER);
    const stop = new AbortController();
    let failure: unknown;
    const runner = async () => {
      while (!stop.signal.aborted) {
        const i = todo.shift();
        if (i === undefined) return;
        try {
          await this.exportWindow(i);
        } catch (e) {
          failure ??= e;
          stop.abort();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.parallel, Math.max(1, todo.length)) }, runner));
    await this.saving;
    await this.copying;
    if (failure !== undefined) {
      if (this.out !== undefined) await write(this.io.stderr, `export: stopped after ${this.state.done.size} of ${windows} windows; run the same command with --resume to continue\n`);
      throw failure;
    }
    if (this.out !== undefined) await this.join(this.out);
    const secs = (Date.now() - this.started) / 1000;
    await write(this.io.stderr, `export: ${this.exported} entries in ${windows} windows, ${secs.toFixed(1)}s (${Math.round(this.exported / Math.max(secs, 0.001))} entries/s)${this.out !== undefined ? ` to ${this.out}` : ''}\n`);
  }

  /** Reads window i into its part file, fsyncs it, then records it as done. */
  private async exportWindow(i: number): Promise<void> {
    const wStart = this.plan.start + BigInt(i) * this.plan.window;
    const wEnd = wStart + this.plan.window < this.plan.end ? wStart + this.plan.window : this.plan.end;
    const fh = await open(this.partPath(i), 'w');
    let count = 0;
    try {
      for await (const page of readWindow(this.fetch, wStart, wEnd, this.limits)) {
        if (page.length === 0) continue;
        await fh.write(encodeRecords(page, this.plan.format));
        count += page.length;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.state.done.set(i, count);
    this.exported += count;
    if (this.out !== undefined) {
      const save = this.saving.then(() => saveState(statePath(this.out!), this.state));
      this.saving = save.catch(() => {});
      await save;
    } else {
      this.copying = this.copying.then(() => this.copyReady());
      await this.copying;
    }
    await this.progress();
  }

  private async progress(): Promise<void> {
    const now = Date.now();
    const finished = this.state.done.size === this.o.windows;
    if (!finished && now - this.lastProgress < PROGRESS_EVERY_MS) return;
    this.lastProgress = now;
    const secs = (now - this.started) / 1000;
    await write(this.io.stderr, `export: ${this.state.done.size}/${this.o.windows} windows, ${this.exported} entries, ${Math.round(this.exported / Math.max(secs, 0.001))} entries/s\n`);
  }

  /** Standard output: copies finished windows out in time order, as far as they are contiguous. */
  private async copyReady(): Promise<void> {
    while (this.nextOut < this.o.windows && this.state.done.has(this.nextOut)) {
      const p = this.partPath(this.nextOut);
      for await (const chunk of createReadStream(p)) {
        if (!this.io.stdout.write(chunk)) await once(this.io.stdout, 'drain');
      }
      await unlink(p);
      this.nextOut++;
    }
  }

  /** --out: the parts in window order into FILE (via a temp file and rename), then the progress files go. */
  private async join(out: string): Promise<void> {
    const tmp = out + '.tmp';
    const fh = await open(tmp, 'w');
    try {
      if (this.plan.format === 'csv') await fh.write(CSV_HEADER);
      for (let i = 0; i < this.o.windows; i++) {
        for await (const chunk of createReadStream(this.partPath(i))) await fh.write(chunk as Buffer);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, out);
    await fsyncDir(dirname(out));
    await unlink(statePath(out));
    rmSync(this.parts, { recursive: true, force: true });
    if (existsSync(this.parts)) throw new Error(`could not remove ${this.parts}`);
  }
}
