/**
 * The control plane's end-to-end stand (issue #13, "Tests with real parts"): one real server as a
 * child process (so it can be killed with SIGKILL and restarted on the same data directory and
 * port), three real `logwharf agent` processes (bin/logwharf, as users start them) with distinct
 * hosts, and real Docker containers writing numbered lines at a known total rate. The exactly-once
 * check reads every line back through the server's Loki query API.
 *
 * Three agents on one machine would all see every container of the one Docker engine and ship each
 * line three times. On a real fleet each node has its own engine; here each container carries the
 * label `logwharf_e2e_host=<the host of the agent that owns it>` and every agent configuration —
 * the local file and every remote configuration the tests roll out (`fleetPipeline`) — keeps only
 * the containers whose label equals the agent's own `host` label. Containers of other tests
 * running on the same engine have no such label and are ignored.
 *
 * Without Docker the scenarios skip saying why, except under CI, where it is a failure: the
 * convention of every Docker test here (test/helpers/docker.ts).
 */
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import { startCli, runCli, tempDir, removeDir, type ChildProc, type CliResult } from '../helpers/server.js';
import { dockerOrSkip, runContainer, removeContainer, BUSYBOX_IMAGE } from '../../helpers/docker.js';
import { queryAll, type QueriedLine } from '../agent/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import { parseExposition, samplesOf } from '../../helpers/exposition.js';

/** Lines per second of all containers together. */
export const TOTAL_RATE = 2000;
/** The container label that says which agent owns a container. */
const OWNER_LABEL = 'logwharf_e2e_host';
/** Large enough for one container's lines in one query. */
const QUERY_LIMIT = 500_000;

/** A short unique name for this run: containers, hosts and rollout names carry it. */
export function runId(): string {
  return randomUUID().slice(0, 8);
}

/** Where a stand registers its clean-ups: run last-registered first, after the test, failed or not. */
export interface Stand {
  after(fn: () => unknown): void;
}

/**
 * Opens a scenario's stand: Docker (skips outside CI when it is missing, as every Docker test here;
 * undefined then), then the fleet lock. Clean-ups run in reverse order of registration, so the
 * lock, taken first, is released only once the containers, agents and server are gone.
 *
 * Only one fleet scenario runs at a time on this machine (across test files and processes): each
 * runs a server, three agents and 2,000 lines/s, and the timings they assert (health windows,
 * rollouts) mean little on two cores shared with a second copy of it. A lock directory holding the
 * owner's pid; a dead owner's lock is taken over. Scenario timeouts (240 s) cover waiting for it behind
 * the longest scenario (about 90 s).
 */
