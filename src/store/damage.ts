/**
 * Damage is never silent (issue #8 finding 5). Whatever part of the data directory fails its
 * checksum or does not decode is reported once through `DamageReporter.report`:
 * - one structured error log line naming the file, the offset, the bytes and what was lost;
 * - the counter `logwharf_store_corruptions_total{kind}`;
 * - the damaged bytes copied into `<data>/quarantine/` with a JSON note beside them, before the
 *   caller cuts them out of the live file (or drops the block from the index), so nothing is
 *   destroyed and everything else is served.
 * `logwharf fsck` (./fsck.ts) finds the same damage offline and changes nothing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { Counter } from 'prom-client';
import { fsyncDir } from '../util/fsync-dir.js';

/** What was damaged: a WAL record, a streams.log or index.log record, a sealed block, or a tenant's name file. */
export type DamageKind = 'wal' | 'streams' | 'index' | 'block' | 'tenant';

export interface Damage {
  kind: DamageKind;
  /** The damaged file. */
  file: string;
  offset: number;
  /** Damaged bytes (cut out, or the block's region). */
  bytes: number;
  /** Entries that can no longer be served; undefined when the damaged bytes do not say. */
  lostEntries: number | undefined;
  /** What else is known, e.g. how many WAL records or streams were lost. */
  detail: string;
}

/** The subset of a pino logger reports need. */
export interface DamageLog {
  error(obj: object, msg?: string): void;
}

export class DamageReporter {
  constructor(
    private readonly dataDir: string,
    private readonly log?: DamageLog,
    private readonly counter?: Counter<'kind'>,
  ) {}

  get quarantineDir(): string {
    return join(this.dataDir, 'quarantine');
  }

  /** Logs and counts `d` and moves `content` (the damaged bytes) aside. Never throws. */
  async report(d: Damage, content: Buffer | undefined, blocks?: Buffer): Promise<void> {
    let quarantined: string | undefined;
    if (content) {
      try {
        quarantined = await this.quarantine(d, content, blocks);
      } catch (e) {
        this.log?.error({ err: e, file: d.file }, 'could not copy damaged data into the quarantine directory');
      }
    }
    this.counter?.inc({ kind: d.kind });
    this.log?.error(
      {
        kind: d.kind,
        file: d.file,
        offset: d.offset,
        bytes: d.bytes,
        lostEntries: d.lostEntries ?? 'unknown',
        detail: d.detail,
        ...(quarantined ? { quarantined } : {}),
      },
      `damaged ${d.kind} data skipped: ${d.detail}`,
    );
  }

  /** `blocks`: whole blocks (header + payload, a segment file of their own) the damage made unreachable. */
  private async quarantine(d: Damage, content: Buffer, blocks: Buffer | undefined): Promise<string> {
    await mkdir(this.quarantineDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${stamp}-${d.kind}-${basename(d.file)}@${d.offset}`;
    const path = join(this.quarantineDir, `${name}.bin`);
    await writeFile(path, content, { flush: true });
    if (blocks) await writeFile(join(this.quarantineDir, `${name}.blocks.seg`), blocks, { flush: true });
    const note = { ...d, file: relative(this.dataDir, d.file), lostEntries: d.lostEntries ?? null, at: new Date().toISOString(), note: 'bytes that failed their checksum or did not decode; cut out of the live data, which was served without them' };
    await writeFile(join(this.quarantineDir, `${name}.json`), JSON.stringify(note, null, 2) + '\n', { flush: true });
    await fsyncDir(this.quarantineDir);
    return path;
  }
}
