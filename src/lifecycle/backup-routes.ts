/**
 * The server's side of `logwharf backup --addr` (issue #15), an admin API of logwharf's own:
 * - `POST /api/v1/backup/snapshots` takes a store snapshot (./../store `snapshot()`: every entry
 *   acknowledged before it is in it) plus the small files beside the logs (rule files, delete
 *   requests), and answers `{id, started, files: [{path, size, sha256}]}`;
 * - `GET /api/v1/backup/snapshots/:id/file?path=` streams one file's captured bytes;
 * - `DELETE /api/v1/backup/snapshots/:id` ends it, so compaction may unlink segment files again.
 * A snapshot nobody reads from for `SNAPSHOT_IDLE_MS` ends by itself (the client died). All three
 * need the admin role and act for no single tenant: a backup holds every tenant the caller's token
 * holds (every tenant with tokens off), and a snapshot is readable only by whoever took it.
 */
import { randomBytes } from 'node:crypto';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { LogwharfError } from '../api/errors.js';
import { sendJson } from '../http/context.js';
import type { Router } from '../http/router.js';
import type { EmbeddedStore, SnapshotFile, StoreSnapshot } from '../store/index.js';
import type { Logger } from '../util/logger.js';

export const SNAPSHOT_IDLE_MS = 10 * 60_000;
const PREFIX = '/api/v1/backup/snapshots';

/** Small files beside the logs that a restore needs: written atomically, so a read is consistent. */
const SIDE_DIRS = ['rules', 'deletes'];

interface Open {
  snap: StoreSnapshot;
  /** Who took it (with tokens on): only they read or end it; anyone else is told it does not exist. */
  owner: string | undefined;
  files: Map<string, SnapshotFile>;
  idle: NodeJS.Timeout;
}

async function sideFiles(dataDir: string): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = join(dir, n);
      if ((await stat(p)).isDirectory()) await walk(p);
      // Temporary and set-aside files are not state.
      else if (!n.endsWith('.tmp') && !n.includes('.damaged-')) {
        const content = await readFile(p);
        out.push({ path: relative(dataDir, p), size: content.length, content });
      }
    }
  };
  for (const d of SIDE_DIRS) await walk(join(dataDir, d));
  return out;
}

/**
 * Segment files only grow, so the hash state of a prefix is kept and a later snapshot hashes only
 * the bytes added since (node's Hash.copy()). Keyed by path and inode: a file replaced under the
 * same name starts over.
 */
interface PrefixHash {
  ino: number;
  size: number;
  hash: Hash;
}

function extend(path: string, from: PrefixHash | undefined, ino: number, size: number): Promise<PrefixHash> {
  const base = from && from.ino === ino && from.size <= size ? from : { ino, size: 0, hash: createHash('sha256') };
  const hash = base.hash.copy();
  return new Promise((resolve, reject) => {
    if (size === base.size) return resolve({ ino, size, hash });
    createReadStream(path, { start: base.size, end: size - 1 })
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve({ ino, size, hash }));
  });
}

export function registerBackupRoutes(router: Router, deps: { store: () => EmbeddedStore; dataDir: string; log: Logger }): { close(): void } {
  const open = new Map<string, Open>();
  /** Hash states of segment prefixes of the latest snapshot, by path. */
  let hashes = new Map<string, PrefixHash>();
  const end = (id: string) => {
    const o = open.get(id);
    if (!o) return false;
    clearTimeout(o.idle);
    o.snap.release();
    open.delete(id);
    return true;
  };
  const touch = (id: string, o: Open) => {
    clearTimeout(o.idle);
    o.idle = setTimeout(() => {
      deps.log.warn({ snapshot: id }, 'backup snapshot ended: no read for 10 minutes');
      end(id);
    }, SNAPSHOT_IDLE_MS);
    o.idle.unref();
  };
  const get = (id: string, owner: string | undefined) => {
    const o = open.get(id);
    if (!o || o.owner !== owner) throw new LogwharfError('not_found', `no backup snapshot "${id.slice(0, 40)}" (it ended, or the server restarted): start the backup again`);
    touch(id, o);
    return o;
  };

  router.add(
    'POST',
    PREFIX,
    async (ctx) => {
      const started = new Date();
      // With tokens on, a backup holds the tenants the admin token holds; the files beside the logs
      // (rule files, delete requests) hold every tenant's, so they come only with all tenants.
      const held = ctx.identity ? new Set(ctx.identity.tenants) : undefined;
      const snap = await deps.store().snapshot(held ? (x) => held.has(x) : undefined);
      try {
        const files = [...snap.files, ...(snap.partial ? [] : await sideFiles(deps.dataDir))];
        const listed: Array<{ path: string; size: number; sha256: string }> = [];
        // Only the latest snapshot's hashes are kept: the next backup needs no older ones.
        const seen = new Map<string, PrefixHash>();
        for (const f of files) {
          let sha: string;
          if (f.content) sha = createHash('sha256').update(f.content).digest('hex');
          else {
            const abs = join(deps.dataDir, f.path);
            const h = await extend(abs, hashes.get(f.path), (await stat(abs)).ino, f.size);
            sha = h.hash.copy().digest('hex');
            seen.set(f.path, h);
          }
          listed.push({ path: f.path, size: f.size, sha256: sha });
        }
        hashes = seen;
        const id = randomBytes(8).toString('hex');
        const o: Open = { snap, owner: ctx.identity?.name, files: new Map(files.map((f) => [f.path, f])), idle: setTimeout(() => {}, 0) };
        open.set(id, o);
        touch(id, o);
        ctx.auditDetails = { snapshot: id, files: listed.length, tenants: snap.tenants.length, partial: snap.partial };
        sendJson(ctx, 200, { id, started: started.toISOString(), tenants: snap.tenants, partial: snap.partial, files: listed });
      } catch (e) {
        snap.release();
        throw e;
      }
    },
    { role: 'admin', tenantless: true },
  );
  router.add(
    'GET',
    `${PREFIX}/:id/file`,
    async (ctx) => {
      const o = get(ctx.params.id!, ctx.identity?.name);
      const q = await ctx.query();
      const path = q.get('path') ?? '';
      const f = o.files.get(path);
      if (!f) throw new LogwharfError('not_found', `the snapshot has no file "${path.slice(0, 200)}"`);
      // `from`: the bytes after an earlier backup's copy (segment files only grow).
      const fromText = q.get('from') ?? '0';
      const from = /^\d{1,15}$/.test(fromText) ? Number(fromText) : NaN;
      if (!(from <= f.size)) throw new LogwharfError('invalid_param', `invalid parameter "from": want a byte offset from 0 to ${f.size}`, { param: 'from' });
      ctx.res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': f.size - from });
      if (f.content) return void ctx.res.end(f.content.subarray(from));
      if (f.size === from) return void ctx.res.end();
      await pipeline(createReadStream(join(deps.dataDir, f.path), { start: from, end: f.size - 1 }), ctx.res);
    },
    { role: 'admin', tenantless: true },
  );
  router.add(
    'DELETE',
    `${PREFIX}/:id`,
    (ctx) => {
      const id = ctx.params.id!;
      if (open.get(id)?.owner !== ctx.identity?.name || !end(id)) throw new LogwharfError('not_found', `no backup snapshot "${ctx.params.id!.slice(0, 40)}"`);
      ctx.res.writeHead(204);
      ctx.res.end();
    },
    { role: 'admin', tenantless: true },
  );
  return {
    close() {
      for (const id of [...open.keys()]) end(id);
    },
  };
}
