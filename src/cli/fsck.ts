/**
 * `logwharf fsck --data DIR`: verifies every checksum of a data directory offline and prints one
 * JSON line per damaged part (file, offset, bytes, entries lost), then a summary line. Exit 0 when
 * clean, 1 on damage, 2 on wrong usage; a directory a running server holds is refused (exit 1).
 * Loaded on demand by ./dispatch.ts (it loads the store).
 */
import { verifyDataDir } from '../app/fsck.js';
import { parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

export const FSCK_USAGE = `Usage: logwharf fsck --data DIR

Verifies every checksum in a data directory (WAL, streams.log, index.log, blocks) without
changing anything, and prints one JSON line per damaged part, then a summary line.
Exit status: 0 clean, 1 damage found (or the directory is in use: stop the server first), 2 usage.
The server itself reports, counts and quarantines the same damage when it starts.
  --data DIR   the data directory (as given to 'logwharf server --data')
`;

export async function runFsck(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('fsck', argv, { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    await write(io.stdout, FSCK_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`fsck: unexpected argument "${positionals[0]}"`);
  if (v.data === undefined) throw new UsageError('fsck: --data DIR is required');
  const report = await verifyDataDir(v.data);
  let out = '';
  for (const d of report.damaged) out += JSON.stringify({ level: 'error', msg: 'damaged', ...d }) + '\n';
  for (const d of report.notes) out += JSON.stringify({ level: 'info', msg: 'note', ...d }) + '\n';
  const lost = report.damaged.reduce((n, d) => n + (d.lostEntries ?? 0), 0);
  out += JSON.stringify({ level: report.damaged.length > 0 ? 'error' : 'info', msg: report.damaged.length > 0 ? 'fsck found damage' : 'fsck clean', data: v.data, files: report.files, records: report.records, blocks: report.blocks, damaged: report.damaged.length, lostEntries: lost }) + '\n';
  await write(io.stdout, out);
  return report.damaged.length > 0 ? 1 : 0;
}
