/**
 * Issue #8 finding 1: a malformed WebSocket frame on /loki/api/v1/tail closes that connection with
 * the close code RFC 6455 prescribes, and nothing else: the server keeps serving. Raw sockets, so the
 * frames are exactly the bytes a hostile client sends (the `ws` client refuses to send them). The
 * server is a child process (dist/, built by `npm test`): an unhandled 'error' ends it, which an
 * in-process server would hide behind the test runner's own uncaughtException handler.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { startChildServer, tempDir, removeDir, type ChildServer } from './helpers/server.js';

let srv: ChildServer;
let dir: string;
let exitedEarly: number | string | undefined;
before(async () => {
  dir = tempDir();
  srv = await startChildServer(dir);
  void srv.exited.then((code) => (exitedEarly = code));
});
after(async () => {
  srv.proc.kill('SIGTERM');
  await srv.exited;
  removeDir(dir);
});

/** Opens a raw socket and completes the WebSocket handshake on the tail endpoint. */
async function handshake(): Promise<{ sock: Socket; received: () => Buffer; closed: Promise<void> }> {
  const { port } = new URL(srv.url);
  const sock = connect(Number(port), '127.0.0.1');
  let buf = Buffer.alloc(0);
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  sock.on('error', () => {});
  sock.on('data', (c: Buffer) => (buf = Buffer.concat([buf, c])));
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  const q = encodeURIComponent('{job="none"}');
  sock.write(
    `GET /loki/api/v1/tail?query=${q} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const deadline = Date.now() + 5000;
  while (buf.indexOf('\r\n\r\n') < 0) {
    if (Date.now() > deadline) throw new Error(`no handshake answer: ${buf.toString()}`);
    await new Promise((r) => sock.once('data', r));
  }
  const head = buf.subarray(0, buf.indexOf('\r\n\r\n') + 4);
  assert.match(head.toString(), /^HTTP\/1\.1 101 /);
  buf = buf.subarray(head.length);
  return { sock, received: () => buf, closed };
}

/** A client frame with the given first byte and payload, masked (as clients must) unless `masked` is false. */
function frame(first: number, payload: Buffer, masked = true): Buffer {
  const key = Buffer.from([1, 2, 3, 4]);
  const len = payload.length;
  const m = masked ? 0x80 : 0;
  let lenBytes: Buffer;
  if (len < 126) lenBytes = Buffer.from([len | m]);
  else if (len < 65536) lenBytes = Buffer.from([126 | m, len >> 8, len & 0xff]);
  else {
    lenBytes = Buffer.alloc(9);
    lenBytes[0] = 127 | m;
    lenBytes.writeBigUInt64BE(BigInt(len), 1);
  }
  const body = masked ? Buffer.from(payload.map((b, i) => b ^ key[i % 4]!)) : payload;
  return Buffer.concat([Buffer.from([first]), lenBytes, masked ? key : Buffer.alloc(0), body]);
}

/** The close code of the server's close frame (it is unmasked, opcode 8, at the start of what follows the handshake). */
function closeCode(data: Buffer): number | undefined {
  for (let i = 0; i + 3 < data.length; ) {
    const op = data[i]! & 0x0f;
    let len = data[i + 1]! & 0x7f;
    let off = i + 2;
    if (len === 126) {
      len = data.readUInt16BE(off);
      off += 2;
    }
    if (op === 8) return len >= 2 ? data.readUInt16BE(off) : 1005;
    i = off + len;
  }
  return undefined;
}

const cases: { name: string; bytes: Buffer; code: number }[] = [
  { name: 'unmasked frame', bytes: frame(0x81, Buffer.from('hello'), false), code: 1002 },
  { name: 'reserved opcode 0x3', bytes: frame(0x83, Buffer.from('x')), code: 1002 },
  { name: 'RSV1 set without an extension', bytes: frame(0xc1, Buffer.from('x')), code: 1002 },
  { name: 'RSV2 and RSV3 set', bytes: frame(0xb1, Buffer.from('x')), code: 1002 },
  { name: 'invalid UTF-8 in a text frame', bytes: frame(0x81, Buffer.from([0xff, 0xfe, 0x80])), code: 1007 },
  { name: 'fragmented ping', bytes: frame(0x09, Buffer.from('p')), code: 1002 },
  { name: 'close code 999', bytes: frame(0x88, Buffer.from([0x03, 0xe7])), code: 1002 },
  {
    name: 'payload length 2^63',
    bytes: Buffer.concat([Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([1, 2, 3, 4])]),
    code: 1009,
  },
  { name: 'payload above the client frame bound', bytes: frame(0x82, Buffer.alloc(65 * 1024)), code: 1009 },
];

for (const c of cases) {
  test(`tail: ${c.name} closes only that connection with ${c.code}`, async () => {
    const bystander = new WebSocket(`${srv.url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{job="x"}')}`);
    await new Promise<void>((resolve, reject) => {
      bystander.once('open', () => resolve());
      bystander.once('error', reject);
    });
    const { sock, received, closed } = await handshake();
    sock.write(c.bytes);
    await closed;
    assert.equal(closeCode(received()), c.code, `close frame: ${received().toString('hex')}`);
    // The process is alive and serving, and another tail on the same server is untouched.
    assert.equal(exitedEarly, undefined, `server exited: ${srv.stderr()}`);
    const ready = await fetch(srv.url + '/ready');
    assert.equal(ready.status, 200);
    assert.equal(bystander.readyState, WebSocket.OPEN);
    bystander.close();
  });
}
