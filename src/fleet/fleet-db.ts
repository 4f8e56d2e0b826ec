/**
 * The fleet's SQLite file, `<data>/fleet.db`: opened in WAL mode, schema created or checked by
 * version. Only `fleet-store.ts` opens it (the one owner of its SQL).
 *
 * Unlike the sources registry, this file holds what agents cannot tell us again (configurations,
 * their versions, rollouts). Every commit survives the process's crash (WAL: it is in the OS's
 * cache at commit); operators' changes are also fsynced before they are acknowledged
 * (`FleetStore.durable`). Reports and rollout steps are not fsynced one by one: an fsync per
 * heartbeat held the event loop ~3 ms (bench/fleet.bench.ts), and after a power loss the agents'
 * next messages tell their state again, from which the steps are derived. A file that is corrupt or from an unknown schema version is still
 * handled as the registry does it — moved aside, with its -wal and -shm, and replaced by an empty
 * one — so a damaged file never stops the server; the warning names the moved file, from which the
 * configurations can be read back with the sqlite3 shell (docs/fleet.md, "Storage").
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync } from 'node:fs';
import type { Logger } from '../util/logger.js';

export type FleetDb = Database.Database;

export const FLEET_DB_FILE = 'fleet.db';
export const SCHEMA_VERSION = 2;

const SCHEMA = `
-- One row per OpAMP agent (instance_uid), as it last reported.
CREATE TABLE agents (
  uid TEXT PRIMARY KEY,
  identifying TEXT NOT NULL,
  non_identifying TEXT NOT NULL,
  -- The selector's attributes, taken from the description (host.name, k8s.cluster.name or cluster, role, service.name).
  host TEXT NOT NULL,
  cluster TEXT NOT NULL,
  role TEXT NOT NULL,
  type TEXT NOT NULL,
  -- NULL until the agent reports health.
  healthy INTEGER,
  health_status TEXT NOT NULL,
  health_error TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  sequence_num INTEGER NOT NULL,
  effective_hash TEXT NOT NULL,
  rc_status TEXT NOT NULL,
  rc_hash TEXT NOT NULL,
  rc_error TEXT NOT NULL,
  -- 0 after the agent said agent_disconnect; 1 again at its next message.
  connected INTEGER NOT NULL
);
-- A named configuration: its selector (of the latest version) and the version every matching agent runs
-- outside a rollout (the last one whose rollout succeeded; NULL before any did).
CREATE TABLE configs (
  name TEXT PRIMARY KEY,
  selector TEXT NOT NULL,
  good_version INTEGER,
  created_ms INTEGER NOT NULL
);
-- Every version ever applied, never changed or deleted.
CREATE TABLE versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  hash TEXT NOT NULL,
  selector TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  author TEXT NOT NULL,
  comment TEXT NOT NULL,
  -- What is offered when it differs from body: a Collector configuration's rendering (v2; NULL: body is offered).
  offered TEXT,
  PRIMARY KEY (name, version)
);
CREATE INDEX versions_hash ON versions (name, hash);
-- A rollout of one version; phase is its state machine's state (rollout.ts), phase_ms when it entered it.
CREATE TABLE rollouts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  from_version INTEGER,
  phase TEXT NOT NULL,
  canary TEXT NOT NULL,
  window_ms INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  phase_ms INTEGER NOT NULL,
  finished_ms INTEGER
);
CREATE INDEX rollouts_running ON rollouts (name) WHERE finished_ms IS NULL;
-- The agents a rollout offered its version to, in which wave, and how far each got.
CREATE TABLE rollout_agents (
  rollout_id INTEGER NOT NULL,
  uid TEXT NOT NULL,
  wave TEXT NOT NULL,
  position INTEGER NOT NULL,
  state TEXT NOT NULL,
  offered_ms INTEGER NOT NULL,
  applied_ms INTEGER,
  error TEXT NOT NULL,
  PRIMARY KEY (rollout_id, uid)
);
`;

class UnusableFleetDb extends Error {}

/** Opens (creating if needed) the fleet database at `path`; a corrupt file is moved aside with a warning. */
export function openFleetDb(path: string, log: Logger): FleetDb {
  try {
    return open(path);
  } catch (e) {
    if (!isUnusable(e)) throw new Error(`cannot open the fleet database ${path}: ${(e as Error).message}`, { cause: e });
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, aside);
    // The WAL and shared-memory files belong to the old database; replaying them onto a new one would corrupt it.
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    }
    log.error(
      { path, moved_to: aside, err: (e as Error).message },
      'fleet database is unusable; moved it aside and starting an empty one: agents re-register at their next message, configurations must be applied again (read them back from the moved file)',
    );
    return open(path);
  }
}

function open(path: string): FleetDb {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // Crash-safe at every commit; fsynced only for operators' changes (see above).
    db.pragma('synchronous = NORMAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new UnusableFleetDb(`integrity check failed: ${String(check)}`);
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: FleetDb): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  if (row === undefined) {
    db.transaction(() => {
      db.exec(SCHEMA);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    })();
    return;
  }
  // Version 1 had no rendered Collector configurations: every body was offered as it is.
  if (row.version === 1) {
    db.transaction(() => {
      db.exec('ALTER TABLE versions ADD COLUMN offered TEXT');
      db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
    })();
    return;
  }
  // A newer server wrote this file (we were downgraded): its layout is unknown to us.
  if (row.version !== SCHEMA_VERSION) throw new UnusableFleetDb(`schema version ${row.version}, this server knows ${SCHEMA_VERSION}`);
}

function isUnusable(e: unknown): boolean {
  if (e instanceof UnusableFleetDb) return true;
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}
