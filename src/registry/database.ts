/**
 * The registry's SQLite file: opened in WAL mode, schema created, migrated or checked by version. The registry
 * holds nothing the agents cannot tell us again (they report every source every interval), so a file
 * that is corrupt or from an unknown schema version is moved aside and replaced by an empty one
 * instead of stopping the server.
 */
import type { Logger } from '../util/logger.js';
import { openSqliteFile, type SqliteDb } from '../util/sqlite-file.js';
import { DEFAULT_TENANT } from '../http/server.js';

export type RegistryDb = SqliteDb;

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

/** Opens (creating if needed) the registry at `path`; an unusable file is moved aside with a warning. */
export function openRegistryDb(path: string, log: Logger): RegistryDb {
  return openSqliteFile(
    path,
    {
      what: 'the sources registry',
      schema: SCHEMA_V2,
      version: SCHEMA_VERSION,
      upgrades: { 1: MIGRATE_V1_TO_V2 },
      movedAside: { level: 'warn', message: 'sources registry file is unusable; moved it aside and starting an empty registry (agents fill it again with their next reports)' },
    },
    log,
  );
}
