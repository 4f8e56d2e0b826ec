/**
 * The control plane's cost (issue #13): AGENTS simulated OpAMP agents (the project's codec over
 * undici, one keep-alive connection each, as real agents poll) against `logwharf server` from
 * dist/ as a child process with a fresh data dir.
 *
 *   npm run build && node --import tsx bench/opamp.bench.ts
 *   AGENTS=1000 INTERVAL=5 MEASURE=30 RUNS=3 node --import tsx bench/opamp.bench.ts
 *   CONTROLLER=null node --import tsx bench/opamp.bench.ts   # the transport alone (a controller that answers nothing)
 *
 * It needs a server that serves /v1/opamp with the fleet (`createServer` wiring h/fleet's controller,
 * as on main once both are merged); CONTROLLER=null works on the transport's branch alone.
 *
 * Per run:
 *   1. the idle server's RSS and CPU over MEASURE seconds (the baseline);
 *   2. AGENTS agents say hello (full state: description, health, effective config, remote config
 *      status) and then heartbeat every INTERVAL seconds (instance_uid, sequence number and health,
 *      as our agent does), each at its own seeded offset; over MEASURE seconds: the server's CPU
 *      (above the baseline) and RSS (above the baseline) per connected agent, and the latency of
 *      the OpAMP requests;
 *   3. when the server has the fleet API (h/fleet's controller), a rollout of a new configuration to
 *      all of them (canary=1, window=WINDOW): the time from `POST /api/v1/fleet/configs/bench` until
 *      every agent has applied it and the rollout is `succeeded`. Agents learn of an offer at their
 *      next poll (plain HTTP cannot push), so it is about INTERVAL + WINDOW + INTERVAL.
 * Prints one JSON object per run and the medians.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import {
  AgentCapabilities,
  RemoteConfigStatuses,
  ServerToAgentFlags,
  decodeServerToAgent,
  encodeAgentToServer,
  type AgentToServer,
  type ComponentHealth,
} from '../src/api/opamp/index.js';
import { calibrate, cpuSeconds, median, memoryMb, percentile, startLogwharf, type Logwharf } from './harness.js';

const AGENTS = Number(process.env.AGENTS ?? 100);
const INTERVAL_S = Number(process.env.INTERVAL ?? 2);
const MEASURE_S = Number(process.env.MEASURE ?? 20);
const WINDOW = process.env.WINDOW ?? '5s';
const RUNS = Number(process.env.RUNS ?? 3);
const SEED = Number(process.env.SEED ?? 20261205);
/** `fleet`: `logwharf server` from dist/ with its fleet; `null`: bench/opamp-null-server.ts, the transport alone. */
const CONTROLLER = process.env.CONTROLLER ?? 'fleet';

