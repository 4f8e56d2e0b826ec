/** `logwharf series`: lists the streams (label sets) matching selectors. */
import { nowNs } from '../api/time-units.js';
import { labelsToString } from '../api/model.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, outputFlag, parseCommand, rangeFlags } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

const DEFAULT_SINCE = 3_600_000_000_000n;

export const SERIES_USAGE = `Usage: logwharf series [flags] '<selector>' ['<selector>' ...]

Lists the label sets of streams matching any of the selectors (Loki's /loki/api/v1/series).
  --since D       window back from --to or now (default 1h)
  --from T, --to T   absolute range instead
  --output MODE   table ({a="1", b="2"} per line, default) | jsonl (one JSON object per line) | raw (same as table)
${CLIENT_HELP}`;

export async function runSeries(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('series', argv, {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (v.help) {
    await write(io.stdout, SERIES_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`series: want at least one selector, e.g. '{job="api"}'`);
  const output = outputFlag(v.output);
  const range = rangeFlags(v, nowNs(), DEFAULT_SINCE);
  const series = await clientFrom(v).series(positionals, range);
  const lines = series.map((s) => (output === 'jsonl' ? JSON.stringify(Object.fromEntries(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))) : labelsToString(s)));
  lines.sort();
  await write(io.stdout, lines.map((l) => l + '\n').join(''));
  return 0;
}
