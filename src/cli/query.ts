/** `logharbor query`: runs a LogQL query through /loki/api/v1/query_range and prints the result. */
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, durationFlag, intFlag, nowNs, outputFlag, parseCommand, rangeFlags } from './common.js';
import { entriesOf, formatEntries, formatMetric } from './output.js';
import { UsageError, write, type CliIO } from './io.js';

const DEFAULT_SINCE = 3_600_000_000_000n;

export const QUERY_USAGE = `Usage: logharbor query [flags] '<logql>'

Runs a log or metric query over a time range (Loki's /loki/api/v1/query_range) and prints the result.
  --since D       window back from --to or now, e.g. 15m, 6h, 7d (default 1h)
  --from T        start time: RFC3339 (2024-05-01T10:00:00Z), Unix seconds or nanoseconds
  --to T          end time (default now); entries at exactly --to are included
  --limit N       most entries to return (default: the server's, 100 on Loki)
  --forward       oldest first (default newest first)
  --step D        resolution of metric queries (default: the server's, range/250)
  --output MODE   raw (the line only) | jsonl ({ts, labels, line} per entry) | table (default)
${CLIENT_HELP}`;

export async function runQuery(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('query', argv, {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
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
  const client = clientFrom(v);
  const res = await client.queryRange(positionals[0]!, {
    start,
    end,
    direction,
    ...(v.limit !== undefined ? { limit: intFlag('limit', v.limit) } : {}),
    ...(v.step !== undefined ? { step: durationFlag('step', v.step) } : {}),
  });
  for (const w of res.warnings ?? []) await write(io.stderr, `warning: ${w}\n`);
  const data = res.data;
  if (data.resultType === 'streams') await write(io.stdout, formatEntries(entriesOf(data.result, direction), output));
  else await write(io.stdout, formatMetric(data, output));
  return 0;
}
