/**
 * Reads block payload regions from segment files through cached read handles (a query touches
 * many blocks of few files). Handles are closed when a segment is deleted or the store closes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { storeIoError } from './io-error.js';

export class SegmentReader {
  private handles = new Map<string, Promise<FileHandle>>();

  async read(path: string, offset: number, length: number): Promise<Buffer> {
    let p = this.handles.get(path);
    if (!p) {
      p = open(path, 'r');
      this.handles.set(path, p);
      p.catch(() => this.handles.delete(path));
    }
    try {
      const fh = await p;
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) throw Object.assign(new Error(`short read at ${offset}`), { code: 'EIO' });
        got += bytesRead;
      }
      return buf;
    } catch (e) {
      throw storeIoError('read', e, path);
    }
  }

  async forget(path: string): Promise<void> {
    const p = this.handles.get(path);
    this.handles.delete(path);
    if (p) await p.then((fh) => fh.close()).catch(() => {});
  }

  async close(): Promise<void> {
    const all = [...this.handles.keys()];
    for (const path of all) await this.forget(path);
  }
}
