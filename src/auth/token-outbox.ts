/**
 * The token database's outbox (issue #11, audit log): token changes made outside the server
 * (`logwharf token create|revoke --data DIR`, which writes tokens.db directly, possibly while the
 * server runs and possibly while it is stopped) are written here in the same transaction as the
 * change itself; the server drains them into the audit log (src/audit) at start and every second,
 * deleting each row once its audit record is durable. So no CLI change is lost, and none is recorded
 * twice unless the server dies between the two steps (at least once; `outbox_seq` in the record tells
 * the duplicate).
 *
 * Changes through the admin API are not written here: the HTTP server records those itself, with
 * the request's details. The table is made with IF NOT EXISTS, outside the versioned schema, so an
 * older database gains it on open and an older logwharf ignores it.
 */
import type Database from 'better-sqlite3';
import type { Role } from '../http/identity.js';

/** Who made a change outside the server: the operating-system user running the CLI, on which host. */
export interface OutboxActor {
  user: string;
  host: string;
}

export interface OutboxEntry {
  /** Increasing; `remove(seq)` deletes this entry and every older one. */
  seq: number;
  /** When the change was made (Unix ms). */
  at: number;
  action: 'token.create' | 'token.revoke';
  actor: OutboxActor;
  token: { id: string; name: string; role: Role; tenants: string[]; expiresAt?: number };
}

export interface TokenOutbox {
  /** The oldest `limit` entries not yet drained. */
  pending(limit: number): OutboxEntry[];
  /** Deletes the entries up to and including `seq` (their audit records are durable). */
  remove(upToSeq: number): void;
}

const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS token_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor_user TEXT NOT NULL,
  actor_host TEXT NOT NULL,
  token_id TEXT NOT NULL,
  token_name TEXT NOT NULL,
  token_role TEXT NOT NULL,
  token_tenants TEXT NOT NULL, -- JSON array
  token_expires_ms INTEGER
);
`;

interface OutboxRow {
  seq: number;
  at_ms: number;
  action: OutboxEntry['action'];
  actor_user: string;
  actor_host: string;
  token_id: string;
  token_name: string;
  token_role: Role;
  token_tenants: string;
  token_expires_ms: number | null;
}

/** The outbox over an open token database; `add` is for the store's own transactions. */
export function openTokenOutbox(db: Database.Database): TokenOutbox & { add(e: Omit<OutboxEntry, 'seq'>): void } {
  db.exec(OUTBOX_SCHEMA);
  const insert = db.prepare(
    'INSERT INTO token_outbox (at_ms, action, actor_user, actor_host, token_id, token_name, token_role, token_tenants, token_expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const select = db.prepare('SELECT * FROM token_outbox ORDER BY seq LIMIT ?');
  const del = db.prepare('DELETE FROM token_outbox WHERE seq <= ?');
  return {
    add(e) {
      const t = e.token;
      insert.run(e.at, e.action, e.actor.user, e.actor.host, t.id, t.name, t.role, JSON.stringify(t.tenants), t.expiresAt ?? null);
    },
    pending: (limit) =>
      (select.all(limit) as OutboxRow[]).map((r) => ({
        seq: r.seq,
        at: r.at_ms,
        action: r.action,
        actor: { user: r.actor_user, host: r.actor_host },
        token: { id: r.token_id, name: r.token_name, role: r.token_role, tenants: JSON.parse(r.token_tenants) as string[], ...(r.token_expires_ms !== null ? { expiresAt: r.token_expires_ms } : {}) },
      })),
    remove(upToSeq) {
      del.run(upToSeq);
    },
  };
}
