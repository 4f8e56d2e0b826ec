/** `logwharf labels`: lists label names, or the values of one label. */
import { nowNs } from '../api/time-units.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, parseCommand, rangeFlags } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

const DEFAULT_SINCE = 3_600_000_000_000n;

export const LABELS_USAGE = `Usage: logwharf labels [flags] [name]

Without a name, lists label names; with one, lists that label's values. One per line.
  --since D       window back from --to or now (default 1h)
  --from T, --to T   absolute range instead (RFC3339, Unix seconds or nanoseconds)
  --query SEL     only streams matching this selector, e.g. '{job="api"}'
${CLIENT_HELP}`;

export async function runLabels(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('labels', argv, {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    query: { type: 'string' },
  });
  if (v.help) {
    await write(io.stdout, LABELS_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`labels: want at most one label name, got ${positionals.length}`);
  const range = rangeFlags(v, nowNs(), DEFAULT_SINCE);
  const client = clientFrom(v);
  const opts = { ...range, ...(v.query !== undefined ? { query: v.query } : {}) };
  const list = positionals.length === 1 ? await client.labelValues(positionals[0]!, opts) : await client.labels(opts);
  await write(io.stdout, list.map((s) => s + '\n').join(''));
  return 0;
}
