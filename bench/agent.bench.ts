/**
 * Agent benchmarks (issue #4 §6), on the benchmark corpus (bench/corpus.mjs), with the real
 * server and the real agent as child processes built in dist/ (their CPU and memory read from /proc):
 *
 *   npm run build && node --import tsx bench/agent.bench.ts            # every scenario
 *   node --import tsx bench/agent.bench.ts cri docker files500 latency # some of them
 *   LINES=500000 RUNS=3 ...                                            # corpus lines per throughput run
 *   AGENT_NODE_FLAGS="--cpu-prof --cpu-prof-dir=bench/out/prof" ...    # the agent on node with these flags
 *   AGENT_NODE_FLAGS="--max-old-space-size=4096" ...                   # (instead of bin/logwharf's): Node's default heap
 *   AGENT_NODE_FLAGS="... --trace-gc" AGENT_STDOUT=gc.txt ...          # the agent's non-JSON output (GC trace) to a file
 *
 * - cri:      LINES corpus lines pre-written as kubelet CRI files (10 pods); agent CPU-seconds to ship them all.
 * - docker:   the same lines written by 4 real containers (`cat` of a mounted corpus slice) into json-file logs.
 * - files500: 500 CRI files appended to at 5 lines/s each for DURATION s: agent RSS (peak and steady).
 * - latency:  a real container writing ~5,000 lines/s; each line's delay from Docker's timestamp to the
 *             server's live tail (= queryable: tail is fed at append time). p50/p99.
 * - busy:     a busy node (issue #17): FILES CRI files each written RATE lines/s, every file at its own
 *             moment (not all at once), for DURATION s after a 5 s warm-up; BUSY="500x5,500x1,1000x5,1000x1"
 *             picks the shapes. Agent CPU (share of a core and CPU-seconds per 1,000 lines), peak and
 *             steady RSS, each line's delay from its CRI timestamp to the server's live tail (p50/p99),
 *             the lag to ship the last line once writing stops, and lines received vs written
 *             (exactly once). Each run prints a calibration figure (bench/harness.ts) taken in the run.
 *             AGENT_YAML="read_coalesce: 1s" adds settings to the agent's configuration.
 * Targets: ≥5,000 lines/s per 0.1 CPU core; ≤100 MB RSS at 500 files; p99 ≤2 s at 5,000 lines/s;
 * busy node (issue #17) at 500 files × 5 lines/s: ≤10% of a core, ≤96 MB peak RSS, p99 ≤2 s.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { calibrate, CORPUS, cpuSeconds, ensureCorpus, median, memoryMb as rssMb, percentile as pct } from './harness.js';

const REPO = new URL('../', import.meta.url).pathname;
const LINES = Number(process.env.LINES ?? 500_000);
const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 30);
const IMAGE = 'local/busybox:1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first n corpus lines' text (the log line column). */
async function corpusLines(n: number): Promise<string[]> {
  const out: string[] = [];
  const rl = createInterface({ input: createReadStream(CORPUS) });
  for await (const l of rl) {
    const a = l.indexOf('\t');
    const b = l.indexOf('\t', a + 1);
    out.push(l.slice(b + 1));
    if (out.length >= n) break;
  }
  rl.close();
  return out;
}

interface Proc {
  proc: ChildProcess;
  ready: Record<string, unknown>;
  stop(): Promise<void>;
}

