/**
 * The tokens of issue #11 in `<data>/auth/tokens.db`, SQLite via better-sqlite3 (as the sources
 * registry). SQLite rather than a JSON file because two processes write it at once: the server
 * (admin API, last-used times) and `logwharf token` on the same data directory while the server runs.
 * WAL mode lets the CLI write while the server reads, each write is one transaction (no lost update,
 * which a rewritten JSON file would need a cross-process lock for), and a revocation is a row the
 * server sees on its next read. The store's directory lock is not taken, on purpose.
 *
 * Unlike the registry, a damaged file is NOT replaced by an empty one: tokens cannot be reported
 * again, so that would silently lock every client out (or, worse, lose revocations on a restore).
 * Opening fails with the file's name instead; the operator restores it or removes it.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LogwharfError } from '../api/errors.js';
import type { Role } from '../http/identity.js';
import { newTokenId, newTokenText } from './token-format.js';
import { openTokenOutbox, type OutboxActor, type TokenOutbox } from './token-outbox.js';
import { certCnTaken, migrateCertCn } from './token-cert-cn.js';

export const SCHEMA_VERSION = 1;

/** Where a data directory keeps its tokens. */
export function tokenDbPath(dataDir: string): string {
  return join(dataDir, 'auth', 'tokens.db');
}

/** What is shown of a token (never its secret nor its hash). Times are Unix milliseconds. */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  tenants: string[];
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
  lastUsedAt?: number;
  /** The client-certificate subject CN this token answers for (src/auth/token-cert-cn.ts). */
  certCn?: string;
}

/** A token with its secret's hash, for the authenticator only. */
export interface TokenRecord extends TokenInfo {
  secretHash: Buffer;
}

export interface NewToken {
  /** Unique among tokens not revoked; default `token-<id>`. */
  name?: string | undefined;
  role: Role;
  tenants: string[];
  expiresAt?: number | undefined;
  /** Bind the token to client certificates with this subject CN; unique among tokens not revoked. */
  certCn?: string | undefined;
}

export interface TokenStore {
  /**
   * Creates a token; `token` is its text, to be shown once and never again. `outside`: made by
   * someone other than the server (the CLI), so the change also goes to the outbox for the audit log.
   */
  create(spec: NewToken, now: number, outside?: OutboxActor): { info: TokenInfo; token: string };
  list(): TokenInfo[];
  get(id: string): TokenRecord | undefined;
  /** The token not revoked that is bound to this certificate CN (it may have expired). */
  getByCertCn(cn: string): TokenRecord | undefined;
  /** Revokes the token with this id, or the unrevoked token with this name; undefined when none. `outside` as for create. */
  revoke(idOrName: string, now: number, outside?: OutboxActor): TokenInfo | undefined;
  /** Changes made outside the server, for its audit log (./token-outbox.ts). */
  readonly outbox: TokenOutbox;
  /** Records a use (the authenticator calls it at most once a minute per token). */
  touch(id: string, now: number): void;
  close(): void;
}

const SCHEMA = `
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')),
  tenants TEXT NOT NULL, -- JSON array of tenant ids
  secret_sha256 BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  revoked_ms INTEGER,
  last_used_ms INTEGER
);
-- A name picks one token to revoke; a revoked token's name may be reused by its replacement.
CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked_ms IS NULL;
`;

interface Row {
  id: string;
  name: string;
  role: Role;
  tenants: string;
  secret_sha256: Buffer;
  created_ms: number;
  expires_ms: number | null;
  revoked_ms: number | null;
  last_used_ms: number | null;
  cert_cn: string | null;
}

