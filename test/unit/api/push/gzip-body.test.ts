/**
 * gzip request bodies are inflated into one buffer sized from the gzip trailer (issue #12). What a
 * client notices must not change: multi-member bodies, the size bound (413), corrupt trailers (400).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { decodeContentEncoding, gzipChunkSize } from '../../../../src/api/push/body.js';
import { decodeLokiPush } from '../../../../src/api/push/index.js';
import { LogwharfError } from '../../../../src/api/errors.js';

const json = (n: number) => JSON.stringify({ streams: [{ stream: { app: 'x' }, values: Array.from({ length: n }, (_, i) => [String(1714521600000000000n + BigInt(i)), `line ${i} ${'x'.repeat(i % 50)}`]) }] });

test('a gzip body decodes to its bytes; a multi-member body (concatenated gzip files) to all members', async () => {
  const text = Buffer.from(json(2000));
  assert.deepEqual(await decodeContentEncoding(gzipSync(text), 'gzip', 64 << 20), text);
  const half = text.length >> 1;
  const two = Buffer.concat([gzipSync(text.subarray(0, half)), gzipSync(text.subarray(half))]);
  // The trailer names only the last member's size: the first buffer is too small and zlib adds more.
  assert.ok(gzipChunkSize(two, 64 << 20) < text.length);
  assert.deepEqual(await decodeContentEncoding(two, 'gzip', 64 << 20), text);
  const d = await decodeLokiPush({ contentType: 'application/json', contentEncoding: 'gzip', body: two });
  assert.equal(d.streams[0]!.entries.length, 2000);
});

test('the size bound holds with the one-buffer inflate: the limit itself passes, a byte more is 413', async () => {
  const text = Buffer.from(json(300));
  const gz = gzipSync(text);
  assert.equal((await decodeContentEncoding(gz, 'gzip', text.length)).length, text.length);
  await assert.rejects(decodeContentEncoding(gz, 'gzip', text.length - 1), (e: unknown) => e instanceof LogwharfError && e.status === 413);
});

test('a forged trailer cannot make the server allocate beyond what the bytes can inflate to, and is refused', async () => {
  const gz = Buffer.from(gzipSync(Buffer.from('{"streams":[]}')));
  gz.writeUInt32LE(0xffffffff, gz.length - 4);
  assert.equal(gzipChunkSize(gz, 64 << 20), 64 * 1024, "no more than the default chunk for a small body");
  const big = Buffer.from(gzipSync(Buffer.alloc(1 << 20, 0x61)));
  big.writeUInt32LE(0xffffffff, big.length - 4);
  assert.ok(gzipChunkSize(big, 64 << 20) <= big.length * 1032 + 64, "at most what deflate can expand to");
  assert.ok(gzipChunkSize(gz, 1000) <= 64 * 1024, 'small limits keep the default chunk');
  await assert.rejects(decodeContentEncoding(gz, 'gzip', 64 << 20), (e: unknown) => e instanceof LogwharfError && e.status === 400 && /invalid gzip body/.test(e.message));
  // A truncated body (no trailer to read) still gets the 400.
  await assert.rejects(decodeContentEncoding(gz.subarray(0, 10), 'gzip', 64 << 20), (e: unknown) => e instanceof LogwharfError && e.status === 400);
});
