/**
 * `logwharf backup`, `logwharf backup verify`, `logwharf restore` (issue #15; docs/lifecycle.md).
 * Loaded on demand by ./dispatch.ts. Each prints one JSON summary line on stdout. Exit codes: 0 done
 * (verify: every generation complete and intact), 1 failed (verify: damage or an incomplete
 * generation), 2 wrong usage.
 */
import { listGenerations, verifyGeneration } from '../lifecycle/backup-manifest.js';
import { onlineSource, offlineSource } from '../lifecycle/backup-sources.js';
import { writeBackup } from '../lifecycle/backup-writer.js';
import { restoreBackup } from '../lifecycle/restore.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

export const BACKUP_USAGE = `Usage: logwharf backup (--addr URL | --data DIR) --out DIR
       logwharf backup verify DIR

Backs up a server's stored logs (every tenant), its rule files and delete requests:
  --addr URL   through a running server's admin API: a consistent snapshot (every entry
               acknowledged before the backup started is in it) while it keeps ingesting
  --data DIR   a data directory no server is running on (its lock is taken meanwhile)
  --out DIR    a new directory, or an earlier backup: then only new files are copied and
               unchanged ones are hard links (each backup is a generation under DIR/generations)
verify DIR     checks every file of every generation against its manifest's SHA-256; exit 1
               names damage or an incomplete generation (a backup that did not finish)

${CLIENT_HELP}`;

export const RESTORE_USAGE = `Usage: logwharf restore BACKUP_DIR --data NEWDIR [--force] [--generation ID]

Writes the newest complete generation of a backup (or the one named) into NEWDIR, checking every
file against the manifest. NEWDIR must not exist or be empty; --force replaces its contents
(refused while a server runs on it). Then: logwharf server --data NEWDIR
`;

export async function runBackup(argv: string[], io: CliIO): Promise<number> {
  if (argv[0] === 'verify') return runVerify(argv.slice(1), io);
  const { values: v, positionals } = parseCommand('backup', argv, { ...CLIENT_OPTIONS, data: { type: 'string' }, out: { type: 'string' } });
  if (v.help) {
    await write(io.stdout, BACKUP_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`backup: unexpected argument "${positionals[0]}" (did you mean 'backup verify DIR'?)`);
  if (v.out === undefined || v.out === '') throw new UsageError('backup: --out DIR is required');
  if ((v.addr === undefined) === (v.data === undefined)) throw new UsageError('backup: give exactly one of --addr URL (a running server) and --data DIR (a stopped one)');
  const started = new Date();
  const t0 = performance.now();
  const opened = v.data !== undefined ? await offlineSource(v.data) : await onlineSource(clientFrom(v), v.addr!);
  try {
    const m = await writeBackup(v.out, opened.source, started);
    await write(io.stdout, JSON.stringify({ level: 'info', msg: 'backup complete', out: v.out, generation: m.generation, files: m.files.length, linked: m.linked, copied: m.copied, copiedBytes: m.copiedBytes, ms: Math.round(performance.now() - t0) }) + '\n');
    return 0;
  } finally {
    await opened.close();
  }
}

async function runVerify(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('backup verify', argv, { help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    await write(io.stdout, BACKUP_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('backup verify: name one backup directory');
  const gens = await listGenerations(positionals[0]!);
  if (gens.length === 0) throw new Error(`${positionals[0]} holds no backup (no generations/ directory)`);
  let bad = 0;
  let out = '';
  for (const g of gens) {
    const r = await verifyGeneration(g);
    if (r.problems.length > 0) bad++;
    out += JSON.stringify({ level: r.problems.length > 0 ? 'error' : 'info', msg: !r.complete ? 'incomplete generation' : r.problems.length > 0 ? 'damaged generation' : 'generation ok', ...r }) + '\n';
  }
  out += JSON.stringify({ level: bad > 0 ? 'error' : 'info', msg: bad > 0 ? 'backup verify found problems' : 'backup verified', generations: gens.length, bad }) + '\n';
  await write(io.stdout, out);
  return bad > 0 ? 1 : 0;
}

export async function runRestore(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('restore', argv, { data: { type: 'string' }, force: { type: 'boolean' }, generation: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    await write(io.stdout, RESTORE_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('restore: name one backup directory');
  if (v.data === undefined || v.data === '') throw new UsageError('restore: --data NEWDIR is required');
  const m = await restoreBackup(positionals[0]!, v.data, { force: v.force === true, ...(v.generation !== undefined ? { generation: v.generation } : {}) });
  await write(io.stdout, JSON.stringify({ level: 'info', msg: 'restore complete', data: v.data, generation: m.generation, files: m.files.length }) + '\n');
  return 0;
}
