/**
 * A data directory with a damaged block, made the way damage happens: a real server writes two
 * blocks of 100 entries of `{job="damaged"}` (each clean shutdown seals one), then bytes inside the
 * first block's payload are flipped on disk. A server started on it finds and quarantines the block
 * when a query reads it.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir } from './server.js';

/** The first entry's time (ns); entry i is at DAMAGED_T0 + i µs, `entry <i>`. */
export const DAMAGED_T0 = BigInt(Date.now() - 60_000) * 1_000_000n;

async function push(url: string, from: number, count: number): Promise<void> {
  const values = Array.from({ length: count }, (_, i) => [(DAMAGED_T0 + BigInt(from + i) * 1000n).toString(), `entry ${from + i}`]);
  const res = await fetch(url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: { job: 'damaged' }, values }] }) });
  assert.equal(res.status, 204);
}

/** A data directory with two blocks of 100 entries each, the first one damaged. */
export async function damagedDir(): Promise<string> {
  const dir = tempDir();
  for (const from of [0, 100]) {
    const srv = await startServer({ data: dir });
    await push(srv.url, from, 100);
    await srv.close();
  }
  const blocksDir = join(dir, 'tenants', readdirSync(join(dir, 'tenants'))[0]!, 'blocks');
  const seg = join(blocksDir, readdirSync(blocksDir).sort()[0]!);
  // Inside the first block's payload (its 40-byte header comes first).
  const b = readFileSync(seg).subarray(60, 76);
  const fd = openSync(seg, 'r+');
  writeSync(fd, Buffer.from(b.map((x) => x ^ 0xff)), 0, b.length, 60);
  closeSync(fd);
  return dir;
}
