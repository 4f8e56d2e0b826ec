/**
 * Offline verification of a data directory (`logwharf fsck`): every checksum of every WAL record,
 * streams.log and index.log record and block is checked, and every index record decoded. Nothing
 * is written. A directory held by a running store is refused (its files change under the reader
 * and half-written records would look like damage); the server itself finds, reports and
 * quarantines the same damage when it starts (./damage.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogwharfError } from '../api/errors.js';
import { BLOCK_HEADER, decodeIndexRecord, payloadChecksumOk, readBlockHeader, type BlockMeta } from './block-meta.js';
import type { DamageKind } from './damage.js';
import { ownerAlive, parseLock } from './dir-lock.js';
import { scanFrames } from './frame.js';
import { ByteReader } from './bytes.js';
import { countDamagedEntries } from './wal-record.js';
import { tenantDirName } from './tenant-dir.js';

export interface FsckFinding {
  kind: DamageKind;
  file: string;
  offset: number;
  bytes: number;
  lostEntries: number | null;
  detail: string;
}

export interface FsckReport {
  damaged: FsckFinding[];
  /** Not damage: e.g. a torn WAL tail left by a crash (never acknowledged), trimmed at the next start. */
  notes: FsckFinding[];
  files: number;
  records: number;
  blocks: number;
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Refuses a directory whose LOCK names a live owner. */
export async function assertNotInUse(dir: string): Promise<void> {
  const owner = parseLock((await readIfExists(join(dir, 'LOCK')))?.toString('utf8') ?? '');
  if (owner && owner.pid !== process.pid && ownerAlive(owner)) {
    throw new LogwharfError('store_unavailable', `data directory ${dir} is in use by process ${owner.pid}: stop the server first (fsck reads the files while nothing writes them)`, { pid: owner.pid });
  }
}

export async function verifyDataDir(dir: string): Promise<FsckReport> {
  await assertNotInUse(dir);
  const report: FsckReport = { damaged: [], notes: [], files: 0, records: 0, blocks: 0 };
  const framed = async (path: string, kind: DamageKind, lost: (region: Buffer) => number | undefined): Promise<Buffer[]> => {
    const buf = await readIfExists(path);
    if (!buf) return [];
    report.files++;
    const s = scanFrames(buf);
    report.records += s.records.length;
    for (const r of s.damaged) {
      const region = buf.subarray(r.offset, r.offset + r.length);
      report.damaged.push({ kind, file: path, offset: r.offset, bytes: r.length, lostEntries: lost(region) ?? null, detail: 'records fail their checksum' });
    }
    const end = s.damaged.some((r) => r.offset + r.length === buf.length) ? buf.length : s.validEnd;
    if (end < buf.length) report.notes.push({ kind, file: path, offset: end, bytes: buf.length - end, lostEntries: null, detail: 'torn tail (an interrupted write, never acknowledged); cut off at the next start' });
    return s.records;
  };

  for (const name of await list(join(dir, 'wal'))) {
    if (name.endsWith('.wal')) await framed(join(dir, 'wal', name), 'wal', countDamagedEntries);
  }
  const tenants = join(dir, 'tenants');
  for (const name of await list(tenants)) {
    const tdir = join(tenants, name);
    const tenantFile = await readIfExists(join(tdir, 'tenant'));
    if (tenantFile && name.startsWith('t-') && tenantDirName(tenantFile.toString('utf8')) !== name) {
      report.damaged.push({ kind: 'tenant', file: join(tdir, 'tenant'), offset: 0, bytes: tenantFile.length, lostEntries: 0, detail: 'the tenant name does not match its directory (the server restores it from the directory name)' });
    }
    const known = new Set<number>();
    for (const rec of await framed(join(tdir, 'streams.log'), 'streams', () => undefined)) {
      try {
        known.add(new ByteReader(rec).varint());
      } catch {
        // Unreadable inside an intact frame: counted below as an unknown stream.
      }
    }
    const blocks: BlockMeta[] = [];
    const indexPath = join(tdir, 'index.log');
    for (const rec of await framed(indexPath, 'index', () => undefined)) {
      try {
        const r = new ByteReader(rec);
        const n = r.varint();
        for (let i = 0; i < n; i++) {
          const ir = decodeIndexRecord(r.bytes(r.varint()));
          if (ir.kind === 'block') blocks.push(ir.meta);
        }
      } catch (e) {
        report.damaged.push({ kind: 'index', file: indexPath, offset: 0, bytes: rec.length, lostEntries: null, detail: `an index batch does not decode: ${(e as Error).message}` });
      }
    }
    const orphans = blocks.filter((b) => !known.has(b.streamId));
    if (orphans.length > 0) {
      let entries = 0;
      for (const b of orphans) entries += b.entries;
      report.damaged.push({ kind: 'streams', file: join(tdir, 'streams.log'), offset: 0, bytes: 0, lostEntries: entries, detail: `${orphans.length} block(s) belong to streams streams.log does not list (their labels are lost)` });
    }
    const segments = new Map<number, Buffer | undefined>();
    for (const b of blocks) {
      const path = join(tdir, 'blocks', String(b.segment).padStart(8, '0') + '.seg');
      if (!segments.has(b.segment)) {
        const buf = await readIfExists(path);
        if (buf) report.files++;
        segments.set(b.segment, buf);
      }
      const seg = segments.get(b.segment);
      report.blocks++;
      const at = b.offset - BLOCK_HEADER;
      const problem = (() => {
        if (!seg) return 'its segment file is missing';
        const h = readBlockHeader(seg, at);
        if (!h) return 'no block header where the index says';
        if (h.streamId !== b.streamId || h.length !== b.length || at + BLOCK_HEADER + b.length > seg.length) return 'the block header does not match the index';
        return payloadChecksumOk(h, seg.subarray(b.offset, b.offset + b.length)) ? undefined : 'the payload fails its checksum';
      })();
      if (problem) report.damaged.push({ kind: 'block', file: path, offset: at, bytes: BLOCK_HEADER + b.length, lostEntries: b.entries, detail: problem });
    }
  }
  return report;
}
