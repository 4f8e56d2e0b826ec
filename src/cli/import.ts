/**
 * `logwharf import FILE`: pushes a `logwharf export` file (jsonl or loki, told apart by its first
 * line) to /loki/api/v1/push, to logwharf or to Loki. The whole file is checked before anything is
 * sent, so a malformed line (named by its number) refuses the file instead of importing half of
 * it. Entries go in requests of about --batch-bytes (1 MiB), snappy-compressed protobuf by default,
 * with the retry rules of export (./retry.ts). Labels, structured metadata, timestamps and lines
 * are sent as exported, so the target answers queries over them as the source did. Importing the
 * same file twice stores nothing new on a server that drops exact duplicates (Loki and logwharf
 * do: same stream, timestamp and line), which also makes re-running an interrupted import safe.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { PUSH_ENCODERS } from '../api/client.js';
import { LOKI_BATCH_BYTES, parseJsonlRecord, parseLokiLine, pushBatches, recordBytes, sniffFormat, type ExportRecord } from '../api/export-record.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, intFlag, parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';
import { DEFAULT_ATTEMPTS, withRetry } from './retry.js';

/** Malformed lines listed before the error stops listing them. */
const MAX_REPORTED = 20;
const PROGRESS_EVERY_MS = 1000;

export const IMPORT_USAGE = `Usage: logwharf import [flags] FILE

Pushes a file written by 'logwharf export' (--output jsonl or loki) to the server, in batches.
The whole file is checked first: a malformed line refuses it (with its line number) and nothing is sent.
429 and 5xx answers are retried, honouring Retry-After. Works against Loki as well as logwharf.
  --batch-bytes N   bytes of entries per request (default ${LOKI_BATCH_BYTES})
  --format F        protobuf (snappy-compressed, as Promtail sends; default) | json
  --retries N       tries per request before giving up (default ${DEFAULT_ATTEMPTS})
${CLIENT_HELP}`;

type FileFormat = 'jsonl' | 'loki';

/** The records of one non-empty line; throws with the reason when it is malformed. */
function recordsOf(text: string, format: FileFormat): ExportRecord[] {
  if (format === 'jsonl') return [parseJsonlRecord(text)];
  const out: ExportRecord[] = [];
  for (const s of parseLokiLine(text).streams) for (const e of s.entries) out.push({ ts: e.ts, labels: s.labels, metadata: e.metadata ?? {}, line: e.line });
  return out;
}

async function* linesOf(path: string): AsyncGenerator<{ n: number; text: string }> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of rl) {
    n++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() !== '') yield { n, text };
  }
}

/** Pass one: the file's format and entry count, or an error listing the malformed lines. */
async function check(path: string): Promise<{ format: FileFormat; entries: number }> {
  let format: FileFormat | undefined;
  let entries = 0;
  const problems: string[] = [];
  let malformed = 0;
  for await (const { n, text } of linesOf(path)) {
    if (format === undefined) {
      const f = sniffFormat(text);
      if (f === 'csv') throw new Error(`${path} is a csv export, which is for reading; export with --output jsonl or --output loki to import`);
      format = f;
    }
    try {
      entries += recordsOf(text, format).length;
    } catch (e) {
      malformed++;
      if (problems.length < MAX_REPORTED) problems.push(`  line ${n}: ${(e as Error).message}`);
    }
  }
  if (malformed > 0) {
    throw new Error(`${path}: ${malformed} malformed ${malformed === 1 ? 'line' : 'lines'} (read as ${format} lines); nothing was pushed:\n${problems.join('\n')}${malformed > problems.length ? `\n  … and ${malformed - problems.length} more` : ''}`);
  }
  return { format: format ?? 'jsonl', entries };
}

export async function runImport(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('import', argv, {
    ...CLIENT_OPTIONS,
    'batch-bytes': { type: 'string' },
    format: { type: 'string' },
    retries: { type: 'string' },
  });
  if (v.help) {
    await write(io.stdout, IMPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`import: want exactly one FILE (written by logwharf export), got ${positionals.length}`);
  const path = positionals[0]!;
  const maxBytes = v['batch-bytes'] !== undefined ? intFlag('batch-bytes', v['batch-bytes']) : LOKI_BATCH_BYTES;
  const encoding = v.format ?? 'protobuf';
  if (encoding !== 'protobuf' && encoding !== 'json') throw new UsageError(`--format: "${encoding}" is not one of protobuf, json`);
  const attempts = v.retries !== undefined ? intFlag('retries', v.retries) : DEFAULT_ATTEMPTS;
  const client = clientFrom(v);
  try {
    if (!(await stat(path)).isFile()) throw new UsageError(`import: ${path} is not a file`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`import: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }

  const { format, entries: total } = await check(path);
  const started = Date.now();
  let pushed = 0;
  let requests = 0;
  let lastProgress = started;
  let buf: ExportRecord[] = [];
  let bytes = 0;
  const flush = async () => {
    for (const req of pushBatches(buf, maxBytes)) {
      await withRetry(() => client.push(req, PUSH_ENCODERS[encoding]), {
        attempts,
        onRetry: (err, waitMs, attempt) => void write(io.stderr, `import: ${err.message}; retry ${attempt}/${attempts - 1} in ${(waitMs / 1000).toFixed(1)}s\n`),
      });
      requests++;
      for (const s of req.streams) pushed += s.entries.length;
    }
    buf = [];
    bytes = 0;
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      await write(io.stderr, `import: ${pushed}/${total} entries\n`);
    }
  };
  try {
    for await (const { text } of linesOf(path)) {
      for (const r of recordsOf(text, format)) {
        const size = recordBytes(r);
        if (bytes > 0 && bytes + size > maxBytes) await flush();
        buf.push(r);
        bytes += size;
      }
    }
    await flush();
  } catch (e) {
    await write(io.stderr, `import: ${pushed} of ${total} entries were pushed before the error; importing the file again is safe (exact duplicates are dropped)\n`);
    throw e;
  }
  const secs = (Date.now() - started) / 1000;
  await write(io.stderr, `import: ${pushed} entries in ${requests} requests, ${secs.toFixed(1)}s (${Math.round(pushed / Math.max(secs, 0.001))} entries/s)\n`);
  return 0;
}
