/**
 * The server's small SQLite files (the sources registry, the fleet): one way to open them. WAL mode
 * (readers never wait for a writer), `synchronous = NORMAL` (every commit survives a crash of the
 * process; what must survive a power loss too is fsynced by its owner), an integrity check, and the
 * schema created or brought to the version this build knows. A file that is not a database, is
 * corrupt, or was written by a newer build is moved aside with its -wal and -shm (replaying them
 * onto a new file would corrupt it) and an empty one is started, so a damaged file never stops the
 * server; the owner says in `movedAside` what that costs its users.
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync } from 'node:fs';
import type { Logger } from './logger.js';

export type SqliteDb = Database.Database;

export interface SqliteFileSpec {
  /** For errors and logs: "the fleet database". */
  what: string;
  /** SQL creating the current schema in an empty file. */
  schema: string;
  version: number;
  /** SQL taking a file of an older version straight to `version`, by the older version. */
  upgrades: Record<number, string>;
  /** Logged after an unusable file was moved aside: what is lost, what fills the new file. */
  movedAside: { level: 'warn' | 'error'; message: string };
}

class UnusableFile extends Error {}

/** Opens (creating if needed) the SQLite file at `path`; an unusable one is moved aside with a log line. */
export function openSqliteFile(path: string, spec: SqliteFileSpec, log: Logger): SqliteDb {
  try {
    return open(path, spec);
  } catch (e) {
    if (!isUnusable(e)) throw new Error(`cannot open ${spec.what} ${path}: ${(e as Error).message}`, { cause: e });
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, aside);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    }
    log[spec.movedAside.level]({ path, moved_to: aside, err: (e as Error).message }, spec.movedAside.message);
    return open(path, spec);
  }
}

function open(path: string, spec: SqliteFileSpec): SqliteDb {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new UnusableFile(`integrity check failed: ${String(check)}`);
    migrate(db, spec);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: SqliteDb, spec: SqliteFileSpec): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  if (row === undefined) {
    db.transaction(() => {
      db.exec(spec.schema);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(spec.version);
    })();
    return;
  }
  if (row.version === spec.version) return;
  const upgrade = row.version < spec.version ? spec.upgrades[row.version] : undefined;
  // Without an upgrade, a newer build wrote this file (we were downgraded): its layout is unknown to us.
  if (upgrade === undefined) throw new UnusableFile(`schema version ${row.version}, this server knows ${spec.version}`);
  db.transaction(() => {
    db.exec(upgrade);
    db.prepare('UPDATE schema_version SET version = ?').run(spec.version);
  })();
}

function isUnusable(e: unknown): boolean {
  if (e instanceof UnusableFile) return true;
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}
