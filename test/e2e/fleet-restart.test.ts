/**
 * A rollout survives the server's SIGKILL (issue #13): the real server runs in a child process
 * (test/e2e/helpers/fleet-child.ts) and is killed after the canary applied, inside the health
 * window; restarted on the same data directory, it resumes the rollout from fleet.db — the window
 * counted from its recorded start — and finishes it. Agents are simulated and reach the child's
 * FleetController over its stdin (the OpAMP transport has its own tests); the operator uses
 * `logwharf fleet` over HTTP.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AgentReport, ControllerAnswer, FleetController } from '../../src/fleet/model.js';
import type { WireRollout } from '../../src/api/fleet.js';
import { removeDir, runCli, tempDir } from './helpers/server.js';
import { SimAgent } from '../helpers/fleet-agents.js';
import { seededRandom } from '../helpers/random.js';
import { configHash } from '../../src/fleet/remote-config.js';
import { waitFor } from '../helpers/wait-for.js';

const CHILD = fileURLToPath(new URL('./helpers/fleet-child.ts', import.meta.url));
const FLEET = { stale_after: '30s', default_window: '8s', apply_timeout: '30s' };

interface Child {
  url: string;
  proc: ChildProcess;
  exited: Promise<number | string>;
  controller: FleetController;
}

async function startChild(dir: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, JSON.stringify(FLEET)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const waiting = new Map<number, (a: ControllerAnswer) => void>();
  const failing = new Map<number, (e: Error) => void>();
  // A report in flight when the child dies never gets its answer: it fails, as a connection would.
  void exited.then(() => {
    for (const reject of failing.values()) reject(new Error('the server is gone'));
    waiting.clear();
    failing.clear();
  });
  let n = 0;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the fleet child did not start in 30s')), 30_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; url?: string; n?: number; answer?: ControllerAnswer & { remoteConfig?: { hash: string; files: Record<string, { body: string; contentType: string }> } } };
      if (msg.ready) {
        clearTimeout(timer);
        return resolve(msg.url!);
      }
      const a = msg.answer!;
      const rc = a.remoteConfig && { hash: a.remoteConfig.hash, files: Object.fromEntries(Object.entries(a.remoteConfig.files).map(([k, v]) => [k, { body: Buffer.from(v.body), contentType: v.contentType }])) };
      waiting.get(msg.n!)?.({ ...a, remoteConfig: rc });
      waiting.delete(msg.n!);
      failing.delete(msg.n!);
    });
    void exited.then((c) => reject(new Error(`the fleet child exited (${c}) before ready`)));
  });
  const controller: FleetController = {
    report(r: AgentReport) {
      const id = ++n;
      const effective = r.effectiveConfig && Object.fromEntries(Object.entries(r.effectiveConfig).map(([k, v]) => [k, { body: v.body.toString('utf8'), contentType: v.contentType }]));
      return new Promise((resolve, reject) => {
        waiting.set(id, resolve);
        failing.set(id, reject);
        proc.stdin!.write(JSON.stringify({ n: id, report: { ...r, effectiveConfig: effective } }) + '\n', (e) => e && reject(e));
      });
    },
  };
  return { url, proc, exited, controller };
}

async function rollout(url: string, id: number): Promise<WireRollout> {
  return ((await (await fetch(`${url}/api/v1/fleet/rollouts/${id}`)).json()) as { data: WireRollout }).data;
}

test('a server killed with SIGKILL inside the health window finishes the rollout after restart', { timeout: 120_000 }, async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  let child = await startChild(dir);
  t.after(() => child.proc.kill('SIGKILL'));
  // The agents outlive the server: they talk to whichever child runs now.
  const via: FleetController = { report: (r) => child.controller.report(r) };
  const agents = ['node-a', 'node-b', 'node-c'].map((host) => new SimAgent(via, { host }));
  for (const a of agents) await a.hello();
  const file = join(dir, 'base.yaml');
  writeFileSync(file, 'pipeline:\n  drop_healthchecks: true\n');
  const applied = await runCli(['fleet', 'apply', file, '--addr', child.url, '--canary', '1']);
  assert.equal(applied.code, 0, applied.stderr);
  const id = Number(applied.stdout.trim());
  const inWindow = await waitFor('the canary applied: the health window runs', async () => {
    for (const a of agents) await a.heartbeat();
    const r = await rollout(child.url, id);
    return r.phase === 'window' && r;
  });
  child.proc.kill('SIGKILL');
  assert.equal(await child.exited, 'SIGKILL');

  child = await startChild(dir);
  const resumed = await rollout(child.url, id);
  if (resumed.phase === 'window') {
    assert.equal(resumed.phase_since, inWindow.phase_since, 'the window keeps its recorded start');
    assert.deepEqual(resumed.steps, inWindow.steps);
  } else {
    // A slow restart (a loaded machine) outlasted the window: the start's first pass moved on, at once.
    assert.equal(resumed.phase, 'rest', JSON.stringify(resumed));
    assert.deepEqual(resumed.steps!.slice(0, 1), inWindow.steps);
  }
  const done = await waitFor('the rollout finished after the restart', async () => {
    for (const a of agents) await a.heartbeat();
    const r = await rollout(child.url, id);
    return r.state !== 'running' && r;
  }, { timeoutMs: 30_000, intervalMs: 200 });
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  assert.deepEqual(done.steps!.map((s) => [s.wave, s.state]), [['canary', 'applied'], ['rest', 'applied'], ['rest', 'applied']]);
  assert.ok(Date.parse(done.steps![1]!.offered_at) >= Date.parse(inWindow.phase_since) + 8000, 'the rest waited out the whole window');
  for (const a of agents) assert.equal(a.body, 'pipeline:\n  drop_healthchecks: true\n', a.attrs.host);
  // The canary was offered the version once: the restart did not repeat the canary step.
  const canary = agents.find((a) => a.uid === done.steps![0]!.agent)!;
  assert.equal(canary.offered.length, 1);
});

test('killed with SIGKILL at random moments of a rollout, the server finishes it with one offer per agent', { timeout: 180_000 }, async (t) => {
  const random = seededRandom(t);
  const dir = tempDir();
  t.after(() => removeDir(dir));
  let child = await startChild(dir);
  t.after(() => child.proc.kill('SIGKILL'));
  const via: FleetController = { report: (r) => child.controller.report(r) };
  const agents = ['node-a', 'node-b', 'node-c', 'node-d'].map((host) => new SimAgent(via, { host }));
  for (const a of agents) await a.hello();
  const body = 'pipeline:\n  detect_level: false\n';
  const file = join(dir, 'base.yaml');
  writeFileSync(file, body);
  const applied = await runCli(['fleet', 'apply', file, '--addr', child.url, '--canary', '2', '--window', '6s']);
  assert.equal(applied.code, 0, applied.stderr);
  const id = Number(applied.stdout.trim());
  // Agents heartbeat every 50 ms (their interval, not a wait for anything); reports to a dead server fail.
  const beatWhile = async (alive: () => boolean) => {
    while (alive()) {
      for (const a of agents) await a.heartbeat().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const phases: string[] = [];
  for (let kill = 0; kill < 3; kill++) {
    let dead = false;
    const delay = random.int(1500);
    const killer = setTimeout(() => ((dead = true), child.proc.kill('SIGKILL')), delay);
    await beatWhile(() => !dead);
    clearTimeout(killer);
    await child.exited;
    child = await startChild(dir);
    const r = await rollout(child.url, id);
    phases.push(`${delay}ms:${r.phase}`);
  }
  t.diagnostic(`killed at ${phases.join(', ')}`);
  const done = await waitFor('the rollout ended', async () => {
    for (const a of agents) await a.heartbeat();
    const r = await rollout(child.url, id);
    return r.state !== 'running' && r;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  assert.equal(done.state, 'succeeded', JSON.stringify(done));
  assert.equal(done.steps!.filter((s) => s.wave === 'canary').length, 2, 'the canary was chosen once');
  assert.equal(done.steps!.length, 4);
  for (const a of agents) {
    assert.equal(a.body, body, a.attrs.host);
    assert.deepEqual(a.offered, [configHash(body)], `${a.attrs.host} was offered the version once`);
  }
});
