/** Synchronous read of one region of a file (worker threads read block regions this way). */
import { closeSync, openSync, readSync } from 'node:fs';

export function readRegion(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) throw new Error(`short read of block in ${path} at ${offset}`);
      got += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}
