/**
 * A real Docker engine for tests (../shared/design/test-environment.md): use the daemon on
 * /var/run/docker.sock, or start dockerd when the binary exists; make sure the tiny image
 * local/busybox:1 exists (imported from the static busybox binary), and, for tests that run Node
 * services in containers, local/node:20 (`ensureNodeImage`, imported from this host's node). Safe
 * for several test files at once: starting the daemon and importing images happen under a lock
 * directory.
 *
 * Without Docker, tests skip saying why — except under CI, where a missing component is a failure.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, symlinkSync, copyFileSync, closeSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const BUSYBOX_IMAGE = 'local/busybox:1';
const BUSYBOX_COMMANDS = ['sh', 'echo', 'sleep', 'seq', 'cat', 'date', 'printf', 'yes', 'head'];
const LOCK_DIR = join(tmpdir(), 'logwharf-docker-test.lock');
const DOCKERD_LOG = join(tmpdir(), 'logwharf-dockerd.log');
/** Every container a test runs carries this label, so leftovers can be found. */
export const TEST_LABEL = 'logwharf.test=1';

export interface DockerEnv {
  socket: string;
  image: string;
  /** True when this process started dockerd. */
  startedDaemon: boolean;
  /** Stops the daemon if this process started it; a daemon that was already running is left alone. */
  stop(): Promise<void>;
}

let cached: Promise<DockerEnv | undefined> | undefined;
let reason = '';
let daemon: ReturnType<typeof spawn> | undefined;

/** Runs the docker CLI; resolves with its trimmed stdout, rejects with its stderr. */
export function docker(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args.join(' ')} failed: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout).trim());
    });
  });
}

/** `docker run -d` with no network (there is none here) and the test label; resolves with the full id. */
export async function runContainer(args: string[]): Promise<string> {
  const net = args.some((a) => a === '--network' || a.startsWith('--network=')) ? [] : ['--network', 'none'];
  return docker('run', '-d', ...net, '--label', TEST_LABEL, ...args);
}

/** Removes a container and its logs, ignoring one that is already gone. */
export async function removeContainer(id: string): Promise<void> {
  await docker('rm', '-f', '-v', id).catch(() => {});
}

/** Why the last ensureDocker() found no Docker. */
export function dockerUnavailableReason(): string {
  return reason;
}

/**
 * The Docker environment, started and prepared once per process. Resolves undefined (see
 * dockerUnavailableReason) when Docker cannot be had; throws instead when process.env.CI is set.
 */
export function ensureDocker(): Promise<DockerEnv | undefined> {
  cached ??= prepare().then(
    (env) => env,
    (e: unknown) => {
      reason = (e as Error).message;
      if (process.env.CI) throw new Error(`Docker is required in CI but is not usable: ${reason}`);
      return undefined;
    },
  );
  return cached;
}

/** ensureDocker() for a test: skips it (outside CI) with the reason when Docker is missing. */
export async function dockerOrSkip(t: TestContext): Promise<DockerEnv | undefined> {
  const env = await ensureDocker();
  if (!env) t.skip(`no Docker engine: ${reason}`);
  return env;
}

async function answers(): Promise<boolean> {
  return docker('version', '--format', '{{.Server.APIVersion}}').then(
    () => true,
    () => false,
  );
}