export async function openStand(t: TestContext): Promise<Stand | undefined> {
  if ((await dockerOrSkip(t)) === undefined) return undefined;
  const cleanups: Array<() => unknown> = [];
  t.after(async () => {
    const errors: unknown[] = [];
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
  });
  const stand: Stand = { after: (fn) => cleanups.push(fn) };
  const dir = join(tmpdir(), 'logwharf-fleet-e2e.lock');
  await waitFor(
    'the fleet scenario lock (another fleet scenario is running)',
    () => {
      try {
        mkdirSync(dir);
        writeFileSync(join(dir, 'pid'), String(process.pid));
        return true;
      } catch {
        let owner = 0;
        try {
          owner = Number(readFileSync(join(dir, 'pid'), 'utf8'));
        } catch {
          return false; // being written or removed right now
        }
        if (owner && !alive(owner)) rmSync(dir, { recursive: true, force: true });
        return false;
      }
    },
    { timeoutMs: 280_000, intervalMs: 250 },
  );
  stand.after(() => rmSync(dir, { recursive: true, force: true }));
  return stand;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- server

export interface FleetServer {
  readonly url: string;
  readonly dir: string;
  /** The running process (a new one after restart()). */
  readonly child: ChildProc;
  /** SIGKILL: no shutdown, no flush beyond what was acknowledged. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** SIGTERM and wait (no-op when it is not running). */
  stop(): Promise<void>;
}

/**
 * `logwharf server` from dist/ on port 0 with a temporary data directory, stopped and removed after
 * the test; `config` is merged into its configuration file (e.g. the `fleet` section).
 */
export async function startFleetServer(t: Stand, config: Record<string, unknown> = {}): Promise<FleetServer> {
  const dir = tempDir('lh-fleet-server-');
  const configFile = join(dir, '..', `${dir.split('/').pop()}.yaml`);
  writeFileSync(configFile, stringify({ log_level: 'warn', limits: { max_entries_limit_per_query: QUERY_LIMIT }, ...config }));
  const start = (listen: string) => startCli(['server', '--listen', listen, '--data', dir, '--config', configFile], 'logwharf server ready');
  let child = await start('127.0.0.1:0');
  const url = child.ready.address as string;
  const port = new URL(url).port;
  let running = true;
  const server: FleetServer = {
    url,
    dir,
    get child() {
      return child;
    },
    async kill9() {
      child.proc.kill('SIGKILL');
      await child.exited;
      running = false;
    },
    async restart() {
      child = await start(`127.0.0.1:${port}`);
      running = true;
    },
    async stop() {
      if (!running) return;
      running = false;
      child.proc.kill('SIGTERM');
      await child.exited;
    },
  };
  t.after(async () => {
    await server.stop();
    removeDir(dir);
    rmSync(configFile, { force: true });
  });
  return server;
}

// ---------------------------------------------------------------- agents

/**
 * The pipeline every configuration of these tests carries (local and remote): keep a container
 * only on the agent that owns it (see the file comment). Prometheus relabelling has no
 * back-references, so the owner/host pairs are listed.
 */
export function fleetPipeline(hosts: string[]): { relabel: Array<Record<string, unknown>> } {
  return {
    relabel: [
      {
        action: 'keep',
        source_labels: [`__meta_docker_container_label_${OWNER_LABEL}`, 'host'],
        regex: hosts.map((h) => `${h};${h}`).join('|'),
      },
    ],
  };
}

/**
 * The body of a remote agent configuration for `fleet apply`: the test pipeline, short waits, and
 * `extra` on top (client.url, external labels, …). Keys the local file owns (the server address,
 * data directory, host) are not in it.
 */
export function remoteConfig(hosts: string[], extra: { client?: Record<string, unknown>; pipeline?: Record<string, unknown> } & Record<string, unknown> = {}): Record<string, unknown> {
  const { client, pipeline, ...rest } = extra;
  return {
    client: { batch_wait: '100ms', min_backoff: '100ms', max_backoff: '1s', ...client },
    pipeline: { ...fleetPipeline(hosts), ...pipeline },
    ...rest,
  };
}

export interface AgentProc {
  host: string;
  dataDir: string;
  configFile: string;
  child: ChildProc;
  metricsUrl: string;
  /** SIGTERM (it ships what it holds and writes positions); resolves with its exit code. */
  stop(): Promise<number | string>;
  running(): boolean;
  /** Its JSON log lines so far. */
  logs(): string[];
}

/**
 * Starts one `logwharf agent` per host (bin/logwharf, the command users run) against `server`,
 * collecting Docker only; `local` is merged into each agent's local configuration file (e.g. the
 * `control` section). Stopped with SIGKILL after the test if still running.
 */
export async function startAgents(t: Stand, server: string, hosts: string[], local: Record<string, unknown> = {}): Promise<AgentProc[]> {
  return Promise.all(hosts.map((host) => startAgent(t, server, host, hosts, local)));
}

async function startAgent(t: Stand, server: string, host: string, hosts: string[], local: Record<string, unknown>): Promise<AgentProc> {
  const dataDir = tempDir(`lh-fleet-agent-${host}-`);
  const configFile = join(dataDir, '..', `${dataDir.split('/').pop()}.yaml`);
  const config: Record<string, unknown> = {
    host,
    poll_interval: '100ms',
    docker: { enabled: true, resource_metrics: false },
    kubernetes: { enabled: false, api_url: '' },
    report: { interval: '1s' },
    client: { batch_wait: '100ms', min_backoff: '100ms', max_backoff: '1s' },
    pipeline: fleetPipeline(hosts),
    ...local,
  };
  if (local.control !== undefined) {
    // What selectors pick agents by besides the host: the run's cluster, and a role per agent.
    config.control = { ...(local.control as Record<string, unknown>), attributes: { cluster: clusterOf(host), role: `role-${host.slice(-1)}` } };
  }
  writeFileSync(configFile, stringify(config));
  const child = await startCli(
    ['agent', '--server', server, '--config', configFile, '--data', dataDir, '--metrics-listen', '127.0.0.1:0', '--log-level', 'info'],
    'logwharf agent ready',
    { viaBin: true },
  );
  let exited = false;
  void child.exited.then(() => (exited = true));
  const agent: AgentProc = {
    host,
    dataDir,
    configFile,
    child,
    metricsUrl: child.ready.metrics as string,
    async stop() {
      if (!exited) child.proc.kill('SIGTERM');
      return child.exited;
    },
    running: () => !exited,
    logs: () => child.stdoutLines(),
  };
  t.after(async () => {
    if (!exited) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    removeDir(dataDir);
    rmSync(configFile, { force: true });
  });
  return agent;
}

/**
 * The sum of an agent's metric from its own /metrics (0 when it has no sample yet), e.g. how many
 * configurations it hot-reloaded: `logwharf_agent_config_reloads_total{result="applied"}`.
 */
export async function agentMetric(agent: AgentProc, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${agent.metricsUrl}/metrics`);
  if (!res.ok) throw new Error(`GET ${agent.metricsUrl}/metrics: ${res.status}`);
  return samplesOf(parseExposition(await res.text()), name, labels).reduce((sum, x) => sum + x.value, 0);
}

/** Hot reloads an agent made (its counter of applied configuration changes). */
export function reloadsOf(agent: AgentProc): Promise<number> {
  return agentMetric(agent, 'logwharf_agent_config_reloads_total', { result: 'applied' });
}

/** Stops every agent with SIGTERM and asserts each exits 0 (a clean stop ships what it held). */
export async function stopAgents(agents: AgentProc[]): Promise<void> {
  const codes = await Promise.all(agents.map((a) => a.stop()));
  const bad = agents.map((a, i) => [a.host, codes[i]] as const).filter(([, c]) => c !== 0);
  if (bad.length > 0) {
    throw new Error(`agents did not stop cleanly: ${bad.map(([h, c]) => `${h} exited ${c}; stderr: ${agents.find((a) => a.host === h)!.child.stderr().slice(-2000)}`).join('\n')}`);
  }
}

// ---------------------------------------------------------------- the log flow

export interface FlowContainer {
  name: string;
  id: string;
  /** The agent (host) that owns it. */
  host: string;
}

export interface LogFlow {
  containers: FlowContainer[];
  /** Lines per second each container writes. */
  ratePerContainer: number;
  /** Tells every container to write its last line (`ctr=<name> end=<count>`) and stop writing. */
  stop(): void;
}

/**
 * One container per host writing `ctr=<name> seq=<n>` lines, n = 1, 2, …, together TOTAL_RATE
 * lines per second: every 100 ms a container writes a tenth of its per-second share, and when it
 * fell behind its clock (a loaded machine) it catches up, never running more than a second ahead.
 * `stop()` creates a file in a directory the containers mount read-only; each then writes
 * `ctr=<name> end=<last n>` and idles. Containers are removed after the test, failed or not.
 */
export async function startFlow(t: Stand, run: string, hosts: string[]): Promise<LogFlow> {
  const ctl = tempDir('lh-fleet-flow-');
  const rate = Math.round(TOTAL_RATE / hosts.length);
  const tick = Math.max(1, Math.round(rate / 10));
  const containers: FlowContainer[] = [];
  t.after(async () => {
    await Promise.all(containers.map((c) => removeContainer(c.id)));
    removeDir(ctl);
  });
  for (const host of hosts) {
    const name = `lh-fleet-${run}-${host.slice(-1)}`;
    // $s: start second; $el: whole seconds elapsed; the batch is a tick's share plus any lag,
    // capped so the writer is never more than one second of lines ahead of its clock.
    const script = [
      `N=${name}; R=${rate}; i=0; s=$(date +%s)`,
      'while [ ! -e /ctl/stop ]; do',
      '  el=$(( $(date +%s) - s ))',
      `  b=${tick}; behind=$(( el * R - i )); [ $behind -gt 0 ] && b=$(( b + behind ))`,
      '  [ $b -gt 5000 ] && b=5000',
      '  max=$(( (el + 1) * R - i )); [ $b -gt $max ] && b=$max',
      '  if [ $b -gt 0 ]; then printf "ctr=$N seq=%d\\n" $(seq $((i + 1)) $((i + b))); i=$((i + b)); fi',
      '  sleep 0.1',
      'done',
      'echo "ctr=$N end=$i"',
      'exec sleep 3600',
    ].join('\n');
    const id = await runContainer(['--name', name, '--label', `${OWNER_LABEL}=${host}`, '-v', `${ctl}:/ctl:ro`, BUSYBOX_IMAGE, 'sh', '-c', script]);
    containers.push({ name, id, host });
  }
  return {
    containers,
    ratePerContainer: rate,
    stop: () => writeFileSync(join(ctl, 'stop'), ''),
  };
}

/** Every stored line of one container, oldest first. */
export function containerLines(serverUrl: string, name: string): Promise<QueriedLine[]> {
  return queryAll(serverUrl, `{container="${name}"}`, { limit: QUERY_LIMIT });
}

/** Waits until the server holds at least `n` lines of every container of the flow. */
export async function waitForLines(serverUrl: string, flow: LogFlow, n: number, timeoutMs = 60_000): Promise<void> {
  for (const c of flow.containers) {
    await waitFor(`${n} lines of ${c.name} on the server`, async () => (await containerLines(serverUrl, c.name)).length >= n, { timeoutMs, intervalMs: 500 });
  }
}

export interface FlowReport {
  /** Lines written (and stored) per container, the end line included. */
  lines: Record<string, number>;
  total: number;
  /** Lines per second over the flow's life, from the stored timestamps (Docker's write times). */
  rate: number;
  /** Every stored line by container, for scenario-specific checks (labels of a rollout). */
  byContainer: Record<string, QueriedLine[]>;
}

/**
 * The exactly-once check: stops the flow, waits for every container's end line on the server, stops
 * the agents (so nothing can arrive later), then asserts that every container's lines 1..end are
 * stored exactly once, under that container's label and its owner's host, plus the end line once.
 * Throws naming the first missing and duplicated numbers.
 */
export async function checkExactlyOnce(serverUrl: string, flow: LogFlow, agents: AgentProc[], timeoutMs = 60_000): Promise<FlowReport> {
  flow.stop();
  for (const c of flow.containers) {
    await waitFor(
      `the end line of ${c.name} on the server`,
      async () => (await queryAll(serverUrl, `{container="${c.name}"} |= "end="`, { limit: 10 })).length > 0,
      { timeoutMs, intervalMs: 500 },
    );
  }
  await stopAgents(agents);
  const report: FlowReport = { lines: {}, total: 0, rate: 0, byContainer: {} };
  let first = Infinity;
  let last = 0;
  const problems: string[] = [];
  for (const c of flow.containers) {
    const lines = await containerLines(serverUrl, c.name);
    report.byContainer[c.name] = lines;
    const seen = new Map<number, number>();
    let end = -1;
    let ends = 0;
    const foreign: string[] = [];
    for (const l of lines) {
      if (l.labels.container !== c.name || l.labels.host !== c.host) foreign.push(`${l.line} under ${JSON.stringify(l.labels)}`);
      const m = /^ctr=(\S+) (seq|end)=(\d+)$/.exec(l.line);
      if (!m || m[1] !== c.name) {
        foreign.push(l.line);
        continue;
      }
      if (m[2] === 'end') {
        end = Number(m[3]);
        ends++;
      } else seen.set(Number(m[3]), (seen.get(Number(m[3])) ?? 0) + 1);
      const ts = Number(BigInt(l.ts) / 1_000_000n);
      first = Math.min(first, ts);
      last = Math.max(last, ts);
    }
    const dupes = [...seen].filter(([, n]) => n > 1);
    const missing: number[] = [];
    for (let i = 1; i <= end; i++) if (!seen.has(i)) missing.push(i);
    const beyond = [...seen.keys()].filter((i) => i > end);
    if (ends !== 1) problems.push(`${c.name}: the end line stored ${ends} times`);
    if (missing.length > 0) problems.push(`${c.name}: ${missing.length} of ${end} lines missing, first ${missing.slice(0, 8).join(', ')}`);
    if (dupes.length > 0) problems.push(`${c.name}: ${dupes.length} lines stored more than once, e.g. ${dupes.slice(0, 8).map(([i, n]) => `${i}×${n}`).join(', ')}`);
    if (beyond.length > 0) problems.push(`${c.name}: lines numbered past the end ${end}: ${beyond.slice(0, 8).join(', ')}`);
    if (foreign.length > 0) problems.push(`${c.name}: ${foreign.length} lines under the wrong labels or of another writer, e.g. ${foreign.slice(0, 3).join(' | ')}`);
    report.lines[c.name] = end + 1;
    report.total += end + 1;
  }
  if (problems.length > 0) throw new Error(`exactly-once violated:\n${problems.join('\n')}`);
  report.rate = last > first ? Math.round((report.total * 1000) / (last - first)) : 0;
  return report;
}

/** The sequence number of a flow line (the end line counts as after every seq line). */
export function seqOf(line: string): number {
  const m = /(seq|end)=(\d+)$/.exec(line);
  if (!m) return -1;
  return m[1] === 'end' ? Number.MAX_SAFE_INTEGER : Number(m[2]);
}

// ---------------------------------------------------------------- the fleet CLI (issue #13's contract)

/** `logwharf fleet <args> --addr <url>`, to its end. */
export function fleet(serverUrl: string, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return runCli(['fleet', ...args, '--addr', serverUrl], '', timeoutMs);
}

/** Fails with the command's output unless it exited 0. */
export function ok(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/**
 * Writes `config` as YAML to a file and runs `fleet apply FILE --name N …`; resolves with the
 * rollout id it prints (the last word of its output).
 */
export async function fleetApply(
  serverUrl: string,
  dir: string,
  o: { name: string; config: Record<string, unknown>; canary?: string; window?: string; selector?: string },
): Promise<{ rolloutId: string; result: CliResult }> {
  const file = join(dir, `${o.name}-${randomUUID().slice(0, 6)}.yaml`);
  writeFileSync(file, stringify(o.config));
  const args = ['apply', file, '--name', o.name];
  if (o.canary !== undefined) args.push('--canary', o.canary);
  if (o.window !== undefined) args.push('--window', o.window);
  if (o.selector !== undefined) args.push('--selector', o.selector);
  const result = ok(await fleet(serverUrl, args), `fleet apply ${o.name}`);
  const words = result.stdout.trim().split(/\s+/);
  const rolloutId = words[words.length - 1] ?? '';
  if (!rolloutId) throw new Error(`fleet apply printed no rollout id: ${result.stdout}`);
  return { rolloutId, result };
}

/**
 * What `fleet apply` does, through the fleet API directly (POST /api/v1/fleet/configs/:name, the
 * YAML as the body): for a scenario that applies many versions, where a CLI process each time
 * would be most of its run time. Resolves with the rollout id.
 */
export async function fleetApplyApi(serverUrl: string, o: { name: string; config: Record<string, unknown>; canary?: string; window?: string }): Promise<string> {
  const params = new URLSearchParams();
  if (o.canary !== undefined) params.set('canary', o.canary);
  if (o.window !== undefined) params.set('window', o.window);
  const res = await fetch(`${serverUrl}/api/v1/fleet/configs/${encodeURIComponent(o.name)}?${params}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/yaml' },
    body: stringify(o.config),
  });
  if (!res.ok) throw new Error(`POST config ${o.name}: ${res.status} ${await res.text()}`);
  const r = ((await res.json()) as { data: { rollout: { id: number } | null } }).data;
  if (!r.rollout) throw new Error(`POST config ${o.name} started no rollout: ${JSON.stringify(r)}`);
  return String(r.rollout.id);
}

