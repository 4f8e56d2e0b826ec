/**
 * `npm start`, the README's way to run logwharf, stops on SIGTERM to npm's own PID (issue #8): npm
 * forwards the signal to its script's process, which must be node itself (the script execs it), not
 * a `sh` that dies and leaves node running, orphaned and holding the data directory's lock. And it
 * runs the server through the launcher (bin/logwharf), with the memory settings that keep it within
 * its budget (docs/deploy.md, "Server memory"), as the image does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startChildServer, tempDir, removeDir } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

const REPO = new URL('../../', import.meta.url).pathname;

test('kill -TERM <pid of npm start> stops the server and frees its data directory', { timeout: 60_000 }, async () => {
  const data = tempDir();
  // Later flags win: a free port and a temporary data directory instead of 3100 and ./data.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.MALLOC_ARENA_MAX; // the launcher's own value is checked below
  const npm = spawn('npm', ['start', '--', '--listen', '127.0.0.1:0', '--data', data, '--log-level', 'warn'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env });
  let err = '';
  npm.stderr!.on('data', (c) => (err += c));
  let descendants: number[] = [];
  const npmExited = new Promise<number | string>((resolve) => npm.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  try {
    const address = await new Promise<string>((resolve, reject) => {
      createInterface({ input: npm.stdout! }).on('line', (line) => {
        if (!line.startsWith('{')) return; // npm's own "> logwharf@… start" banner
        const j = JSON.parse(line) as { msg?: string; address?: string };
        if (j.msg === 'logwharf server ready') resolve(j.address!);
      });
      void npmExited.then((code) => reject(new Error(`npm start exited (${code}) before ready: ${err}`)));
    });
    assert.equal((await fetch(`${address}/ready`)).status, 200);
    descendants = descendantsOf(npm.pid!);
    const server = descendants.map((pid) => ({ pid, argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') })).find((p) => p.argv.some((a) => a.endsWith('dist/cli/main.js')));
    assert.ok(server, `a node process running dist/cli/main.js under npm; descendants: ${descendants.join(', ')}`);
    assert.ok(server.argv.includes('--max-semi-space-size=2') && server.argv.includes('--heap-growing-percent=200'), `the launcher's V8 flags: ${server.argv.join(' ')}`);
    assert.equal(/^MALLOC_ARENA_MAX=(.*)$/m.exec(readFileSync(`/proc/${server.pid}/environ`, 'utf8').replaceAll('\0', '\n'))?.[1], '2', "the launcher's malloc settings");
    npm.kill('SIGTERM');
    await npmExited;
    // The server itself must be gone: its port refuses connections and its lock is released.
    await waitFor('the server to stop after npm was sent SIGTERM', async () => {
      try {
        await fetch(`${address}/ready`, { signal: AbortSignal.timeout(1000) });
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs: 15_000 });
    const again = await startChildServer(data, ['--log-level', 'warn']);
    again.proc.kill('SIGTERM');
    assert.equal(await again.exited, 0, `the data directory was free again; stderr: ${again.stderr()}`);
  } finally {
    if (npm.exitCode === null) npm.kill('SIGKILL');
    // Without the fix node outlives npm: do not leave it running after a failure.
    for (const pid of descendants) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeDir(data);
  }
});

/** The processes below `pid` (Linux /proc), to clean up what a failed run orphans. */
function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number): void => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c);
        visit(c);
      }
    }
  };
  visit(pid);
  return out;
}
