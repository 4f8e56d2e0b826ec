/**
 * The registry's SQLite file: opened in WAL mode, schema created, migrated or checked by version. The registry
 * holds nothing the agents cannot tell us again (they report every source every interval), so a file
 * that is corrupt or from an unknown schema version is moved aside and replaced by an empty one
 * instead of stopping the server.
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync } from 'node:fs';
import type { Logger } from '../util/logger.js';
import { DEFAULT_TENANT } from '../http/server.js';

export type RegistryDb = Database.Database;

export const SCHEMA_VERSION = 2;

/**
 * Version 2: every row belongs to a tenant (issue #8: what tenant A reports, tenant B must not read
 * or overwrite), and an agent that stopped cleanly says so (`stopped_ms`).
 */
const SCHEMA_V2 = `
CREATE TABLE agents (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  host TEXT NOT NULL,
  version TEXT NOT NULL,
  started_at TEXT NOT NULL,
  last_report_ms INTEGER NOT NULL,
  -- Incremented by every report; sources not stamped with the latest value were missing from it.
  report_seq INTEGER NOT NULL,
  -- Set by the agent's last report on a clean shutdown, cleared by its next report.
  stopped_ms INTEGER,
  PRIMARY KEY (tenant, id)
);
CREATE TABLE sources (
  tenant TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  node TEXT,
  container TEXT,
  container_id TEXT,
  pod TEXT,
  namespace TEXT,
  image TEXT,
  file TEXT,
  labels TEXT NOT NULL,
  lines_read INTEGER NOT NULL,
  lines_shipped INTEGER NOT NULL,
  bytes_shipped INTEGER NOT NULL,
  lines_dropped INTEGER NOT NULL,
  lag_seconds REAL NOT NULL,
  last_error TEXT,
  first_seen TEXT NOT NULL,
  last_shipped_at TEXT,
  updated_ms INTEGER NOT NULL,
  finished_ms INTEGER,
  seen_seq INTEGER NOT NULL,
  ever_read INTEGER NOT NULL,
  ever_shipped INTEGER NOT NULL,
  PRIMARY KEY (tenant, agent_id, id)
);
CREATE INDEX sources_finished ON sources (finished_ms) WHERE finished_ms IS NOT NULL;
`;

/**
 * Version 1 had no tenant: its rows were written before the registry was per tenant, by agents of a
 * server whose requests were all tenant "fake" unless auth was on, so they go to the default tenant.
 */
const MIGRATE_V1_TO_V2 = `
ALTER TABLE agents RENAME TO agents_v1;
ALTER TABLE sources RENAME TO sources_v1;
DROP INDEX sources_finished;
${SCHEMA_V2}
INSERT INTO agents (tenant, id, host, version, started_at, last_report_ms, report_seq, stopped_ms)
  SELECT '${DEFAULT_TENANT}', id, host, version, started_at, last_report_ms, report_seq, NULL FROM agents_v1;
INSERT INTO sources SELECT '${DEFAULT_TENANT}', * FROM sources_v1;
DROP TABLE agents_v1;
DROP TABLE sources_v1;
`;

class UnusableRegistry extends Error {}

/** Opens (creating if needed) the registry at `path`; a corrupt file is moved aside with a warning. */
export function openRegistryDb(path: string, log: Logger): RegistryDb {
  try {
    return open(path);
  } catch (e) {
    if (!isUnusable(e)) throw new Error(`cannot open the sources registry ${path}: ${(e as Error).message}`, { cause: e });
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, aside);
    // The WAL and shared-memory files belong to the old database; replaying them onto a new one would corrupt it.
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    }
    log.warn(
      { path, moved_to: aside, err: (e as Error).message },
      'sources registry file is unusable; moved it aside and starting an empty registry (agents fill it again with their next reports)',
    );
    return open(path);
  }
}

function open(path: string): RegistryDb {
  const db = new Database(path);
  try {
    // WAL: readers (GET, /metrics) never wait for a report's transaction.
    db.pragma('journal_mode = WAL');
    // A lost last transaction after power loss is refilled by the next report; no fsync per report.
    db.pragma('synchronous = NORMAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new UnusableRegistry(`integrity check failed: ${String(check)}`);
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: RegistryDb): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  if (row === undefined) {
    db.transaction(() => {
      db.exec(SCHEMA_V2);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    })();
    return;
  }
  if (row.version === 1) {
    db.transaction(() => {
      db.exec(MIGRATE_V1_TO_V2);
      db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
    })();
    return;
  }
  // A newer server wrote this file (we were downgraded): its layout is unknown to us.
  if (row.version !== SCHEMA_VERSION) throw new UnusableRegistry(`schema version ${row.version}, this server knows ${SCHEMA_VERSION}`);
}

function isUnusable(e: unknown): boolean {
  if (e instanceof UnusableRegistry) return true;
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}
