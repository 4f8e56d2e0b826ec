/**
 * `logwharf push`: sends standard input to /loki/api/v1/push, one entry per line, under one label
 * set. Entries get the current time in nanoseconds, strictly increasing, so their order survives.
 * Empty lines are skipped (a file's final newline would otherwise become an empty entry, and Loki
 * rejects empty lines from some clients); a trailing CR of CRLF files is removed.
 */
import { plural } from '../util/plural.js';
import { nowNs } from '../api/time-units.js';
import { createInterface } from 'node:readline';
import type { Entry, Labels } from '../api/model.js';
import { PUSH_ENCODERS } from '../api/client.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, intFlag, parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';
import { parseLabelsFlag } from './labels-flag.js';

export const DEFAULT_BATCH_LINES = 5000;
export const DEFAULT_BATCH_BYTES = 1024 * 1024;

export const PUSH_USAGE = `Usage: logwharf push [flags] --labels '{job="x"}' < file

Pushes standard input, one log entry per line, timestamped now (in order). Empty lines are skipped.
Prints the number of entries pushed on stderr.
  --labels SET        the stream's labels, e.g. '{job="import", host="a"}' (required)
  --batch-lines N     entries per request (default ${DEFAULT_BATCH_LINES})
  --batch-bytes N     bytes of lines per request (default ${DEFAULT_BATCH_BYTES})
  --format F          protobuf (snappy-compressed, as Promtail sends; default) | json
${CLIENT_HELP}`;

export async function runPush(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('push', argv, {
    ...CLIENT_OPTIONS,
    labels: { type: 'string' },
    'batch-lines': { type: 'string' },
    'batch-bytes': { type: 'string' },
    format: { type: 'string' },
  });
  if (v.help) {
    await write(io.stdout, PUSH_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`push: unexpected argument "${positionals[0]}"; lines are read from standard input`);
  if (v.labels === undefined) throw new UsageError(`push: --labels is required, e.g. --labels '{job="import"}'`);
  const labels: Labels = parseLabelsFlag(v.labels);
  const maxLines = v['batch-lines'] !== undefined ? intFlag('batch-lines', v['batch-lines']) : DEFAULT_BATCH_LINES;
  const maxBytes = v['batch-bytes'] !== undefined ? intFlag('batch-bytes', v['batch-bytes']) : DEFAULT_BATCH_BYTES;
  const format = v.format ?? 'protobuf';
  if (format !== 'protobuf' && format !== 'json') throw new UsageError(`--format: "${format}" is not one of protobuf, json`);
  const client = clientFrom(v);

  let batch: Entry[] = [];
  let batchBytes = 0;
  let pushed = 0;
  let skipped = 0;
  let last = 0n;
  const flush = async () => {
    if (batch.length === 0) return;
    await client.push({ streams: [{ labels, entries: batch }] }, PUSH_ENCODERS[format]);
    pushed += batch.length;
    batch = [];
    batchBytes = 0;
  };
  if ((io.stdin as { isTTY?: boolean }).isTTY) await write(io.stderr, 'reading lines from the terminal; end with Ctrl-D (or pipe a file in)\n');
  const readAll = async () => {
    const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
    for await (const raw of rl) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        skipped++;
        continue;
      }
      const now = nowNs();
      last = now > last ? now : last + 1n;
      batch.push({ ts: last, line });
      batchBytes += Buffer.byteLength(line);
      if (batch.length >= maxLines || batchBytes >= maxBytes) await flush();
    }
    await flush();
  };
  try {
    await readAll();
  } catch (e) {
    // The entries already acknowledged are stored; say how far we got so a retry can resume.
    await write(io.stderr, `pushed ${plural(pushed, 'entry', 'entries')} before the error\n`);
    throw e;
  }
  await write(io.stderr, `pushed ${plural(pushed, 'entry', 'entries')}${skipped > 0 ? ` (skipped ${plural(skipped, 'empty line')})` : ''}\n`);
  return 0;
}
