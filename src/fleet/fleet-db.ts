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
import type { Logger } from '../util/logger.js';
import { openSqliteFile, type SqliteDb } from '../util/sqlite-file.js';

export type FleetDb = SqliteDb;

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

/** Opens (creating if needed) the fleet database at `path`; an unusable file is moved aside with an error logged. */
export function openFleetDb(path: string, log: Logger): FleetDb {
  return openSqliteFile(
    path,
    {
      what: 'the fleet database',
      schema: SCHEMA,
      version: SCHEMA_VERSION,
      // Version 1 had no rendered Collector configurations: every body was offered as it is.
      upgrades: { 1: 'ALTER TABLE versions ADD COLUMN offered TEXT' },
      movedAside: {
        level: 'error',
        message:
          'fleet database is unusable; moved it aside and starting an empty one: agents re-register at their next message, configurations must be applied again (read them back from the moved file)',
      },
    },
    log,
  );
}