export interface FleetAgent {
  id: string;
  host: string;
  config_version: string | number | null;
  healthy: boolean;
  last_seen: string;
}
export interface FleetRollout {
  id: string;
  state: 'running' | 'succeeded' | 'rolled_back' | 'failed' | string;
  [k: string]: unknown;
}
export interface FleetStatus {
  agents: FleetAgent[];
  rollouts: FleetRollout[];
}

/** `fleet status --output json`, parsed (the document itself, or under `data`). */
export async function fleetStatus(serverUrl: string): Promise<FleetStatus> {
  const r = ok(await fleet(serverUrl, ['status', '--output', 'json']), 'fleet status');
  const doc = JSON.parse(r.stdout) as FleetStatus | { data: FleetStatus };
  const s = 'data' in doc ? doc.data : doc;
  if (!Array.isArray(s.agents) || !Array.isArray(s.rollouts)) throw new Error(`fleet status --output json has no agents/rollouts arrays: ${r.stdout.slice(0, 500)}`);
  return s;
}

/** The fleet's view of the agent of `host` (undefined until it reported). */
export function agentOf(s: FleetStatus, host: string): FleetAgent | undefined {
  return s.agents.find((a) => a.host === host);
}

/** The same as fleetStatus from the fleet API directly (GET /api/v1/fleet/agents and /rollouts): for frequent sampling. */
export async function fleetNow(serverUrl: string): Promise<FleetStatus> {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${serverUrl}/api/v1/fleet/${path}`);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: T }).data;
  };
  const [agents, rollouts] = await Promise.all([get<FleetAgent[]>('agents'), get<FleetRollout[]>('rollouts')]);
  return { agents, rollouts };
}

/**
 * One rollout with its per-agent steps, straight from the fleet API (GET /api/v1/fleet/rollouts/:id):
 * what the waits poll, a fraction of a `logwharf fleet status` process each time.
 */
export async function rolloutNow(serverUrl: string, id: string): Promise<FleetRollout> {
  const res = await fetch(`${serverUrl}/api/v1/fleet/rollouts/${encodeURIComponent(id)}`);
  if (!res.ok) throw new Error(`GET rollout ${id}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: FleetRollout }).data;
}

