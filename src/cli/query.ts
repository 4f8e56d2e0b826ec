/** `logwharf query`: runs a LogQL query through /loki/api/v1/query_range and prints the result. */
import { plural } from '../util/plural.js';
import { nowNs } from '../api/time-units.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, durationFlag, intFlag, outputFlag, parseCommand, rangeFlags } from './common.js';
import { entriesOf, formatEntries, formatMetric, type PrintedEntry } from './output.js';
import { labelsToString } from '../api/model.js';
import { formatRfc3339Nano } from '../api/timestamp.js';
import type { LokiClient } from '../api/client.js';
import { UsageError, write, type CliIO } from './io.js';

const DEFAULT_SINCE = 3_600_000_000_000n;
/** Entries per request when --limit asks for more (Loki caps one request at 5000 by default). */
export const DEFAULT_BATCH = 1000;

export const QUERY_USAGE = `Usage: logwharf query [flags] '<logql>'

Runs a log or metric query over a time range (Loki's /loki/api/v1/query_range) and prints the result.
  --since D       window back from --to or now, e.g. 15m, 6h, 7d (default 1h)
  --from T        start time: RFC3339 (2024-05-01T10:00:00Z), Unix seconds or nanoseconds, now-D (now-7d)
  --to T          end time (default now), exclusive as in Loki
  --limit N       most entries to return (default: the server's, 100 on Loki); above --batch,
                  the range is read in several requests
  --batch N       entries per request when --limit is larger (default ${DEFAULT_BATCH})
  --forward       oldest first (default newest first)
  --step D        resolution of metric queries (default: the server's, range/250)
  --output MODE   table (default) | jsonl ({ts, labels, line} per entry, {ts, labels, value} per sample)
                  | raw (log queries: the line only; metric queries: <labels> <value> <unix seconds>)
${CLIENT_HELP}`;

export async function runQuery(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('query', argv, {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    batch: { type: 'string' },
    forward: { type: 'boolean' },
    step: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (v.help) {
    await write(io.stdout, QUERY_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`query: want exactly one LogQL query, got ${positionals.length}`);
  const output = outputFlag(v.output);
  const { start, end } = rangeFlags(v, nowNs(), DEFAULT_SINCE);
  const direction = v.forward ? 'forward' : 'backward';
  const limit = v.limit !== undefined ? intFlag('limit', v.limit) : undefined;
  const batch = v.batch !== undefined ? intFlag('batch', v.batch) : DEFAULT_BATCH;
  const step = v.step !== undefined ? durationFlag('step', v.step) : undefined;
  const client = clientFrom(v);
  const query = positionals[0]!;
  const ask = (from: bigint, to: bigint, n: number | undefined) =>
    client.queryRange(query, { start: from, end: to, direction, ...(n !== undefined ? { limit: n } : {}), ...(step !== undefined ? { step } : {}) });

  if (limit === undefined || limit <= batch) {
    const res = await ask(start, end, limit);
    for (const w of res.warnings ?? []) await write(io.stderr, `warning: ${w}\n`);
    const data = res.data;
    if (data.resultType === 'streams') await write(io.stdout, formatEntries(entriesOf(data.result, direction), output));
    else await write(io.stdout, formatMetric(data, output));
    return 0;
  }
  return paginate(io, ask, { start, end, limit, batch, direction, output });
}

function entryKey(e: PrintedEntry): string {
  return e.ts.toString() + '\u0000' + labelsToString(e.labels) + '\u0000' + e.line;
}

/**
 * Reads a log query in batches, as logcli does: each request continues from the oldest (backward)
 * or newest (forward) timestamp seen. The boundary timestamp is asked for again, because entries
 * sharing it may have been cut off, and the ones already printed are skipped. The one thing paging
 * by time cannot do is split more than a batch of entries that share one timestamp; that is warned about.
 */
async function paginate(
  io: CliIO,
  ask: (from: bigint, to: bigint, n: number) => ReturnType<LokiClient['queryRange']>,
  o: { start: bigint; end: bigint; limit: number; batch: number; direction: 'forward' | 'backward'; output: ReturnType<typeof outputFlag> },
): Promise<number> {
  let { start, end } = o;
  let remaining = o.limit;
  // Entries printed at or next to the page boundary, which the next page may return again.
  const printed = new Map<string, bigint>();
  let warnedAt: bigint | undefined;
  while (remaining > 0) {
    // Always a full batch: the page also carries the boundary entries already printed, and a
    // smaller page could be filled by those alone.
    const n = o.batch;
    const asked = [start, end];
    const res = await ask(start, end, n);
    for (const w of res.warnings ?? []) await write(io.stderr, `warning: ${w}\n`);
    const data = res.data;
    if (data.resultType !== 'streams') {
      await write(io.stdout, formatMetric(data, o.output));
      return 0;
    }
    const entries = entriesOf(data.result, o.direction);
    const fresh = entries.filter((e) => !printed.has(entryKey(e))).slice(0, remaining);
    if (fresh.length > 0) await write(io.stdout, formatEntries(fresh, o.output));
    for (const e of fresh) printed.set(entryKey(e), e.ts);
    remaining -= fresh.length;
    if (entries.length < n || remaining <= 0) break;
    const last = entries[entries.length - 1]!.ts;
    if (entries[0]!.ts === last) {
      // A whole page at one timestamp: a page cannot start inside it, so step past it.
      if (warnedAt !== last) {
        await write(io.stderr, `warning: at least ${plural(n, 'entry', 'entries')} share the timestamp ${formatRfc3339Nano(last)}; any beyond those may be missing (raise --batch)\n`);
        warnedAt = last;
      }
      // `end = last` excludes it on Loki; a server that includes `end` shows the same page again,
      // and then we go one nanosecond lower.
      if (o.direction === 'backward') end = end === last ? last - 1n : last;
      else start = last + 1n;
    } else if (o.direction === 'backward') {
      // Loki's `end` is exclusive: +1ns asks for the boundary timestamp again, since entries sharing
      // it may have been cut off; those already printed are in `printed`. A server that includes
      // `end` fills the page with what came just after the boundary; when that leaves nothing new,
      // `end = last` is the same request to it.
      end = fresh.length === 0 ? last : last + 1n;
    } else {
      start = last;
    }
    for (const [k, ts] of printed) if (o.direction === 'backward' ? ts > last + 1n : ts < last) printed.delete(k);
    if (fresh.length === 0 && asked[0] === start && asked[1] === end) break; // no progress possible
  }
  return 0;
}
