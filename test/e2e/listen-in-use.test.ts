/**
 * A taken listen address is explained, with the flag that fixes it (issue #8: it was a bare
 * "listen EADDRINUSE"). Runs the built binary as a user does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { removeDir, tempDir } from './helpers/server.js';

const BIN = join(new URL('../../', import.meta.url).pathname, 'dist/cli/main.js');
let taken: Server;
let dir: string;

before(async () => {
  dir = tempDir('logwharf-listen-');
  taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
});
after(() => {
  taken.close();
  removeDir(dir);
});

test('server on a taken address exits 1 saying the address is in use and naming --listen', async () => {
  const listen = `127.0.0.1:${(taken.address() as AddressInfo).port}`;
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, 'server', '--listen', listen, '--data', join(dir, 'data'), '--log-level', 'silent'], { timeout: 20_000 }, (e, _out, stderr) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, stderr }),
    );
  });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, `error: cannot listen on ${listen}: the address is already in use (another logwharf or Loki?); stop that process or choose another address with --listen HOST:PORT\n`);
});
