/**
 * `logwharf token create|list|revoke --data DIR`: manages the tokens of a data directory
 * (`<data>/auth/tokens.db`), also while a server runs on it: the token database is SQLite in WAL mode
 * and is not behind the store's directory lock, and the server sees a revocation within a second.
 * `create` prints the token once, as the last line of stdout; nothing else ever shows a secret.
 * Loaded on demand by ./dispatch.ts (it loads better-sqlite3).
 */
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { isLogwharfError } from '../api/errors.js';
import { openTokenStore, tokenDbPath, type TokenInfo, type TokenStore } from '../auth/token-store.js';
import { tokenSpec } from '../auth/token-spec.js';
import type { OutboxActor } from '../auth/token-outbox.js';
import { wireToken } from '../auth/token-wire.js';
import { parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

export const TOKEN_USAGE = `Usage:
  logwharf token create --data DIR --tenant T [--tenant T2 ...] --role read|write|admin [--name N] [--expires 90d] [--cert-cn CN]
  logwharf token list --data DIR [--output table|json]
  logwharf token revoke --data DIR <id|name>

Tokens authenticate clients when the server runs with auth.tokens_enabled: send one as
'Authorization: Bearer <token>', or as the password of HTTP basic auth (any user name), or bind it
to a client certificate's subject CN (--cert-cn) so that mTLS clients need no token at all.
'create' prints the new token once, as the last line of standard output: store it then, it cannot
be shown again (only a hash of it is kept). These commands work while the server runs; a revoked
token is refused within a second.
  --data DIR        the data directory (as given to 'logwharf server --data')
  --tenant T        a tenant the token may act for; repeat for several
  --role R          read (queries, tail, labels), write (push), or admin (everything)
  --name N          a name for logs, the audit log and 'revoke' (default token-<id>)
  --expires D       lifetime, e.g. 90d, 12h (default: never expires)
  --cert-cn CN      a request without Authorization whose verified client certificate (tls.client_ca_file)
                    has this subject CN acts as this token; one active token per CN
  --output F        list as a table (default) or one JSON array
`;

export async function runToken(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await write(sub === undefined ? io.stderr : io.stdout, TOKEN_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'create') return create(rest, io);
  if (sub === 'list') return list(rest, io);
  if (sub === 'revoke') return revoke(rest, io);
  throw new UsageError(`token: unknown subcommand "${sub}" (want create, list or revoke)`);
}

async function create(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('token create', argv, {
    data: { type: 'string' },
    tenant: { type: 'string', multiple: true },
    role: { type: 'string' },
    name: { type: 'string' },
    expires: { type: 'string' },
    'cert-cn': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return help(io);
  noPositionals('token create', positionals);
  const data = dataFlag('token create', v.data, true);
  if (v.tenant === undefined) throw new UsageError('token create: --tenant T is required (repeat it for several tenants)');
  if (v.role === undefined) throw new UsageError('token create: --role is required: read, write or admin');
  const now = Date.now();
  let spec;
  try {
    spec = tokenSpec({ name: v.name, role: v.role, tenants: v.tenant, expiresIn: v.expires, certCn: v['cert-cn'] }, now);
  } catch (e) {
    if (isLogwharfError(e)) throw new UsageError(`token create: ${flagWords(e.message)}`);
    throw e;
  }
  const { info, token } = withStore(data, (s) => s.create(spec, now, cliActor()));
  const expires = info.expiresAt !== undefined ? `expires ${iso(info.expiresAt)}` : 'never expires';
  const cert = info.certCn !== undefined ? `, client certificate CN ${info.certCn}` : '';
  await write(io.stderr, `created token "${info.name}" (id ${info.id}, role ${info.role}, tenants ${info.tenants.join(', ')}${cert}, ${expires}); it is shown once, below:\n`);
  await write(io.stdout, token + '\n');
  return 0;
}

async function list(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('token list', argv, {
    data: { type: 'string' },
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return help(io);
  noPositionals('token list', positionals);
  const data = dataFlag('token list', v.data);
  const output = v.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw new UsageError(`token list: --output "${output}" is not table or json`);
  const tokens = existsSync(tokenDbPath(data)) ? withStore(data, (s) => s.list()) : [];
  if (output === 'json') {
    await write(io.stdout, JSON.stringify(tokens.map(wireToken)) + '\n');
    return 0;
  }
  const rows = [['ID', 'NAME', 'ROLE', 'TENANTS', 'CERT CN', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS']];
  const now = Date.now();
  for (const t of tokens) {
    rows.push([t.id, t.name, t.role, t.tenants.join(','), t.certCn ?? '-', iso(t.createdAt), t.expiresAt !== undefined ? iso(t.expiresAt) : 'never', t.lastUsedAt !== undefined ? iso(t.lastUsedAt) : '-', status(t, now)]);
  }
  const widths = rows[0]!.map((_, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), 0));
  await write(io.stdout, rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n');
  return 0;
}

async function revoke(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('token revoke', argv, { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) return help(io);
  const data = dataFlag('token revoke', v.data);
  if (positionals.length !== 1) throw new UsageError('token revoke: give one token id or name');
  const which = positionals[0]!;
  const revoked = existsSync(tokenDbPath(data)) ? withStore(data, (s) => s.revoke(which, Date.now(), cliActor())) : undefined;
  if (!revoked) {
    await write(io.stderr, `error: no token with id or name "${which}" that is not revoked already (see 'logwharf token list --data ${data}')\n`);
    return 1;
  }
  await write(io.stdout, `revoked token "${revoked.name}" (id ${revoked.id}) at ${iso(revoked.revokedAt!)}\n`);
  return 0;
}

/**
 * Who runs this command, for the server's audit log (the change goes to the token database's outbox):
 * the operating-system user and host, since the CLI works on files and proves no other identity.
 */
function cliActor(): OutboxActor {
  let user: string;
  try {
    const u = userInfo();
    user = `${u.username} (uid ${u.uid})`;
  } catch {
    user = `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return { user, host: hostname() };
}

function status(t: TokenInfo, now: number): string {
  if (t.revokedAt !== undefined) return 'revoked';
  if (t.expiresAt !== undefined && t.expiresAt <= now) return 'expired';
  return 'active';
}

function withStore<T>(data: string, fn: (s: TokenStore) => T): T {
  const store = openTokenStore(tokenDbPath(data));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** `create` may make the directory (tokens before the server's first start); the others need it. */
function dataFlag(command: string, data: string | undefined, mayCreate = false): string {
  if (data === undefined) throw new UsageError(`${command}: --data DIR is required`);
  if (!mayCreate && !existsSync(data)) throw new UsageError(`${command}: --data ${data}: no such directory`);
  return data;
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${positionals[0]}"`);
}

/** The spec's messages name fields; the CLI's user typed flags. */
function flagWords(message: string): string {
  return message.replace(/^role /, '--role ').replace(/^tenant /, '--tenant ').replace(/^name /, '--name ').replace(/^expiry /, '--expires ').replace(/^certificate CN /, '--cert-cn ');
}

async function help(io: CliIO): Promise<number> {
  await write(io.stdout, TOKEN_USAGE);
  return 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