async function startCli(args: string[], readyMsg: string): Promise<Proc> {
  // The agent runs through bin/logwharf, as users start it (with its small-heap flags). With
  // AGENT_NODE_FLAGS it runs on node with exactly those flags instead (profiling flags are not allowed
  // in NODE_OPTIONS, so they cannot go through the bin).
  const agentFlags = (process.env.AGENT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const main = join(REPO, 'dist/cli/main.js');
  const stdio: ['ignore', 'pipe', 'inherit'] = ['ignore', 'pipe', 'inherit'];
  const proc =
    args[0] !== 'agent'
      ? spawn(process.execPath, [main, ...args], { stdio })
      : agentFlags.length > 0
        ? spawn(process.execPath, [...agentFlags, main, ...args], { stdio })
        : spawn(join(REPO, 'bin/logwharf'), args, { stdio, env: { ...process.env, NODE_OPTIONS: '' } });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    // AGENT_STDOUT=FILE keeps what the agent prints that is not its JSON log (--trace-gc's lines).
    const keep = args[0] === 'agent' ? process.env.AGENT_STDOUT : undefined;
    rl.on('line', (line) => {
      if (keep && !line.startsWith('{')) appendFileSync(keep, line + '\n');
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.msg === readyMsg) resolve(j);
      } catch {
        // not JSON
      }
    });
    proc.on('exit', (c) => reject(new Error(`${args[0]} exited ${c}`)));
  });
  return {
    proc,
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.on('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

async function startServer(dir: string): Promise<Proc & { url: string }> {
  const cfg = join(dir, 'server.yaml');
  // The agent pushes as fast as it reads; Loki's default 4 MB/s tenant limit would make this a rate-limit benchmark.
  writeFileSync(
    cfg,
    'limits:\n  ingestion_rate_mb: 10000\n  ingestion_burst_size_mb: 10000\n  per_stream_rate_limit_mb: 10000\n  per_stream_rate_limit_burst_mb: 10000\n  max_global_streams_per_user: 0\n',
  );
  const p = await startCli(['server', '--listen', '127.0.0.1:0', '--data', join(dir, 'server'), '--config', cfg, '--log-level', 'warn'], 'logwharf server ready');
  return { ...p, url: p.ready.address as string };
}

async function startAgent(dir: string, url: string, yaml: string): Promise<Proc & { metrics: string }> {
  const cfg = join(dir, 'agent.yaml');
  writeFileSync(cfg, yaml);
  const p = await startCli(['agent', '--server', url, '--data', join(dir, 'agent'), '--config', cfg, '--metrics-listen', '127.0.0.1:0', '--log-level', 'warn'], 'logwharf agent ready');
  return { ...p, metrics: p.ready.metrics as string };
}

async function metric(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** RFC 3339 with nanoseconds, as the kubelet writes; `ms` may carry a fraction. */
function criTs(ms: number): string {
  const whole = Math.floor(ms);
  const subMs = Math.min(999_999, Math.round((ms - whole) * 1e6));
  return new Date(whole).toISOString().replace(/Z$/, String(subMs).padStart(6, '0') + 'Z');
}

/** Agent CPU-seconds (and wall time) to ship `total` lines that are already on disk. */
async function measureShip(dir: string, url: string, yaml: string, total: number): Promise<{ cpu: number; wall: number; rss: number }> {
  const agent = await startAgent(dir, url, yaml);
  const pid = agent.proc.pid!;
  const cpu0 = cpuSeconds(pid);
  const t0 = Date.now();
  for (;;) {
    const shipped = await metric(agent.metrics, 'logwharf_agent_lines_shipped_total');
    if (shipped >= total) break;
    if (Date.now() - t0 > 600_000) throw new Error(`only ${shipped}/${total} lines shipped after 10 minutes`);
    await sleep(100);
  }
  const r = { cpu: cpuSeconds(pid) - cpu0, wall: (Date.now() - t0) / 1000, rss: rssMb(pid, 'VmHWM') };
  await agent.stop();
  return r;
}

const K8S_YAML = (pods: string) => `docker:\n  enabled: "false"\nkubernetes:\n  enabled: "true"\n  pods_dir: ${pods}\n  api_url: ""\nreport:\n  enabled: false\n`;

async function benchCri(lines: string[]): Promise<string> {
  const results: Array<{ cpu: number; wall: number; rss: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'lh-agent-bench-'));
    const pods = join(dir, 'pods');
    const t = Date.now() - 60_000;
    for (let p = 0; p < 10; p++) {
      const d = join(pods, `bench_pod-${p}_${'0000000' + p}-1111-2222-3333-444444444444`, 'app');
      mkdirSync(d, { recursive: true });
      let buf = '';
      for (let i = p; i < lines.length; i += 10) buf += `${criTs(t + i / 100)} stdout F ${lines[i]}\n`;
      writeFileSync(join(d, '0.log'), buf);
    }
    const server = await startServer(dir);
    try {
      results.push(await measureShip(dir, server.url, K8S_YAML(pods), lines.length));
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return report('CRI files (10 pods)', lines.length, results);
}

async function benchDocker(lines: string[]): Promise<string> {
  const results: Array<{ cpu: number; wall: number; rss: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'lh-agent-bench-'));
    const ids: string[] = [];
    try {
      for (let c = 0; c < 4; c++) {
        const f = join(dir, `slice-${c}.txt`);
        writeFileSync(f, lines.filter((_, i) => i % 4 === c).join('\n') + '\n');
        ids.push(execFileSync('docker', ['run', '-d', '--network', 'none', '-v', `${f}:/c.txt:ro`, '--label', 'logwharf.bench=1', IMAGE, 'sh', '-c', 'cat /c.txt; sleep 3600']).toString().trim());
      }
      // Wait until every container has written its slice (json-file sizes stop growing).
      let last = -1;
      for (;;) {
        await sleep(1000);
        const size = ids.map((id) => Number(execFileSync('sh', ['-c', `stat -c %s $(docker inspect -f '{{.LogPath}}' ${id})`]).toString())).reduce((a, b) => a + b, 0);
        if (size === last) break;
        last = size;
      }
      const server = await startServer(dir);
      try {
        // Other containers on this host (none in a quiet bench) would add lines; the target counts ours.
        results.push(await measureShip(dir, server.url, 'kubernetes:\n  enabled: "false"\nreport:\n  enabled: false\n', lines.length));
      } finally {
        await server.stop();
      }
    } finally {
      if (ids.length) execFileSync('docker', ['rm', '-f', ...ids]);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return report('Docker json-file (4 containers)', lines.length, results);
}

function report(what: string, total: number, rs: Array<{ cpu: number; wall: number; rss: number }>): string {
  const perCpu = rs.map((r) => total / r.cpu);
  const m = median(perCpu);
  return [
    `${what}: ${total} lines, ${RUNS} runs`,
    `  agent CPU-seconds: ${rs.map((r) => r.cpu.toFixed(2)).join(', ')}; wall: ${rs.map((r) => r.wall.toFixed(1)).join(', ')} s; peak RSS ${median(rs.map((r) => r.rss)).toFixed(0)} MB`,
    `  median ${Math.round(m)} lines per CPU-second = ${Math.round(m / 10)} lines/s per 0.1 core (target ≥5,000)`,
  ].join('\n');
}

async function benchFiles500(lines: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lh-agent-bench-'));
  const pods = join(dir, 'pods');
  const files: string[] = [];
  for (let p = 0; p < 500; p++) {
    const d = join(pods, `bench_pod-${p}_${String(p).padStart(8, '0')}-1111-2222-3333-444444444444`, 'app');
    mkdirSync(d, { recursive: true });
    files.push(join(d, '0.log'));
    writeFileSync(join(d, '0.log'), '');
  }
  const server = await startServer(dir);
  const agent = await startAgent(dir, server.url, K8S_YAML(pods));
  const pid = agent.proc.pid!;
  const rss: number[] = [];
  let k = 0;
  const cpu0 = cpuSeconds(pid);
  try {
    for (let s = 0; s < DURATION; s++) {
      // 5 lines per file per second, written in one pass per 200 ms.
      for (let tick = 0; tick < 5; tick++) {
        const now = Date.now();
        for (const f of files) appendFileSync(f, `${criTs(now)} stdout F ${lines[k++ % lines.length]}\n`);
        await sleep(200);
      }
      rss.push(rssMb(pid));
    }
    const shipped = await metric(agent.metrics, 'logwharf_agent_lines_shipped_total');
    const open = await metric(agent.metrics, 'logwharf_agent_open_files');
    const cpu = cpuSeconds(pid) - cpu0;
    if (process.env.AGENT_NODE_FLAGS?.includes('--heapsnapshot-signal=SIGUSR2')) {
      agent.proc.kill('SIGUSR2');
      await sleep(5000);
    }
    const mb = async (m: string) => ((await metric(agent.metrics, m)) / 1048576).toFixed(0);
    const heap = `heap used ${await mb('logwharf_agent_process_nodejs_heap_size_used_bytes')} MB of ${await mb('logwharf_agent_process_nodejs_heap_size_total_bytes')} MB, external ${await mb('logwharf_agent_process_nodejs_external_memory_bytes')} MB`;
    return [
      `500 CRI files, 2,500 lines/s for ${DURATION} s: ${shipped} lines shipped, ${open} files open`,
      `  agent RSS: steady (median of the last half) ${median(rss.slice(rss.length >> 1)).toFixed(0)} MB, peak ${rssMb(pid, 'VmHWM').toFixed(0)} MB (target ≤100 MB); ${heap}; CPU ${(cpu / DURATION * 100).toFixed(1)}% of a core`,
    ].join('\n');
  } finally {
    await agent.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface BusyRun {
  cpuShare: number;
  cpuPer1k: number;
  peak: number;
  steady: number;
  p50: number;
  p99: number;
  drainMs: number;
  written: number;
  received: number;
  calibration: string;
}

/**
 * One busy-node run: `files` CRI files of one pod each, every file written `rate` lines a second at
 * its own phase (a real node's containers do not write in step), the agent started as users start it.
 */
async function busyRun(lines: string[], files: number, rate: number): Promise<BusyRun> {
  const calibration = calibrate().text;
  const dir = mkdtempSync(join(tmpdir(), 'lh-agent-bench-'));
  const pods = join(dir, 'pods');
  const fds: number[] = [];
  for (let p = 0; p < files; p++) {
    const d = join(pods, `busy_pod-${p}_${String(p).padStart(8, '0')}-1111-2222-3333-444444444444`, 'app');
    mkdirSync(d, { recursive: true });
    fds.push(openSync(join(d, '0.log'), 'a'));
  }
  const server = await startServer(dir);
  // AGENT_YAML adds settings to the agent's file, e.g. AGENT_YAML='read_coalesce: 1s'.
  const agent = await startAgent(dir, server.url, K8S_YAML(pods) + (process.env.AGENT_YAML ? process.env.AGENT_YAML + '\n' : ''));
  const pid = agent.proc.pid!;
  const delays: number[] = [];
  let received = 0;
  let lastArrival = 0;
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{namespace="busy"}')}&limit=1`);
  let measuring = false;
  ws.on('message', (data) => {
    const now = Date.now();
    const msg = JSON.parse(String(data)) as { streams?: Array<{ values: Array<[string, string]> }> };
    for (const s of msg.streams ?? [])
      for (const [ts] of s.values) {
        received++;
        lastArrival = now;
        if (measuring) delays.push(now - Number(BigInt(ts) / 1_000_000n));
      }
  });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const period = 1000 / rate;
  // Slots of 20 ms: each file writes in the slot its index falls in, so writes are spread evenly.
  const SLOT = 20;
  const slots = Math.max(1, Math.round(period / SLOT));
  let k = 0;
  let written = 0;
  const writeSlot = (slot: number) => {
    const now = Date.now();
    for (let f = slot; f < files; f += slots) {
      writeSync(fds[f]!, `${criTs(now)} stdout F ${lines[k++ % lines.length]}\n`);
      written++;
    }
  };
  const rss: number[] = [];
  let cpu0 = 0;
  let written0 = 0;
  try {
    const warmup = 5000;
    const t0 = Date.now();
    let slot = 0;
    let nextSample = t0 + warmup;
    for (let tick = 0; ; tick++) {
      const due = t0 + tick * SLOT;
      const now = Date.now();
      if (now < due) await sleep(due - now);
      writeSlot(slot);
      slot = (slot + 1) % slots;
      const el = Date.now() - t0;
      if (!measuring && el >= warmup) {
        measuring = true;
        cpu0 = cpuSeconds(pid);
        written0 = written;
      }
      if (measuring && Date.now() >= nextSample) {
        rss.push(rssMb(pid));
        nextSample += 1000;
      }
      if (el >= warmup + DURATION * 1000) break;
    }
    const cpu = cpuSeconds(pid) - cpu0;
    const linesMeasured = written - written0;
    const stopAt = Date.now();
    while (received < written && Date.now() - stopAt < 30_000) await sleep(50);
    const drainMs = Math.max(0, lastArrival - stopAt);
    const steady = delays.slice(0);
    return {
      cpuShare: (cpu / DURATION) * 100,
      cpuPer1k: (cpu / linesMeasured) * 1000,
      peak: rssMb(pid, 'VmHWM'),
      steady: median(rss.slice(rss.length >> 1)),
      p50: pct(steady, 50),
      p99: pct(steady, 99),
      drainMs,
      written,
      received,
      calibration,
    };
  } finally {
    ws.close();
    for (const fd of fds) closeSync(fd);
    await agent.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchBusy(lines: string[]): Promise<string> {
  const shapes = (process.env.BUSY ?? '500x5,500x1,1000x5,1000x1').split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const out: string[] = [];
  for (const [files, rate] of shapes) {
    const rs: BusyRun[] = [];
    for (let run = 0; run < RUNS; run++) {
      const r = await busyRun(lines, files, rate);
      rs.push(r);
      console.error(
        `  run ${run + 1}: ${r.calibration}; CPU ${r.cpuShare.toFixed(1)}% (${r.cpuPer1k.toFixed(3)} CPU-s/1k lines), RSS peak ${r.peak.toFixed(0)} steady ${r.steady.toFixed(0)} MB, p50 ${r.p50} p99 ${r.p99} ms, drain ${r.drainMs} ms, ${r.received}/${r.written} lines`,
      );
    }
    const m = (f: (r: BusyRun) => number) => median(rs.map(f));
    const all = (f: (r: BusyRun) => number, d = 1) => rs.map((r) => f(r).toFixed(d)).join(', ');
    out.push(
      [
        `busy node: ${files} CRI files × ${rate} lines/s (${files * rate} lines/s) for ${DURATION} s, ${RUNS} runs (medians; all runs in brackets)`,
        `  agent CPU ${m((r) => r.cpuShare).toFixed(1)}% of a core [${all((r) => r.cpuShare)}], ${m((r) => r.cpuPer1k).toFixed(3)} CPU-s per 1,000 lines [${all((r) => r.cpuPer1k, 3)}]`,
        `  RSS peak ${m((r) => r.peak).toFixed(0)} MB [${all((r) => r.peak, 0)}], steady ${m((r) => r.steady).toFixed(0)} MB [${all((r) => r.steady, 0)}]`,
        `  latency to live tail p50 ${m((r) => r.p50)} ms, p99 ${m((r) => r.p99)} ms [${all((r) => r.p99, 0)}]; last line ${m((r) => r.drainMs)} ms after writing stopped`,
        `  lines received/written: ${rs.map((r) => `${r.received}/${r.written}`).join(', ')}`,
        `  ${rs.map((r) => r.calibration.replace(/ \(sink.*\)/, '')).join('; ')}`,
      ].join('\n'),
    );
  }
  return out.join('\n');
}

async function benchLatency(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lh-agent-bench-'));
  const server = await startServer(dir);
  const agent = await startAgent(dir, server.url, 'kubernetes:\n  enabled: "false"\nreport:\n  enabled: false\n' + (process.env.AGENT_YAML ? process.env.AGENT_YAML + '\n' : ''));
  const name = `lh-latency-${process.pid}`;
  const delays: number[] = [];
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent(`{container="${name}"}`)}&limit=1`);
  ws.on('message', (data) => {
    const now = Date.now();
    const msg = JSON.parse(String(data)) as { streams?: Array<{ values: Array<[string, string]> }> };
    for (const s of msg.streams ?? []) for (const [ts] of s.values) delays.push(now - Number(BigInt(ts) / 1_000_000n));
  });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const pid = agent.proc.pid!;
  const cpu0 = cpuSeconds(pid);
  // ~5,000 lines/s: 500 lines every 100 ms (busybox seq is fast enough that the sleep dominates).
  const id = execFileSync('docker', ['run', '-d', '--network', 'none', '--name', name, IMAGE, 'sh', '-c', 'while true; do seq 100000 100499; sleep 0.1; done']).toString().trim();
  try {
    await sleep(DURATION * 1000);
    const steady = delays.slice(Math.floor(delays.length * 0.1));
    const cpu = cpuSeconds(pid) - cpu0;
    return [
      `latency at ~${Math.round(delays.length / DURATION)} lines/s for ${DURATION} s (container → live tail): ${delays.length} lines`,
      `  p50 ${pct(steady, 50)} ms, p99 ${pct(steady, 99)} ms, max ${steady.reduce((a, b) => Math.max(a, b), 0)} ms (target p99 ≤2,000 ms); agent CPU ${(cpu / DURATION * 100).toFixed(1)}% of a core`,
    ].join('\n');
  } finally {
    ws.close();
    execFileSync('docker', ['rm', '-f', id]);
    await agent.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const which = process.argv.slice(2);
// `busy` runs only when named: it takes RUNS × 4 shapes × (DURATION + 5) s.
const want = (s: string) => (which.length === 0 && s !== 'busy') || which.includes(s);
ensureCorpus();
const lines = await corpusLines(LINES);
const scenarios: Array<[string, () => Promise<string>]> = [
  ['cri', () => benchCri(lines)],
  ['docker', () => benchDocker(lines)],
  ['files500', () => benchFiles500(lines)],
  ['latency', () => benchLatency()],
  ['busy', () => benchBusy(lines)],
];
for (const [name, run] of scenarios) if (want(name)) console.log(await run());
