/**
 * Docker discovery against the real engine (issue #4 §1): labels and log paths of running containers,
 * containers started later collected from their first line, exits finished, reconnect + re-list after
 * the event stream breaks, and clear errors from sockets that are missing or not Docker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/util/logger.js';
import { createDockerDiscovery, sanitizeLabelName, toTarget, type DockerDiscoveryConfig } from '../../../src/agent/discovery/docker.js';
import { chooseApiVersion, type ContainerInspect } from '../../../src/agent/discovery/docker-api.js';
import type { DiscoverySink, Target } from '../../../src/agent/model.js';
import { dockerOrSkip, docker, removeContainer, runContainer, CuttableProxy, DOCKER_SOCKET, BUSYBOX_IMAGE } from '../../helpers/docker.js';
import { waitFor } from '../../helpers/wait-for.js';

const log = createLogger({ level: 'silent' });

class Recorder implements DiscoverySink {
  upserts: Target[] = [];
  finishedIds: string[] = [];
  errors: Error[] = [];
  upsert(t: Target) {
    this.upserts.push(t);
  }
  finished(id: string) {
    this.finishedIds.push(id);
  }
  error(_source: string, err: Error) {
    this.errors.push(err);
  }
  target(id: string): Target | undefined {
    return this.upserts.findLast((t) => t.id === `docker:${id}`);
  }
}

function cfg(over: Partial<DockerDiscoveryConfig> = {}): DockerDiscoveryConfig {
  return { enabled: 'true', socket: DOCKER_SOCKET, container_labels: [], host: 'test-host', ...over };
}

function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

test('a running container is discovered with its labels, compose labels, a selected custom label and its json-file path', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const name = uniqueName('lh-disc');
  const id = await runContainer([
    '--name', name,
    '--label', 'com.docker.compose.project=shop',
    '--label', 'com.docker.compose.service=web',
    '--label', 'com.example.team=payments',
    '--label', 'other.label=x',
    BUSYBOX_IMAGE, 'sh', '-c', 'echo hello-discovery; sleep 60',
  ]);
  t.after(() => removeContainer(id));
  const sink = new Recorder();
  const d = createDockerDiscovery(cfg({ container_labels: ['com.example.team', 'not.present'] }), sink, { log });
  t.after(() => d.close());
  await d.start();
  // start() resolves after the first listing: the running container is already there.
  const target = sink.target(id);
  assert.ok(target, 'running container upserted by the first listing');
  assert.equal(target.kind, 'docker');
  assert.deepEqual(
    Object.fromEntries(Object.entries(target.labels).filter(([k]) => !k.startsWith('__'))),
    {
      container: name,
      container_id: id.slice(0, 12),
      image: BUSYBOX_IMAGE,
      host: 'test-host',
      compose_project: 'shop',
      compose_service: 'web',
      com_example_team: 'payments',
    },
  );
  assert.equal(target.labels.__meta_docker_container_label_other_label, 'x');
  assert.equal(target.labels.__meta_docker_container_label_com_docker_compose_project, 'shop');
  const logPath = await docker('inspect', '--format', '{{.LogPath}}', id);
  assert.deepEqual(target.reader, { type: 'file', path: logPath, format: 'docker-json' });
  // pid: the container's init process, where its resource figures are read (issue #16).
  const pid = Number(await docker('inspect', '-f', '{{.State.Pid}}', id));
  assert.ok(pid > 0);
  assert.deepEqual(target.info, { container: name, containerId: id, image: BUSYBOX_IMAGE, node: 'test-host', pid });
  // The path is the real json-file log holding the container's output.
  await waitFor('the first line in the json-file log', () => readFileSync(logPath, 'utf8').includes('hello-discovery'));
  assert.equal(sink.errors.length, 0, sink.errors.map((e) => e.message).join('; '));
});

test('a container started later is upserted within 2 s, a rename re-labels it, and its exit produces finished()', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const sink = new Recorder();
  const d = createDockerDiscovery(cfg(), sink, { log });
  t.after(() => d.close());
  await d.start();
  const began = Date.now();
  const id = await runContainer([BUSYBOX_IMAGE, 'sh', '-c', 'echo short-lived; sleep 2']);
  t.after(() => removeContainer(id));
  await waitFor('the upsert of the new container', () => sink.target(id), { timeoutMs: 2000 });
  assert.ok(Date.now() - began < 2000 + 1000, 'upserted within ~2 s of docker run returning');
  assert.ok(!sink.finishedIds.includes(`docker:${id}`));
  const renamed = uniqueName('lh-renamed');
  await docker('rename', id, renamed);
  await waitFor('an upsert with the new name', () => sink.target(id)?.labels.container === renamed, { timeoutMs: 2000 });
  await waitFor('finished() after the container exits', () => sink.finishedIds.includes(`docker:${id}`), { timeoutMs: 8000 });
  // Exactly once, though die and destroy may both arrive.
  await docker('rm', id);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sink.finishedIds.filter((x) => x === `docker:${id}`).length, 1);
});

test('containers with the local driver are read through the logs endpoint; the none driver is reported, not collected', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const local = await runContainer(['--log-driver', 'local', BUSYBOX_IMAGE, 'sh', '-c', 'sleep 60']);
  t.after(() => removeContainer(local));
  const none = await runContainer(['--log-driver', 'none', '--name', uniqueName('lh-none'), BUSYBOX_IMAGE, 'sh', '-c', 'sleep 60']);
  t.after(() => removeContainer(none));
  const sink = new Recorder();
  const d = createDockerDiscovery(cfg(), sink, { log });
  t.after(() => d.close());
  await d.start();
  assert.deepEqual(sink.target(local)?.reader, { type: 'docker-logs', containerId: local });
  assert.equal(sink.target(none), undefined);
  const err = sink.errors.find((e) => e.message.includes(none.slice(0, 12)));
  assert.ok(err, 'an error names the container with the none driver');
  assert.match(err.message, /"none" log driver/);
});

test('a container that stopped while the agent was down is collected to its end if the agent knew it; others are left alone', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const known = await runContainer([BUSYBOX_IMAGE, 'sh', '-c', 'echo last words']);
  t.after(() => removeContainer(known));
  const unknown = await runContainer([BUSYBOX_IMAGE, 'sh', '-c', 'echo old news']);
  t.after(() => removeContainer(unknown));
  await docker('wait', known);
  await docker('wait', unknown);
  // Outside the second of events replayed at the first subscription (which would collect both).
  await new Promise((r) => setTimeout(r, 1200));
  const sink = new Recorder();
  const d = createDockerDiscovery(cfg(), sink, { log, knownTargets: () => [`docker:${known}`, 'docker:' + 'e'.repeat(64)] });
  t.after(() => d.close());
  await d.start();
  assert.ok(sink.target(known), 'the known stopped container is upserted');
  assert.ok(sink.finishedIds.includes(`docker:${known}`), '…and finished at once, to be read to its end');
  assert.equal(sink.target(unknown), undefined);
  assert.ok(!sink.finishedIds.includes(`docker:${unknown}`));
});

test('after the event stream breaks: errors while cut, then reconnect, replay and re-list', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'lh-docker-proxy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const proxy = new CuttableProxy(join(dir, 'docker.sock'));
  await proxy.open();
  t.after(() => proxy.cut());

  const before = await runContainer([BUSYBOX_IMAGE, 'sh', '-c', 'sleep 60']);
  t.after(() => removeContainer(before));
  const sink = new Recorder();
  const d = createDockerDiscovery(cfg({ socket: proxy.path }), sink, { log, minBackoffMs: 100, maxBackoffMs: 400 });
  t.after(() => d.close());
  await d.start();
  assert.ok(sink.target(before));

  await proxy.cut();
  await waitFor('an error while disconnected', () => sink.errors.length > 0, { timeoutMs: 3000 });
  // While cut: one container starts and keeps running, one starts and exits, one we followed stops.
  const during = await runContainer([BUSYBOX_IMAGE, 'sh', '-c', 'sleep 60']);
  t.after(() => removeContainer(during));
  const quick = await runContainer([BUSYBOX_IMAGE, 'sh', '-c', 'echo quick']);
  t.after(() => removeContainer(quick));
  await docker('stop', '-t', '0', before);
  await docker('wait', quick);
  assert.equal(sink.target(during), undefined);
  assert.ok(sink.errors.some((e) => /does not exist|ECONNRESET|ended|closed|socket/i.test(e.message)), sink.errors.map((e) => e.message).join('; '));

  await proxy.open();
  await waitFor('the container started while cut to be upserted', () => sink.target(during), { timeoutMs: 5000 });
  await waitFor('the followed container that stopped while cut to be finished', () => sink.finishedIds.includes(`docker:${before}`), { timeoutMs: 5000 });
  // The engine replays the events we missed: the short-lived container is collected and finished too.
  await waitFor('the short-lived container to be upserted and finished', () => sink.target(quick) && sink.finishedIds.includes(`docker:${quick}`), { timeoutMs: 5000 });
  assert.ok(!sink.finishedIds.includes(`docker:${during}`));
});

test('a missing socket, a socket that answers garbage or non-JSON, and garbage events give clear errors, no crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lh-docker-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const missing = new Recorder();
  const d1 = createDockerDiscovery(cfg({ socket: join(dir, 'nope.sock') }), missing, { log, minBackoffMs: 50, maxBackoffMs: 100 });
  await d1.start();
  await d1.close();
  assert.ok(missing.errors.length > 0);
  assert.match(missing.errors[0]!.message, /nope\.sock does not exist: is the Docker daemon running/);

  const servers: Server[] = [];
  t.after(() => servers.forEach((s) => s.close()));
  async function serve(name: string, answer: string): Promise<string> {
    const path = join(dir, name);
    const s = createServer((c) => {
      c.on('error', () => {});
      c.once('data', () => c.end(answer));
    });
    servers.push(s);
    await new Promise<void>((resolve) => s.listen(path, resolve));
    return path;
  }

  const garbage = new Recorder();
  const d2 = createDockerDiscovery(cfg({ socket: await serve('garbage.sock', '\x00\x01 not http at all\r\n\r\n') }), garbage, { log, minBackoffMs: 50, maxBackoffMs: 100 });
  await d2.start();
  await d2.close();
  assert.ok(garbage.errors.length > 0);
  assert.match(garbage.errors[0]!.message, /garbage\.sock (did not answer in HTTP|sent a malformed HTTP answer)/);

  const notJson = new Recorder();
  const body = '<html>hello</html>';
  const d3 = createDockerDiscovery(
    cfg({ socket: await serve('html.sock', `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`) }),
    notJson,
    { log, minBackoffMs: 50, maxBackoffMs: 100 },
  );
  await d3.start();
  await d3.close();
  assert.ok(notJson.errors.length > 0);
  assert.match(notJson.errors[0]!.message, /html\.sock answered \/version with something that is not JSON: <html>/);
  for (const r of [missing, garbage, notJson]) assert.equal(r.upserts.length, 0);

  // An engine whose event stream turns to garbage: the error is reported, discovery reconnects and re-lists.
  let eventsServed = 0;
  const engine = createHttpServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/version') return res.end(JSON.stringify({ ApiVersion: '1.41', MinAPIVersion: '1.12' }));
    if (url.startsWith('/v1.41/events')) {
      eventsServed++;
      res.write(JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'abc' }, timeNano: 1.5 }) + '\n');
      return res.end('{"Type": garbage\n');
    }
    if (url.startsWith('/v1.41/containers/json')) return res.end(JSON.stringify([{ Id: 'abc', State: 'running' }]));
    if (url.startsWith('/v1.41/containers/abc/json')) {
      return res.end(JSON.stringify({ Id: 'abc', Name: '/abc', Image: 'sha256:1', LogPath: '', Config: { Image: 'img' }, State: { Running: true }, HostConfig: { LogConfig: { Type: 'local' } } }));
    }
    res.statusCode = 404;
    res.end('{"message":"not found"}');
  });
  const enginePath = join(dir, 'engine.sock');
  await new Promise<void>((resolve) => engine.listen(enginePath, resolve));
  servers.push(engine as unknown as Server);
  const hostile = new Recorder();
  const d4 = createDockerDiscovery(cfg({ socket: enginePath }), hostile, { log, minBackoffMs: 20, maxBackoffMs: 40 });
  await d4.start();
  await waitFor('a reconnect after the garbage event', () => eventsServed >= 2, { timeoutMs: 3000 });
  await d4.close();
  assert.ok(hostile.errors.some((e) => /sent an event that is not JSON: \{"Type": garbage/.test(e.message)), hostile.errors.map((e) => e.message).join('; '));
  assert.deepEqual(hostile.target('abc')?.reader, { type: 'docker-logs', containerId: 'abc' });
  assert.deepEqual(hostile.finishedIds, []);
});

test('API version: 1.41 where the engine speaks it, the engine\'s minimum where it no longer does, its maximum on an older one', () => {
  assert.equal(chooseApiVersion('1.41', '1.12'), '1.41');
  assert.equal(chooseApiVersion('1.47', '1.24'), '1.41');
  assert.equal(chooseApiVersion('1.52', '1.44'), '1.44'); // Docker 29 refuses anything older
  assert.equal(chooseApiVersion('1.40', '1.12'), '1.40');
  assert.equal(chooseApiVersion(undefined, undefined), '1.41');
  assert.equal(chooseApiVersion('garbage', '1.x'), '1.41');
});

test('targets: label names sanitised, json-file only when readable, other drivers through the logs endpoint', () => {
  const c: ContainerInspect = {
    Id: 'a'.repeat(64),
    Name: '/web-1',
    Image: 'sha256:abc',
    LogPath: '/var/lib/docker/containers/x/x-json.log',
    State: { Running: true },
    Config: { Image: 'nginx:1', Labels: { '9lives': 'cat', 'com.example/team-name': 'core' } },
    HostConfig: { LogConfig: { Type: 'json-file' } },
  };
  const config = cfg({ container_labels: ['com.example/team-name', '9lives'] });
  const t1 = toTarget(c, config);
  assert.equal(t1.labels.com_example_team_name, 'core');
  assert.equal(t1.labels._9lives, 'cat');
  assert.equal(t1.labels.__meta_docker_container_label_com_example_team_name, 'core');
  assert.equal(t1.labels.compose_project, undefined);
  assert.deepEqual(t1.reader, { type: 'file', path: c.LogPath, format: 'docker-json' });
  assert.deepEqual(toTarget(c, config, false).reader, { type: 'docker-logs', containerId: c.Id });
  assert.deepEqual(toTarget({ ...c, HostConfig: { LogConfig: { Type: 'journald' } } }, config).reader, { type: 'docker-logs', containerId: c.Id });
  assert.equal(sanitizeLabelName('a.b-c/d e'), 'a_b_c_d_e');
  for (const name of Object.keys(t1.labels)) assert.match(name, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
});
