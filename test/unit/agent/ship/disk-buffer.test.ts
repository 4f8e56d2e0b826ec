/**
 * The disk buffer on real files: records round-trip (bigint timestamps exactly), the cursor
 * survives a reopen, shipped segments are deleted, and a torn or corrupt tail is cut off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskBuffer } from '../../../../src/agent/ship/disk-buffer.js';
import { decodeBufferedItem, encodeBufferedItem, type BufferedItem } from '../../../../src/agent/ship/buffer-record.js';
import { createLogger } from '../../../../src/util/logger.js';

const log = createLogger({ level: 'silent' });

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'disk-buffer-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function rec(i: number): BufferedItem {
  return {
    streams: [{ labels: { job: 'x', n: String(i % 2) }, entries: [{ ts: 1_700_000_000_123_456_789n + BigInt(i), line: `line ${i} ünïcode \u0000`, metadata: { k: 'v' } }] }],
    lines: 1,
    bytes: 10,
  };
}

test('records round-trip exactly, bigint nanoseconds included', () => {
  const item: BufferedItem = {
    streams: [
      { labels: { a: '1' }, entries: [{ ts: 18_446_744_073_709_551_615n, line: 'max' }, { ts: 1n, line: '', metadata: { x: 'y' } }] },
      { labels: {}, entries: [] },
    ],
    lines: 2,
    bytes: 3,
  };
  assert.deepEqual(decodeBufferedItem(encodeBufferedItem(item)), item);
});

test('append, read in order up to a byte budget, ack; the cursor survives a reopen', withDir(async (dir) => {
  const b = await DiskBuffer.open(dir, { maxBytes: 1 << 20, segmentBytes: 300, log });
  for (let i = 0; i < 10; i++) await b.append([encodeBufferedItem(rec(i))]);
  assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg')).length > 1, 'several segments');
  const first = await b.read(400);
  assert.ok(first && first.payloads.length >= 1 && first.payloads.length < 10);
  const got = first.payloads.map((p) => decodeBufferedItem(p));
  assert.deepEqual(got[0], rec(0));
  await b.ack(first.end);
  const before = b.bytes;
  await b.close();

  const again = await DiskBuffer.open(dir, { maxBytes: 1 << 20, segmentBytes: 300, log });
  assert.equal(again.bytes, before, 'same unshipped bytes after reopen');
  const rest = await again.read(1 << 20);
  const lines = rest!.payloads.map((p) => decodeBufferedItem(p).streams[0]!.entries[0]!.line);
  assert.deepEqual(lines, Array.from({ length: 10 - got.length }, (_, k) => rec(got.length + k).streams[0]!.entries[0]!.line));
  await again.ack(rest!.end);
  assert.equal(again.bytes, 0);
  assert.equal(await again.read(1000), undefined);
  assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg')).length <= 1, 'shipped segments deleted');
  await again.append([encodeBufferedItem(rec(99))]);
  const last = await again.read(1000);
  assert.equal(decodeBufferedItem(last!.payloads[0]!).streams[0]!.entries[0]!.line, rec(99).streams[0]!.entries[0]!.line);
  await again.close();
}));

test('the cap: hasRoom says no once maxBytes is reached, but an empty buffer takes one record of any size', withDir(async (dir) => {
  const b = await DiskBuffer.open(dir, { maxBytes: 1000, log });
  assert.ok(b.hasRoom(5000));
  await b.append([Buffer.alloc(600, 97)]);
  assert.equal(b.bytes, 608, 'payload + 8-byte header');
  assert.ok(b.hasRoom(392));
  assert.ok(!b.hasRoom(393));
  await b.close();
}));

test('a torn tail record (crash mid-write) is discarded on open; earlier records stay', withDir(async (dir) => {
  const b = await DiskBuffer.open(dir, { maxBytes: 1 << 20, log });
  await b.append([encodeBufferedItem(rec(1)), encodeBufferedItem(rec(2))]);
  await b.close();
  const seg = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
  const good = statSync(seg).size;
  const torn = Buffer.alloc(8 + 20);
  torn.writeUInt32LE(500, 0); // claims 500 bytes, only 20 made it
  appendFileSync(seg, torn);

  const again = await DiskBuffer.open(dir, { maxBytes: 1 << 20, log });
  assert.equal(statSync(seg).size, good, 'file cut back to its whole records');
  const r = await again.read(1 << 20);
  assert.equal(r!.payloads.length, 2);
  await again.append([encodeBufferedItem(rec(3))]);
  await again.ack(r!.end);
  const next = await again.read(1 << 20);
  assert.deepEqual(decodeBufferedItem(next!.payloads[0]!), rec(3), 'appends continue after the cut');
  await again.close();
}));

test('a record whose checksum fails (flipped byte) is discarded with what follows it', withDir(async (dir) => {
  const b = await DiskBuffer.open(dir, { maxBytes: 1 << 20, log });
  await b.append([encodeBufferedItem(rec(1))]);
  await b.append([encodeBufferedItem(rec(2))]);
  await b.close();
  const seg = join(dir, readdirSync(dir).find((f) => f.endsWith('.seg'))!);
  const data = readFileSync(seg);
  const firstLen = 8 + data.readUInt32LE(0);
  data[firstLen + 8 + 5]! ^= 0xff;
  writeFileSync(seg, data);
  const again = await DiskBuffer.open(dir, { maxBytes: 1 << 20, log });
  const r = await again.read(1 << 20);
  assert.equal(r!.payloads.length, 1);
  assert.deepEqual(decodeBufferedItem(r!.payloads[0]!), rec(1));
  assert.equal(statSync(seg).size, firstLen);
  await again.close();
}));

test('garbage files and an unreadable cursor do not stop it', withDir(async (dir) => {
  writeFileSync(join(dir, 'cursor.json'), '{not json');
  writeFileSync(join(dir, '0000000000000001.seg'), Buffer.from('garbage that is not a record at all'));
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const b = await DiskBuffer.open(dir, { maxBytes: 1 << 20, log });
  assert.equal(b.bytes, 0);
  await b.append([encodeBufferedItem(rec(5))]);
  const r = await b.read(1 << 20);
  assert.deepEqual(decodeBufferedItem(r!.payloads[0]!), rec(5));
  await b.close();
}));
