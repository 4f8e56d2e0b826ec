/**
 * Starting the real server for end-to-end tests: in-process on port 0 with a temporary data dir, or
 * as a child process (for signal and crash tests) through the real CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer, type ServerDeps, type ServerRole } from '../../../src/app/server.js';
import { serverConfigSchema, type ServerConfig } from '../../../src/config/server.js';

export interface RunningServer {
  url: string;
  dir: string;
  role: ServerRole;
  close(): Promise<void>;
}

export function tempDir(prefix = 'logwharf-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts the server in this process. `overrides` are config keys as in the YAML file. */
export async function startServer(overrides: Record<string, unknown> = {}, deps: ServerDeps = {}): Promise<RunningServer> {
  const dir = (overrides.data as string | undefined) ?? tempDir();
  const config: ServerConfig = serverConfigSchema.parse({ listen: '127.0.0.1:0', data: dir, log_level: 'silent', ...overrides });
  const role = createServer(config, deps);
  const { url } = await role.start();
  return {
    url,
    dir,
    role,
    async close() {
      await role.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const REPO = new URL('../../../', import.meta.url).pathname;

export interface ChildServer {
  url: string;
  proc: ChildProcess;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stderr: () => string;
}

/** Starts `logwharf server` from dist/ (built by `npm test`) as a child process; resolves when it logs ready. */
export async function startChildServer(dataDir: string, extraArgs: string[] = []): Promise<ChildServer> {
  const child = await startCli(['server', '--listen', '127.0.0.1:0', '--data', dataDir, ...extraArgs], 'logwharf server ready');
  return { url: child.ready.address as string, proc: child.proc, exited: child.exited, stderr: child.stderr };
}

export interface ChildProc {
  proc: ChildProcess;
  exited: Promise<number | string>;
  stderr: () => string;
  /** Every line the child wrote to stdout so far (its JSON logs). */
  stdoutLines: () => string[];
}

/** Starts `logwharf <args>` (dist/ or bin/) and resolves once it logs `readyMsg`, with the ready line's fields. */
export async function startCli(args: string[], readyMsg: string, opts: { viaBin?: boolean } = {}): Promise<ChildProc & { ready: Record<string, unknown> }> {
  // viaBin: through bin/logwharf, the command users run (it sets the agent's heap flags).
  const proc = opts.viaBin
    ? spawn(join(REPO, 'bin/logwharf'), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
    : spawn(process.execPath, [join(REPO, 'dist/cli/main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const lines: string[] = [];
  proc.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    // Reads stdout to its end (the child never blocks on a full pipe), keeping every line.
    const rl = createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not become ready in 20s; stderr: ${err}`)), 20_000);
    rl.on('line', (line) => {
      lines.push(line);
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.msg === readyMsg) {
          clearTimeout(timer);
          resolve(j);
        }
      } catch {
        // not JSON
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited (${code}) before ready; stderr: ${err}`));
    });
  });
  return { proc, exited, stderr: () => err, stdoutLines: () => lines, ready };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client command of the built binary (dist/) to its end, with `stdin` as its input and `env` on top of this process's; fails after `timeoutMs`. */
export function runCli(args: string[], stdin = '', timeoutMs = 30_000, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(REPO, 'dist/cli/main.js'), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (c) => (stdout += c));
    p.stderr!.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`logwharf ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    p.stdin!.end(stdin);
  });
}