export function openTokenStore(path: string): TokenStore {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let db: Database.Database;
  let outbox!: ReturnType<typeof openTokenOutbox>;
  try {
    // Only hashes are inside, yet no other user need read them: created owner-only, and SQLite gives
    // its -wal and -shm files the database file's mode.
    if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
    db = new Database(path);
  } catch (e) {
    throw unusable(path, e);
  }
  try {
    db.pragma('journal_mode = WAL');
    // A revocation must survive power loss: fsync every commit (writes are rare).
    db.pragma('synchronous = FULL');
    // The CLI and the server write the same file; a writer waits briefly for the other.
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
    migrate(db);
    outbox = openTokenOutbox(db);
  } catch (e) {
    db.close();
    throw unusable(path, e);
  }
  const byId = db.prepare('SELECT * FROM tokens WHERE id = ?');
  const all = db.prepare('SELECT * FROM tokens ORDER BY created_ms, rowid');
  const insert = db.prepare(
    'INSERT INTO tokens (id, name, role, tenants, secret_sha256, created_ms, expires_ms, cert_cn) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const activeByName = db.prepare('SELECT * FROM tokens WHERE name = ? AND revoked_ms IS NULL');
  const activeByCertCn = db.prepare('SELECT * FROM tokens WHERE cert_cn = ? AND revoked_ms IS NULL');
  const revokeStmt = db.prepare('UPDATE tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL');
  const touchStmt = db.prepare('UPDATE tokens SET last_used_ms = ? WHERE id = ? AND (last_used_ms IS NULL OR last_used_ms < ?)');

  const revoke = db.transaction((idOrName: string, now: number, outside?: OutboxActor): TokenInfo | undefined => {
    const row = (byId.get(idOrName) as Row | undefined) ?? (activeByName.get(idOrName) as Row | undefined);
    if (!row) return undefined;
    // An already revoked token changes nothing: nothing to audit either.
    if (revokeStmt.run(now, row.id).changes > 0 && outside) outbox.add({ at: now, action: 'token.revoke', actor: outside, token: info(row) });
    return info((byId.get(row.id) as Row));
  });
  const create = db.transaction((id: string, name: string, spec: NewToken, secretHash: Buffer, now: number, outside?: OutboxActor) => {
    insert.run(id, name, spec.role, JSON.stringify(spec.tenants), secretHash, now, spec.expiresAt ?? null, spec.certCn ?? null);
    const made = info(byId.get(id) as Row);
    if (outside) outbox.add({ at: now, action: 'token.create', actor: outside, token: made });
    return made;
  });

  return {
    create(spec, now, outside) {
      const id = newTokenId();
      const name = spec.name ?? `token-${id}`;
      const { token, secretHash } = newTokenText(id);
      try {
        return { info: create(id, name, spec, secretHash, now, outside), token };
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && /cert_cn/.test((e as Error).message)) throw certCnTaken(spec.certCn ?? '');
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new LogwharfError('bad_request', `a token named "${name}" exists already: revoke it first or choose another name`);
        }
        throw e;
      }
    },
    list: () => (all.all() as Row[]).map(info),
    get(id) {
      const row = byId.get(id) as Row | undefined;
      return row ? { ...info(row), secretHash: row.secret_sha256 } : undefined;
    },
    getByCertCn(cn) {
      const row = activeByCertCn.get(cn) as Row | undefined;
      return row ? { ...info(row), secretHash: row.secret_sha256 } : undefined;
    },
    revoke: (idOrName, now, outside) => revoke(idOrName, now, outside),
    outbox,
    touch(id, now) {
      touchStmt.run(now, id, now);
    },
    close: () => db.close(),
  };
}

function info(r: Row): TokenInfo {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    tenants: JSON.parse(r.tenants) as string[],
    createdAt: r.created_ms,
    ...(r.expires_ms !== null ? { expiresAt: r.expires_ms } : {}),
    ...(r.revoked_ms !== null ? { revokedAt: r.revoked_ms } : {}),
    ...(r.last_used_ms !== null ? { lastUsedAt: r.last_used_ms } : {}),
    ...(r.cert_cn !== null ? { certCn: r.cert_cn } : {}),
  };
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  if (row === undefined) {
    db.transaction(() => {
      db.exec(SCHEMA);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    })();
  } else if (row.version !== SCHEMA_VERSION) throw new Error(`schema version ${row.version}, this logwharf knows ${SCHEMA_VERSION}`);
  // Steps that check for themselves what is missing, so a file from any earlier release opens.
  migrateCertCn(db);
}

function unusable(path: string, e: unknown): Error {
  return new Error(
    `cannot open the token database ${path}: ${(e as Error).message}. Restore it from a backup, or remove it (and its -wal and -shm files) to start with no tokens`,
    { cause: e },
  );
}