/**
 * Waits until the rollout `id` reaches a final state (polling the fleet API); resolves with it and
 * `fleet status` read once it ended (or the API's same answer with `cli: false`). On a timeout the error shows the rollout as last seen, steps
 * included.
 */
export async function waitForRollout(serverUrl: string, id: string, timeoutMs: number, o: { cli?: boolean } = {}): Promise<{ rollout: FleetRollout; status: FleetStatus }> {
  let last: FleetRollout | undefined;
  try {
    await waitFor(
      `rollout ${id} to finish`,
      async () => {
        last = await rolloutNow(serverUrl, id);
        return last.state !== 'running';
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
  const status = o.cli === false ? await fleetNow(serverUrl) : await fleetStatus(serverUrl);
  const rollout = status.rollouts.find((r) => String(r.id) === id);
  if (!rollout) throw new Error(`rollout ${id} ended (${last?.state}) but fleet status does not list it`);
  return { rollout, status };
}

/** Waits until all `hosts` are connected to the fleet (reported at least once). */
export async function waitForAgentsConnected(serverUrl: string, hosts: string[], timeoutMs = 20_000): Promise<FleetStatus> {
  return waitFor(`agents ${hosts.join(', ')} in fleet status`, async () => {
    const s = await fleetStatus(serverUrl);
    return hosts.every((h) => agentOf(s, h)) ? s : undefined;
  }, { timeoutMs, intervalMs: 500 });
}

/** The test's scratch directory for configuration files, removed after it. */
export function scratchDir(t: Stand): string {
  const dir = tempDir('lh-fleet-files-');
  t.after(() => removeDir(dir));
  return dir;
}


// ---------------------------------------------------------------- what a rollout visibly changed

/** The label every remote configuration of these tests stamps on its lines (client.external_labels). */
export const REV_LABEL = 'fleet_rev';

/**
 * The agent's local `control` section for these tests: the health window after a remote
 * configuration is applied (issue #13: shipping succeeds, sources tailing, no repeated errors) and
 * a heartbeat of a second by default (OpAMP over HTTP is polling: an offer reaches the agent at its
 * next message). startAgents adds the attributes `cluster` (clusterOf) and `role` (`role-a`, …).
 */
export function controlSection(healthWindow: string, heartbeat = '1s'): Record<string, unknown> {
  return { control: { health_window: healthWindow, heartbeat } };
}

/** The `cluster` attribute of the run's agents: their host less its last letter. */
export function clusterOf(host: string): string {
  return host.slice(0, -2);
}

/**
 * The values of REV_LABEL on one container's lines in the order the container wrote them ('' for
 * none), run-length encoded: [['', 4012], ['r1', 2990]] means the first 4,012 lines had no label
 * and every later one r1. A configuration that took effect cleanly shows as one switch per
 * rollout, never back.
 */
export function revRuns(lines: QueriedLine[]): Array<[string, number]> {
  const sorted = [...lines].sort((a, b) => seqOf(a.line) - seqOf(b.line));
  const runs: Array<[string, number]> = [];
  for (const l of sorted) {
    const v = l.labels[REV_LABEL] ?? '';
    const lastRun = runs[runs.length - 1];
    if (lastRun && lastRun[0] === v) lastRun[1]++;
    else runs.push([v, 1]);
  }
  return runs;
}

/** The stored time (ms) of the first line, in write order, that carries REV_LABEL=`rev`. */
export function firstTimeOf(lines: QueriedLine[], rev: string): number | undefined {
  let best: QueriedLine | undefined;
  for (const l of lines) if (l.labels[REV_LABEL] === rev && (!best || seqOf(l.line) < seqOf(best.line))) best = l;
  return best && Number(BigInt(best.ts) / 1_000_000n);
}

/** Waits until the server holds at least `n` lines of every container of the flow carrying REV_LABEL=`rev`. */
export async function waitForRev(serverUrl: string, flow: LogFlow, rev: string, n: number, timeoutMs = 30_000): Promise<void> {
  for (const c of flow.containers) {
    await waitFor(
      `${n} lines of ${c.name} with ${REV_LABEL}="${rev}"`,
      async () => (await queryAll(serverUrl, `{container="${c.name}", ${REV_LABEL}="${rev}"}`, { limit: QUERY_LIMIT })).length >= n,
      { timeoutMs, intervalMs: 500 },
    );
  }
}