/** The server of CONTROLLER=null, started like startLogwharf's. */
async function startNullServer(dir: string): Promise<Logwharf> {
  const proc = spawn(process.execPath, ['--import', 'tsx', new URL('./opamp-null-server.ts', import.meta.url).pathname, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (l.includes('logwharf server ready')) resolve((JSON.parse(l) as { address: string }).address);
    });
    proc.on('exit', (c) => reject(new Error(`null server exited ${c}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  return { proc, url, stop };
}

/** mulberry32, seeded: each agent's polling offset. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function health(): ComponentHealth {
  return { healthy: true, startTimeUnixNano: 1_733_390_000_000_000_000n, lastError: '', status: 'ok', statusTimeUnixNano: 0n, componentHealthMap: Object.create(null), attributes: [] };
}

class SimAgent {
  readonly uid: Buffer;
  private seq = 0;
  rcHash: Buffer = Buffer.alloc(0);
  rcStatus: number = RemoteConfigStatuses.UNSET;
  body = '';
  readonly latencies: number[] = [];
  private readonly client: Client;
  private stopped = false;

  constructor(
    url: string,
    readonly host: string,
  ) {
    this.uid = createHash('sha256').update(`bench-agent:${host}`).digest().subarray(0, 16);
    this.client = new Client(url, { pipelining: 1, keepAliveTimeout: 120_000 });
  }

  private full(): AgentToServer {
    return {
      instanceUid: this.uid,
      sequenceNum: ++this.seq,
      capabilities: AgentCapabilities.ReportsStatus | AgentCapabilities.AcceptsRemoteConfig | AgentCapabilities.ReportsEffectiveConfig | AgentCapabilities.ReportsHealth | AgentCapabilities.ReportsRemoteConfig,
      flags: 0,
      agentDescription: {
        identifyingAttributes: [
          { key: 'service.name', value: { kind: 'string', value: 'logwharf-agent' } },
          { key: 'service.version', value: { kind: 'string', value: '0.1.0' } },
        ],
        nonIdentifyingAttributes: [
          { key: 'host.name', value: { kind: 'string', value: this.host } },
          { key: 'os.type', value: { kind: 'string', value: 'linux' } },
          { key: 'k8s.cluster.name', value: { kind: 'string', value: 'bench' } },
        ],
      },
      health: health(),
      effectiveConfig: { configMap: { configMap: { 'logwharf-agent.yaml': { body: Buffer.from(this.body), contentType: 'application/yaml' } } } },
      remoteConfigStatus: { lastRemoteConfigHash: this.rcHash, status: this.rcStatus, errorMessage: '' },
    };
  }

  hello(): Promise<void> {
    return this.send(this.full());
  }

  heartbeat(): Promise<void> {
    return this.send({ instanceUid: this.uid, sequenceNum: ++this.seq, capabilities: 0, flags: 0, health: health() });
  }

  /** One exchange, then what an agent does with the answer: full state on request, apply an offered configuration at once. */
  private async send(m: AgentToServer): Promise<void> {
    const t0 = performance.now();
    const res = await this.client.request({ method: 'POST', path: '/v1/opamp', headers: { 'content-type': 'application/x-protobuf' }, body: encodeAgentToServer(m) });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    this.latencies.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`agent ${this.host}: /v1/opamp answered ${res.statusCode}`);
    const answer = decodeServerToAgent(bytes);
    if (answer.flags & ServerToAgentFlags.ReportFullState) return this.send(this.full());
    const rc = answer.remoteConfig;
    if (rc && !rc.configHash.equals(this.rcHash)) {
      this.rcHash = rc.configHash;
      this.rcStatus = RemoteConfigStatuses.APPLIED;
      this.body = rc.config?.configMap['logwharf-agent.yaml']?.body.toString() ?? '';
      await this.send({ instanceUid: this.uid, sequenceNum: ++this.seq, capabilities: 0, flags: 0, health: health(), remoteConfigStatus: { lastRemoteConfigHash: this.rcHash, status: this.rcStatus, errorMessage: '' } });
    }
  }

  /** Heartbeats every `intervalMs` from `offsetMs` on, until stopped. */
  async poll(offsetMs: number, intervalMs: number): Promise<void> {
    await sleep(offsetMs);
    while (!this.stopped) {
      const next = performance.now() + intervalMs;
      try {
        await this.heartbeat();
      } catch (e) {
        if (this.stopped) return;
        throw e;
      }
      await sleep(Math.max(0, next - performance.now()));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client.close();
  }
}

/** RSS samples (MB) and CPU seconds of `pid` over `seconds`. */
async function observe(pid: number, seconds: number): Promise<{ cpu: number; rssMb: number }> {
  const cpu0 = cpuSeconds(pid);
  const rss: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    rss.push(memoryMb(pid));
    await sleep(250);
  }
  return { cpu: cpuSeconds(pid) - cpu0, rssMb: median(rss) };
}

async function oneRun(run: number): Promise<Record<string, number | string | null>> {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-opamp-bench-'));
  const server = CONTROLLER === 'null' ? await startNullServer(dir) : await startLogwharf('server', ['--data', dir]);
  const pid = server.proc.pid!;
  try {
    await sleep(2000); // startup allocations settle before the baseline
    const idle = await observe(pid, MEASURE_S);
    const random = rng(SEED + run);
    const agents = Array.from({ length: AGENTS }, (_, i) => new SimAgent(server.url, `bench-${String(i).padStart(4, '0')}`));
    const t0 = performance.now();
    for (let i = 0; i < agents.length; i += 20) await Promise.all(agents.slice(i, i + 20).map((a) => a.hello()));
    const helloMs = performance.now() - t0;
    const polling = agents.map((a) => a.poll(random() * INTERVAL_S * 1000, INTERVAL_S * 1000));
    let pollError: unknown;
    for (const p of polling) p.catch((e: unknown) => (pollError ??= e));
    await sleep(INTERVAL_S * 1000 * 2); // every agent has heartbeat at least once
    for (const a of agents) a.latencies.length = 0;
    const busy = await observe(pid, MEASURE_S);
    const latencies = agents.flatMap((a) => a.latencies);

    // A rollout to all of them, when the server has the fleet API.
    let rolloutS: number | null = null;
    let rolloutState = 'no fleet API';
    const body = 'pipeline:\n  drop_healthchecks: true\n';
    const hash = createHash('sha256').update(body).digest();
    const tApply = performance.now();
    const applied = CONTROLLER === 'null' ? new Response('', { status: 404 }) : await fetch(`${server.url}/api/v1/fleet/configs/bench?canary=1&window=${WINDOW}`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body });
    if (applied.status === 201) {
      const { rollout } = ((await applied.json()) as { data: { rollout: { id: number } | null } }).data;
      if (!rollout) throw new Error('the fleet started no rollout');
      for (;;) {
        const res = await fetch(`${server.url}/api/v1/fleet/rollouts/${rollout.id}`);
        const text = await res.text();
        if (res.status !== 200) throw new Error(`GET rollout ${rollout.id}: ${res.status} ${text.slice(0, 300)}`);
        const r = (JSON.parse(text) as { data: { state: string } }).data;
        rolloutState = r.state;
        const all = agents.every((a) => a.rcHash.equals(hash) && a.rcStatus === RemoteConfigStatuses.APPLIED);
        if ((r.state === 'succeeded' && all) || r.state === 'rolled_back' || r.state === 'failed') break;
        if (performance.now() - tApply > 300_000) throw new Error(`rollout still ${r.state} after 300 s`);
        await sleep(50);
      }
      rolloutS = (performance.now() - tApply) / 1000;
    } else {
      rolloutState = CONTROLLER === 'null' ? 'skipped (CONTROLLER=null)' : `fleet API answered ${applied.status}`;
      await applied.arrayBuffer();
    }
    const exchanges = latencies.length;
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.allSettled(polling);
    if (pollError) throw pollError;
    return {
      run,
      agents: AGENTS,
      interval_s: INTERVAL_S,
      hello_all_ms: Math.round(helloMs),
      idle_rss_mb: Math.round(idle.rssMb * 10) / 10,
      busy_rss_mb: Math.round(busy.rssMb * 10) / 10,
      rss_kb_per_agent: Math.round(((busy.rssMb - idle.rssMb) * 1024) / AGENTS),
      idle_cpu_pct: Math.round((idle.cpu / MEASURE_S) * 1000) / 10,
      busy_cpu_pct: Math.round((busy.cpu / MEASURE_S) * 1000) / 10,
      cpu_ms_per_agent_per_s: Math.round((((busy.cpu - idle.cpu) / MEASURE_S) * 1000 * 1000) / AGENTS) / 1000,
      cpu_us_per_heartbeat: Math.round(((busy.cpu - idle.cpu) * 1e6) / exchanges),
      heartbeats: exchanges,
      latency_p50_ms: Math.round(percentile(latencies, 50) * 100) / 100,
      latency_p99_ms: Math.round(percentile(latencies, 99) * 100) / 100,
      rollout_s: rolloutS === null ? null : Math.round(rolloutS * 100) / 100,
      rollout_state: rolloutState,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cal = calibrate();
process.stdout.write(`# calibration: ${cal.text}\n# CONTROLLER=${CONTROLLER} AGENTS=${AGENTS} INTERVAL=${INTERVAL_S}s MEASURE=${MEASURE_S}s WINDOW=${WINDOW} RUNS=${RUNS} SEED=${SEED}\n`);
const results: Array<Record<string, number | string | null>> = [];
for (let run = 0; run < RUNS; run++) {
  const r = await oneRun(run);
  results.push(r);
  process.stdout.write(JSON.stringify(r) + '\n');
}
const med: Record<string, number | string | null> = {};
for (const k of Object.keys(results[0]!)) {
  const xs = results.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
  med[k] = xs.length === results.length ? median(xs) : (results[0]![k] ?? null);
}
process.stdout.write(`median: ${JSON.stringify(med)}\n`);
