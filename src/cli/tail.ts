/** `logwharf tail`: follows a log query over Loki's /loki/api/v1/tail WebSocket until interrupted. */
import { plural } from '../util/plural.js';
import { nowNs } from '../api/time-units.js';
import type { WireTailFrame } from '../api/envelope.js';
import { MAX_TAIL_DELAY_FOR_S } from '../api/params.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, durationFlag, intFlag, outputFlag, parseCommand } from './common.js';
import { entriesOf, formatEntries } from './output.js';
import { UsageError, write, type CliIO } from './io.js';

export const TAIL_USAGE = `Usage: logwharf tail [flags] '<logql>'

Prints entries matching a log query as they arrive, until Ctrl-C.
  --since D       also print entries from this far back first (default: the server's, 1h on Loki)
  --limit N       most entries of that backfill (default: the server's, 100 on Loki)
  --delay-for N   seconds the server holds entries back to order late ones, 0-${MAX_TAIL_DELAY_FOR_S} (default 0)
  --output MODE   raw (the line only) | jsonl ({ts, labels, line} per entry) | table (default)
${CLIENT_HELP}`;

export async function runTail(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('tail', argv, {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    limit: { type: 'string' },
    'delay-for': { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (v.help) {
    await write(io.stdout, TAIL_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`tail: want exactly one LogQL query, got ${positionals.length}`);
  const output = outputFlag(v.output);
  const delayFor = v['delay-for'] !== undefined ? intFlag('delay-for', v['delay-for'], 0) : undefined;
  if (delayFor !== undefined && delayFor > MAX_TAIL_DELAY_FOR_S) throw new UsageError(`--delay-for: at most ${MAX_TAIL_DELAY_FOR_S} seconds`);
  const client = clientFrom(v);
  if (io.signal.aborted) return 0;
  // Output is written in frame order; a slow terminal holds back the next frame's printing, not the socket.
  let chain: Promise<void> = Promise.resolve();
  const handle = client.tail(
    positionals[0]!,
    {
      ...(delayFor !== undefined ? { delayFor } : {}),
      ...(v.limit !== undefined ? { limit: intFlag('limit', v.limit) } : {}),
      ...(v.since !== undefined ? { start: nowNs() - durationFlag('since', v.since) } : {}),
    },
    (frame: WireTailFrame) => {
      const text = formatEntries(entriesOf(frame.streams ?? [], 'forward'), output);
      const dropped = frame.dropped_entries?.length ?? 0;
      chain = chain.then(async () => {
        if (text) await write(io.stdout, text);
        if (dropped > 0) await write(io.stderr, `warning: the server dropped ${plural(dropped, 'entry', 'entries')} because this client fell behind\n`);
      });
    },
  );
  const stop = () => handle.close();
  io.signal.addEventListener('abort', stop, { once: true });
  try {
    await handle.done;
  } finally {
    io.signal.removeEventListener('abort', stop);
    await chain;
  }
  return 0;
}
