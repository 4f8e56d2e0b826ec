/**
 * `logwharf up` (what `npm start` runs) on a Docker host, through the real CLI: a container that
 * was running before it started is searchable from its first line, a new container's lines are
 * searchable within two seconds of being written (issue #4, "Done when"), the agent's metrics and the
 * containers' resource metrics are on the server's /metrics, and SIGTERM stops both cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { tempDir, removeDir } from '../helpers/server.js';
import { dockerOrSkip, runContainer, removeContainer, BUSYBOX_IMAGE } from '../../helpers/docker.js';
import { queryAll, startCli } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import { repeatedKeys } from '../../helpers/json-keys.js';
import { maxOf } from '../../../src/util/arrays.js';

test('logwharf up: running and new containers are searchable within two seconds, SIGTERM exits 0', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const data = tempDir();
  const before = `lh-up-before-${randomUUID().slice(0, 8)}`;
  const after = `lh-up-after-${randomUUID().slice(0, 8)}`;
  const ids: string[] = [];
  ids.push(await runContainer(['--name', before, BUSYBOX_IMAGE, 'sh', '-c', 'seq 1 50; sleep 60']));
  const up = await startCli(['up', '--listen', '127.0.0.1:0', '--data', data, '--log-level', 'info'], 'logwharf server ready');
  const url = up.ready.address as string;
  try {
    const old = await waitFor('the earlier container', async () => {
      const l = await queryAll(url, `{container="${before}"}`);
      return l.length >= 50 ? l : undefined;
    }, { timeoutMs: 10_000 });
    assert.deepEqual(
      old.map((l) => l.line),
      Array.from({ length: 50 }, (_, i) => String(i + 1)),
    );

    // One line every 200 ms; each must be found within 2 s of Docker's own timestamp.
    ids.push(await runContainer(['--name', after, BUSYBOX_IMAGE, 'sh', '-c', 'i=0; while [ $i -lt 15 ]; do echo "tick $i"; i=$((i+1)); sleep 0.2; done; sleep 60']));
    const delays: number[] = [];
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (seen.size < 15 && Date.now() < deadline) {
      const now = Date.now();
      for (const l of await queryAll(url, `{container="${after}"}`)) {
        if (seen.has(l.line)) continue;
        seen.add(l.line);
        delays.push(now - Number(BigInt(l.ts) / 1_000_000n));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(seen.size, 15, 'every line of the new container arrived');
    const worst = maxOf(delays, (d) => d);
    assert.ok(worst <= 2000, `every line searchable within 2 s of being written (worst ${worst} ms, all: ${delays.join(', ')})`);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^logwharf_agent_lines_shipped_total\{kind="docker"\} \d+/m);
    // The containers' resource metrics (issue #16) join the server's /metrics too.
    assert.match(metrics, new RegExp(`^container_cpu_usage_seconds_total\\{[^}]*container="${before}"[^}]*\\} \\S+$`, 'm'));
    assert.match(metrics, new RegExp(`^container_memory_working_set_bytes\\{[^}]*container="${after}"[^}]*\\} [1-9]`, 'm'));
  } finally {
    up.proc.kill('SIGTERM');
    assert.equal(await up.exited, 0);
    for (const id of ids) await removeContainer(id);
    removeDir(data);
  }
  // Our own logs (up, server, store, agent, registry): JSON lines that name each key once.
  const logs = up.stdoutLines().filter((l) => l.startsWith('{'));
  const components = new Set(logs.map((l) => (JSON.parse(l) as { component?: string }).component));
  assert.ok(components.has('up') && components.has('store'), `components: ${[...components].join(', ')}`);
  for (const line of logs) assert.deepEqual(repeatedKeys(line), [], line);
});

test('logwharf up and logwharf agent reject bad flags and bad configuration with a clear message', async () => {
  const data = tempDir();
  try {
    const { spawnSync } = await import('node:child_process');
    const main = new URL('../../../dist/cli/main.js', import.meta.url).pathname;
    const bad = spawnSync(process.execPath, [main, 'up', '--no-such-flag'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no-such-flag/);
    const cfg = `${data}/agent.yaml`;
    (await import('node:fs')).writeFileSync(cfg, 'pipeline:\n  drop:\n    - line: "("\n');
    const badCfg = spawnSync(process.execPath, [main, 'up', '--listen', '127.0.0.1:0', '--data', data, '--agent-config', cfg], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(badCfg.status, 1);
    assert.match(badCfg.stderr, /drop/);
    const cfgNoUrl = `${data}/no-url.yaml`;
    (await import('node:fs')).writeFileSync(cfgNoUrl, 'docker:\n  enabled: true\n');
    const cases: Array<[string[], number, RegExp]> = [
      [['agent', '--bogus'], 2, /bogus/],
      // No server named: exit 2 saying how to name one, instead of shipping to a guessed address.
      [['agent', '--data', data], 2, /no server to ship to: pass --server URL/],
      [['agent', '--data', data, '--config', cfgNoUrl], 2, /no server to ship to/],
      [['agent', 'extra-argument'], 2, /unexpected argument "extra-argument"/],
      [['agent', '--server', 'ftp://example'], 1, /client\.url/],
      [['agent', '--server', 'http://127.0.0.1:1', '--config', `${data}/missing.yaml`], 1, /cannot read config file/],
      [['agent', '--server', 'http://127.0.0.1:1', '--metrics-listen', 'nonsense', '--data', data], 1, /listen address/],
    ];
    const env = { ...process.env };
    delete env.LOGWHARF_SERVER;
    for (const [args, code, re] of cases) {
      const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 20_000, env });
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    const help = spawnSync(process.execPath, [main, 'agent', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--server/);
  } finally {
    removeDir(data);
  }
});

test('logwharf agent serves /metrics, /ready and /sources on --metrics-listen, and reports to the server', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const { startServer } = await import('../helpers/server.js');
  const server = await startServer();
  const data = tempDir();
  const cname = `lh-agent-cli-${randomUUID().slice(0, 8)}`;
  const id = await runContainer(['--name', cname, BUSYBOX_IMAGE, 'sh', '-c', 'echo hello; sleep 60']);
  const agent = await startCli(['agent', '--server', server.url, '--data', data, '--metrics-listen', '127.0.0.1:0', '--log-level', 'warn'], 'logwharf agent ready');
  try {
    const metricsUrl = agent.ready.metrics as string;
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${metricsUrl}/ready`)).status, 200);
    await waitFor('the line', async () => ((await queryAll(server.url, `{container="${cname}"}`, { limit: 10 })).length > 0 ? true : undefined), { timeoutMs: 10_000 });
    const local = (await (await fetch(`${metricsUrl}/sources`)).json()) as { sources: Array<{ container?: string; lines_read: number }> };
    assert.ok(local.sources.some((s) => s.container === cname && s.lines_read >= 1));
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    assert.match(text, /^logwharf_agent_lines_read_total\{kind="docker"\} [1-9]/m);
    assert.match(text, /^logwharf_agent_open_files \d+/m);
    assert.equal((await fetch(`${metricsUrl}/nope`)).status, 404);
    // The server's registry hears from the agent (first report right after start).
    await waitFor('the registry', async () => {
      const r = (await (await fetch(`${server.url}/api/v1/sources?container=${cname}`)).json()) as { data: { sources: unknown[] } };
      return r.data.sources.length === 1 ? true : undefined;
    }, { timeoutMs: 10_000 });
  } finally {
    agent.proc.kill('SIGTERM');
    assert.equal(await agent.exited, 0);
    await removeContainer(id);
    await server.close();
    removeDir(server.dir);
    removeDir(data);
  }
});

test('bin/logwharf starts the agent with a small heap (its memory budget), other commands with Node\'s default', async () => {
  const data = tempDir();
  const args = ['agent', '--server', 'http://127.0.0.1:1', '--data', data, '--metrics-listen', '', '--log-level', 'error', '--config', `${data}/a.yaml`];
  (await import('node:fs')).writeFileSync(`${data}/a.yaml`, 'docker:\n  enabled: "false"\nkubernetes:\n  enabled: "false"\nreport:\n  enabled: false\n');
  try {
    const viaBin = await startCli(args, 'logwharf agent ready', { viaBin: true });
    const direct = await startCli(args, 'logwharf agent ready');
    for (const p of [viaBin, direct]) {
      p.proc.kill('SIGTERM');
      assert.equal(await p.exited, 0);
    }
    const small = viaBin.ready.heap_limit_mb as number;
    const large = direct.ready.heap_limit_mb as number;
    assert.ok(small >= 128 && small < 256, `agent heap limit through the bin: ${small} MB`);
    assert.ok(large > 512, `Node's default heap limit: ${large} MB`);
  } finally {
    removeDir(data);
  }
});
