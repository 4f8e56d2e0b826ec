/**
 * The runtime proof of the image layout (issue #14). No base image can be pulled here, so the
 * Dockerfile's build stage cannot run; instead this assembles what its runtime stage holds from
 * this machine's Node and the built package (`npm run build` first), imports it with the
 * Dockerfile's own runtime settings (WORKDIR, ENV, USER, ENTRYPOINT, CMD), runs it the way
 * deploy/compose/docker-compose.yml runs the `logwharf` service (its command, user, read-only root,
 * tmpfs, the Docker socket and log directory read-only, data on a volume, deploy/compose's
 * logwharf.yaml) with a real Docker engine, passes the Dockerfile's HEALTHCHECK command, and sees
 * another container's lines arrive. The one difference: `--network none`, because this machine has
 * no bridge network, so the published port is not tried; queries run inside the container.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { docker, dockerOrSkip, ensureImage, BUSYBOX_IMAGE, pipeRootfsToImport, removeContainer, runContainer, sharedLibraries } from '../helpers/docker.js';
import { waitFor } from '../helpers/wait-for.js';

const REPO = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

/** The runtime stage's instructions `docker import --change` accepts, from the Dockerfile itself. */
function runtimeChanges(): { changes: string[]; healthcheck: string[] } {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages = text.split(/^FROM /m);
  const runtime = stages.at(-1)!.split('\n');
  const changes = runtime.filter((l) => /^(WORKDIR|ENV|USER|EXPOSE|ENTRYPOINT|CMD|VOLUME) /.test(l));
  const hc = /CMD (\[.*\])\s*$/.exec(runtime.find((l) => l.startsWith('HEALTHCHECK'))!)![1]!;
  // The slim base image's PATH, which an imported image does not inherit.
  return { changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin', ...changes], healthcheck: JSON.parse(hc) as string[] };
}

async function assembleRootfs(rootfs: string): Promise<void> {
  const node = join(rootfs, 'usr/local/bin/node');
  mkdirSync(dirname(node), { recursive: true });
  await run('strip', ['--strip-unneeded', '-o', node, process.execPath]).catch(() => copyFileSync(process.execPath, node));
  // The launcher bin/logwharf is a POSIX sh script using readlink and dirname: busybox gives them.
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  assert.ok(busybox, 'busybox-static is needed for /bin/sh in the image');
  mkdirSync(join(rootfs, 'bin'));
  copyFileSync(busybox, join(rootfs, 'bin/busybox'));
  for (const c of ['sh', 'readlink', 'dirname']) symlinkSync('busybox', join(rootfs, 'bin', c));
  const app = join(rootfs, 'app');
  mkdirSync(app);
  for (const f of ['package.json', 'README.md']) copyFileSync(join(REPO, f), join(app, f));
  for (const d of ['bin', 'dist']) cpSync(join(REPO, d), join(app, d), { recursive: true });
  // Production modules only, as `npm prune --omit=dev` leaves them.
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  const natives: string[] = [];
  for (const dir of stdout.split('\n').slice(1).filter(Boolean)) {
    cpSync(dir, join(app, relative(REPO, dir)), { recursive: true, filter: (src) => !src.slice(dir.length).includes('/node_modules/') });
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile() && e.name.endsWith('.node')) natives.push(join(e.parentPath, e.name));
  }
  for (const binary of [process.execPath, ...natives]) {
    // A statically linked module (better-sqlite3's test extension) needs no library.
    const libs = await sharedLibraries(binary).catch((e: Error) => (/statically linked/.test(e.message) ? [] : Promise.reject(e)));
    for (const lib of libs) {
      const to = join(rootfs, lib);
      if (existsSync(to)) continue;
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(lib, to);
    }
  }
  for (const d of ['tmp', 'var/lib/logwharf', 'etc/logwharf']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  // The slim base's root and the user the Dockerfile adds (useradd --uid 10001).
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nlogwharf:x:10001:10001::/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nlogwharf:x:10001:\n');
}

test('the image layout runs `up` as the Compose service does and collects another container\'s lines', { timeout: 600_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  assert.ok(existsSync(join(REPO, 'dist/cli/main.js')), 'run `npm run build` first');
  await ensureImage();
  const tag = `local/logwharf-runtime:test-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'lw-image-'));
  const containers: string[] = [];
  t.after(async () => {
    for (const id of containers) await removeContainer(id);
    await docker('rmi', '-f', tag).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  const { changes, healthcheck } = runtimeChanges();
  const started = Date.now();
  await assembleRootfs(join(dir, 'rootfs'));
  const bytes = await pipeRootfsToImport(join(dir, 'rootfs'), tag, changes);
  t.diagnostic(`assembled and imported ${tag} (${(bytes / 1e6).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  rmSync(join(dir, 'rootfs'), { recursive: true, force: true });

  // The Compose service, translated to `docker run`.
  const composeDir = join(REPO, 'deploy/compose');
  const svc = parse(readFileSync(join(composeDir, 'docker-compose.yml'), 'utf8')).services.logwharf;
  const data = join(dir, 'data');
  mkdirSync(data);
  const volumes = (svc.volumes as string[]).map((v) => (v.startsWith('data:') ? v.replace(/^data:/, `${data}:`) : v.startsWith('./') ? join(composeDir, v.slice(2)) : v));
  assert.ok(volumes.includes('/var/run/docker.sock:/var/run/docker.sock:ro'));
  const args = ['--user', svc.user, ...(svc.read_only ? ['--read-only'] : []), ...(svc.tmpfs as string[]).flatMap((p) => ['--tmpfs', p]), ...volumes.flatMap((v) => ['-v', v])];
  const lw = await runContainer([...args, '--entrypoint', svc.command[0], tag, ...svc.command.slice(1)]);
  containers.push(lw);
  const logs = () => docker('logs', lw).catch((e: Error) => e.message);

  // The Dockerfile's HEALTHCHECK command, run in the container: it fails until /ready answers 200.
  await waitFor('the HEALTHCHECK command to pass', async () => {
    const state = await docker('inspect', '--format', '{{.State.Status}}', lw);
    if (state !== 'running') throw new Error(`container ${state}: ${await logs()}`);
    return docker('exec', lw, ...healthcheck).then(() => true, () => false);
  }, { timeoutMs: 60_000, intervalMs: 200 });
  assert.match(await docker('exec', lw, 'node', '-e', 'process.stdout.write(String(process.getuid()))'), /^0$/);

  const marker = `deploy-image-${randomUUID()}`;
  const name = `lw-deploy-emitter-${process.pid}`;
  const emitter = await runContainer(['--name', name, BUSYBOX_IMAGE, 'sh', '-c', `i=0; while true; do echo ${marker} $i; i=$((i+1)); sleep 0.2; done`]);
  containers.push(emitter);
  const lines = await waitFor('the other container\'s lines in the containerised server', async () => {
    const out = await docker('exec', lw, '/app/bin/logwharf', 'query', '--addr', 'http://127.0.0.1:3100', `{container="${name}"} |= "${marker}"`, '--since', '10m', '--output', 'raw');
    const got = out.split('\n').filter((l) => l.startsWith(marker));
    return got.length >= 3 ? got : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 }).catch(async (e: Error) => {
    throw new Error(`${e.message}\nlogwharf container log:\n${(await logs()).slice(-3000)}`);
  });
  assert.match(lines[0]!, new RegExp(`^${marker} \\d+$`));
  // The data went to the mounted volume, not the read-only root.
  assert.ok(readdirSync(data).length > 0, 'nothing written to the data volume');
});