async function prepare(): Promise<DockerEnv> {
  if (!(await commandExists('docker'))) throw new Error('the docker CLI is not installed (apt-get install docker.io)');
  let startedDaemon = false;
  if (!(await answers())) {
    await withLock(async () => {
      if (await answers()) return;
      if (!(await commandExists('dockerd'))) throw new Error(`no Docker daemon answers on ${DOCKER_SOCKET} and dockerd is not installed`);
      const log = openSync(DOCKERD_LOG, 'a');
      daemon = spawn('dockerd', ['--storage-driver=vfs', '--iptables=false', '--ip6tables=false', '--bridge=none'], {
        detached: true,
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      daemon.unref();
      startedDaemon = true;
      const deadline = Date.now() + 60_000;
      while (!(await answers())) {
        if (daemon.exitCode !== null) throw new Error(`dockerd exited with code ${daemon.exitCode}; see ${DOCKERD_LOG}`);
        if (Date.now() > deadline) throw new Error(`dockerd did not answer within 60 s; see ${DOCKERD_LOG}`);
        await sleep(250);
      }
    });
  }
  await ensureImage();
  return {
    socket: DOCKER_SOCKET,
    image: BUSYBOX_IMAGE,
    startedDaemon,
    async stop() {
      if (!daemon || daemon.exitCode !== null) return;
      const d = daemon;
      await new Promise<void>((resolve) => {
        d.once('exit', () => resolve());
        d.kill('SIGTERM');
      });
    },
  };
}

/** Makes sure a busybox image exists under `tag`, importing it from the static busybox binary if not. */
export async function ensureImage(tag = BUSYBOX_IMAGE): Promise<void> {
  const has = () =>
    docker('image', 'inspect', '--format', '{{.Id}}', tag).then(
      () => true,
      () => false,
    );
  if (await has()) return;
  await withLock(async () => {
    if (await has()) return; // another test file imported it while we waited
    const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
    if (!busybox) throw new Error(`image ${tag} is missing and there is no static busybox to build it from (apt-get install busybox-static)`);
    const dir = mkdtempSync(join(tmpdir(), 'lh-busybox-'));
    try {
      const bin = join(dir, 'rootfs', 'bin');
      mkdirSync(bin, { recursive: true });
      copyFileSync(busybox, join(bin, 'busybox'));
      for (const c of BUSYBOX_COMMANDS) symlinkSync('busybox', join(bin, c));
      const tar = join(dir, 'rootfs.tar');
      await run('tar', ['-C', join(dir, 'rootfs'), '-cf', tar, '.']);
      await docker('import', tar, tag);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

export const NODE_IMAGE = 'local/node:20';
/** The image records which node it was built from, so a host whose node changed rebuilds it. */
const NODE_VERSION_LABEL = 'logwharf.node_version';

/**
 * Makes sure `local/node:20` exists: this host's own node binary (process.execPath, stripped of its
 * debug symbols when `strip` is there), the shared libraries `ldd` lists for it and the dynamic
 * loader — nothing else (no shell, no npm), because with the vfs storage driver every container
 * copies its whole image. Node is /usr/local/bin/node, on PATH; /tmp exists. Code and packages are
 * mounted into the container by the test, read-only. Prints how long the import took.
 */
export async function ensureNodeImage(tag = NODE_IMAGE): Promise<void> {
  const has = () =>
    docker('image', 'inspect', '--format', `{{index .Config.Labels "${NODE_VERSION_LABEL}"}}`, tag).then(
      (v) => v === process.version,
      () => false,
    );
  if (await has()) return;
  await withLock(async () => {
    if (await has()) return; // another test file built it while we waited
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'lh-node-image-'));
    try {
      const rootfs = join(dir, 'rootfs');
      const node = join(rootfs, 'usr/local/bin/node');
      mkdirSync(dirname(node), { recursive: true });
      await run('strip', ['--strip-unneeded', '-o', node, process.execPath]).catch(() => copyFileSync(process.execPath, node));
      for (const lib of await sharedLibraries(process.execPath)) {
        const to = join(rootfs, lib);
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(lib, to); // follows the host's symlinks: the image holds the files under the names ldd gave
      }
      mkdirSync(join(rootfs, 'tmp'));
      chmodSync(join(rootfs, 'tmp'), 0o1777);
      const bytes = await pipeRootfsToImport(rootfs, tag, [
        `LABEL ${NODE_VERSION_LABEL}=${process.version}`,
        'ENV PATH=/usr/local/bin',
        'WORKDIR /tmp',
      ]);
      process.stderr.write(`# built ${tag} (node ${process.version}, ${(bytes / 1e6).toFixed(1)} MB rootfs) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** The absolute paths of the shared libraries and the loader `ldd` lists for `binary` (the vdso has no file). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile('ldd', [binary], (err, stdout, stderr) => (err ? reject(new Error(`ldd ${binary} failed: ${String(stderr).trim() || err.message}`)) : resolve(String(stdout)))),
  );
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m) libs.add(m[1]!);
    else if (/not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`);
  }
  if (libs.size === 0) throw new Error(`ldd ${binary} listed no libraries: ${out.trim()}`);
  return [...libs];
}

/** `tar -c rootfs | docker import --change … - tag`; resolves with the tarball's size in bytes. */
export function pipeRootfsToImport(rootfs: string, tag: string, changes: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const imp = spawn('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag], { stdio: ['pipe', 'ignore', 'pipe'] });
    let bytes = 0;
    let errors = '';
    tar.stdout.on('data', (c: Buffer) => (bytes += c.length));
    tar.stdout.pipe(imp.stdin);
    tar.stderr.on('data', (c) => (errors += c));
    imp.stderr.on('data', (c) => (errors += c));
    imp.stdin.on('error', () => {}); // docker import failing early: reported by its exit code below
    const exit = (p: ReturnType<typeof spawn>) => new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    void Promise.all([exit(tar), exit(imp)]).then(([tarCode, impCode]) => {
      if (tarCode === 0 && impCode === 0) resolve(bytes);
      else reject(new Error(`building ${tag} failed (tar ${tarCode}, docker import ${impCode}): ${errors.trim()}`));
    });
  });
}

/** A lock between processes: mkdir is atomic. A lock older than two minutes is from a dead process. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK_DIR).mtimeMs > 120_000) rmSync(LOCK_DIR, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${LOCK_DIR}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function commandExists(cmd: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} failed: ${String(stderr).trim() || err.message}`)) : resolve()));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A unix-socket proxy to the Docker socket that can be cut (connections dropped, new ones refused): a daemon restart, as the agent sees it. */
export class CuttableProxy {
  private server: NetServer | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly path: string) {}
  async open(): Promise<void> {
    this.server = createNetServer((client) => {
      const upstream = connect(DOCKER_SOCKET);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.path, resolve));
  }
  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
    for (const sock of this.sockets) sock.destroy();
    await closed;
  }
}
