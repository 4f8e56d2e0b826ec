/**
 * Runs a real peer (Alertmanager, Prometheus) as a child process for a test: a free port picked at
 * run time (neither accepts 127.0.0.1:0, so a node server binds port 0, closes, and the peer gets
 * that port; if another process took it meanwhile the start is retried on a new one), readiness
 * awaited on its `/-/ready`, and its output kept so a failure can show it.
 *
 * A missing binary skips the test outside CI, saying what to install, and fails it in CI
 * (test-environment.md: nothing is skipped there for lack of a component).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { waitFor } from './wait-for.js';

/** A port that was free a moment ago (the caller must still cope with losing it: see startPeer). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Whether `bin` exists; when not, skips the test outside CI (with the package to install) and
 * throws in CI.
 */
export function requireBinary(t: TestContext, bin: string, debianPackage: string): boolean {
  if (existsSync(bin)) return true;
  const why = `${bin} is missing: apt-get install ${debianPackage} (.ci/run installs it)`;
  if (process.env.CI) throw new Error(`required in CI: ${why}`);
  t.skip(why);
  return false;
}

export interface PeerProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Everything the process wrote to stdout and stderr (all of its runs), for failure messages. */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s); resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it is ready. */
  restart(): Promise<void>;
}

export interface PeerSpec {
  /** For messages: "Alertmanager". */
  name: string;
  bin: string;
  /** The command line for a given port. */
  args(port: number): string[];
  /** Longest wait for /-/ready. */
  readyTimeoutMs?: number;
  /** Where ports come from (freePort; a test of the retry hands out a taken one first). */
  pickPort?: () => Promise<number>;
}

const ADDRESS_IN_USE = /address already in use/i;

/** Starts the peer on a free port and waits for its /-/ready; retries on a port lost to another process. */
export async function startPeer(spec: PeerSpec): Promise<PeerProcess> {
  let out = '';
  let proc: ChildProcess | undefined;
  let port = 0;

  const launch = async (): Promise<'ready' | 'port-taken'> => {
    const p = spawn(spec.bin, spec.args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    p.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    let exited = false;
    // A process that exits (or cannot be spawned) ends the wait at once instead of at the timeout.
    const gone = new Promise<never>((_, reject) => {
      p.once('exit', (code, signal) => {
        exited = true;
        reject(new Error(`it exited (${signal ?? `code ${code}`})`));
      });
      p.once('error', (e) => {
        out += `\n[spawn error: ${e.message}]\n`;
        exited = true;
        reject(e);
      });
    });
    gone.catch(() => {});
    try {
      await Promise.race([
        gone,
        waitFor(
          `${spec.name} on port ${port} to answer /-/ready`,
          async () => {
            if (exited) return true; // `gone` has already settled the race
            // Bounded: whatever else holds the port may accept and never answer.
            const res = await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
            return res?.ok === true;
          },
          { timeoutMs: spec.readyTimeoutMs ?? 30_000, intervalMs: 50 },
        ),
      ]);
      return 'ready';
    } catch (e) {
      if (exited && ADDRESS_IN_USE.test(out)) return 'port-taken';
      await stopProc();
      throw new Error(`${spec.name} did not become ready (${(e as Error).message}); its output:\n${out.slice(-4000)}`);
    }
  };

  const stopProc = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => p.kill('SIGKILL'), 5_000);
      p.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      p.kill('SIGTERM');
    });
  };

  for (let attempt = 0; ; attempt++) {
    port = await (spec.pickPort ?? freePort)();
    if ((await launch()) === 'ready') break;
    if (attempt >= 4) throw new Error(`${spec.name}: every free port picked was taken before it could bind; its output:\n${out.slice(-4000)}`);
    out += `\n[port ${port} was taken; retrying on another]\n`;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => out,
    stop: stopProc,
    async restart() {
      await stopProc();
      out += `\n[restarted]\n`;
      if ((await launch()) !== 'ready') throw new Error(`${spec.name}: port ${port} was taken while it was stopped; its output:\n${out.slice(-4000)}`);
    },
  };
}
