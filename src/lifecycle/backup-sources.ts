/**
 * Where a backup reads from: a running server's snapshot API (./backup-routes.ts) or a data
 * directory no server holds (its lock is taken for the copy, so a server cannot start on it
 * meanwhile). Offline, the WAL is copied too: a directory a server left after a crash may hold
 * entries that are only there, and the restored server replays them.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import type { LokiClient } from '../api/client.js';
import { lockDir } from '../store/dir-lock.js';
import { sha256File } from './backup-manifest.js';
import type { BackupSource, BackupSourceFile } from './backup-writer.js';

const SNAPSHOTS = '/api/v1/backup/snapshots';

export interface OpenedSource {
  source: BackupSource;
  /** Ends the snapshot (releases the server's pin) or the directory lock. */
  close(): Promise<void>;
}

export async function onlineSource(client: LokiClient, addr: string): Promise<OpenedSource> {
  const res = await client.send('POST', SNAPSHOTS);
  const snap = (await res.json()) as { id: string; files: Array<{ path: string; size: number; sha256: string }> };
  const id = encodeURIComponent(snap.id);
  return {
    source: {
      describe: { kind: 'online', addr },
      files: snap.files,
      async open(f: BackupSourceFile, from = 0) {
        const r = await client.send('GET', `${SNAPSHOTS}/${id}/file`, new URLSearchParams({ path: f.path, from: String(from) }));
        if (!r.body) return Readable.from([]);
        return Readable.fromWeb(r.body as import('node:stream/web').ReadableStream<Uint8Array>);
      },
    },
    async close() {
      await client.send('DELETE', `${SNAPSHOTS}/${id}`).then((r) => r.arrayBuffer()).catch(() => {});
    },
  };
}

/** What an offline backup copies, relative to the data directory. */
const OFFLINE_DIRS = ['tenants', 'wal', 'rules', 'deletes'];

async function walk(root: string, dir: string, out: BackupSourceFile[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names.sort()) {
    const p = join(dir, n);
    const st = await stat(p);
    if (st.isDirectory()) await walk(root, p, out);
    else if (!n.endsWith('.tmp') && !n.includes('.damaged-')) out.push({ path: relative(root, p), size: st.size });
  }
}

export async function offlineSource(data: string): Promise<OpenedSource> {
  if (!(await stat(data).then((s) => s.isDirectory(), () => false))) throw new Error(`--data ${data} is not a directory`);
  // Refuses a directory a live server holds ("… is in use by process N").
  const unlock = await lockDir(data);
  try {
    const files: BackupSourceFile[] = [];
    for (const d of OFFLINE_DIRS) await walk(data, join(data, d), files);
    return {
      source: {
        describe: { kind: 'offline', data },
        files,
        async open(f, from = 0) {
          return f.size === from ? Readable.from([]) : createReadStream(join(data, f.path), { start: from, end: f.size - 1 });
        },
        async hash(f) {
          return (await sha256File(join(data, f.path))).sha256;
        },
      },
      close: unlock,
    };
  } catch (e) {
    await unlock();
    throw e;
  }
}
