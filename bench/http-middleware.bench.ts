/**
 * The kit's HTTP middleware's cost per request (issue #16): a `node:http` server answering "ok",
 * bare, wrapped in `httpMiddleware` (request context, response headers, access line to /dev/null
 * through pino, metrics), and wrapped with the logger at warn (no access line written: what the
 * middleware costs without the log write). Each server runs in its own child process, so its CPU is read
 * from /proc alone; this process drives it with keep-alive connections (node:http Agent,
 * CONCURRENCY requests in flight) for SECONDS per run, RUNS runs per variant, alternating.
 *
 * Run: node --import tsx bench/http-middleware.bench.ts
 *      (RUNS=3 SECONDS=3 CONCURRENCY=8 are the defaults)
 *
 * Figures: requests/s, server CPU µs per request, and the middleware's overhead per request as the
 * difference of the medians of CPU per request (the machine's noise hits wall-clock rates more).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Agent, request } from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { cpuSeconds, median } from './harness.js';
import { httpMiddleware } from '../src/kit/http.js';
import { getContext } from '../src/kit/context.js';

const RUNS = Number(process.env.RUNS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 3);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
/** `middleware-quiet`: the middleware with the logger at warn, so the access lines are not written (the log write's share). */
type Variant = 'bare' | 'middleware' | 'middleware-quiet';
const VARIANTS: readonly Variant[] = ['bare', 'middleware', 'middleware-quiet'];

/** Child: serve on port 0 and print the port. */
function serve(variant: Variant): void {
  // Shaped like the kit's logger: the request context's ids on every line.
  const logger = pino(
    {
      level: variant === 'middleware-quiet' ? 'warn' : 'info',
      base: {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const ctx = getContext();
        return ctx ? { request_id: ctx.request_id, trace_id: ctx.trace_id, span_id: ctx.span_id } : {};
      },
    },
    pino.destination({ dest: '/dev/null', sync: false }),
  );
  const handler = (_req: unknown, res: import('node:http').ServerResponse): void => void res.end('ok');
  const mw = httpMiddleware(logger);
  const server =
    variant === 'bare'
      ? createServer(handler) : createServer((req, res) => mw(req, res, () => handler(req, res)));
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
}

async function startChild(variant: Variant): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', variant], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: proc.stdout! }), 'line')) as [string];
  return { proc, port: (JSON.parse(line) as { port: number }).port };
}

/** Keeps CONCURRENCY keep-alive requests in flight for `seconds`; resolves with the number answered. */
async function drive(port: number, seconds: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const end = Date.now() + seconds * 1000;
  let done = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/items/42?x=1', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      await one();
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  agent.destroy();
  return done;
}

async function main(): Promise<void> {
  const children = {} as Record<Variant, { proc: ChildProcess; port: number }>;
  const results = {} as Record<Variant, { rps: number[]; cpuUs: number[] }>;
  for (const v of VARIANTS) {
    children[v] = await startChild(v);
    results[v] = { rps: [], cpuUs: [] };
  }
  try {
    for (const v of VARIANTS) await drive(children[v].port, 1); // warm up (JIT)
    for (let run = 1; run <= RUNS; run++) {
      for (const v of VARIANTS) {
        const pid = children[v].proc.pid!;
        const cpu0 = cpuSeconds(pid);
        const t0 = performance.now();
        const n = await drive(children[v].port, SECONDS);
        const wall = (performance.now() - t0) / 1000;
        const cpu = cpuSeconds(pid) - cpu0;
        results[v].rps.push(n / wall);
        results[v].cpuUs.push((cpu / n) * 1e6);
        console.log(`run ${run} ${v.padEnd(16)} ${(n / wall).toFixed(0)} req/s, server CPU ${((cpu / n) * 1e6).toFixed(1)} µs/request`);
      }
    }
  } finally {
    for (const c of Object.values(children)) c.proc.kill('SIGTERM');
  }
  const rpsBare = median(results.bare.rps);
  const rpsMw = median(results.middleware.rps);
  const cpuBare = median(results.bare.cpuUs);
  const cpuMw = median(results.middleware.cpuUs);
  const cpuQuiet = median(results['middleware-quiet'].cpuUs);
  console.log(
    JSON.stringify({
      runs: RUNS,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      rps_bare: Math.round(rpsBare),
      rps_middleware: Math.round(rpsMw),
      rps_ratio: Number((rpsMw / rpsBare).toFixed(3)),
      cpu_us_per_request_bare: Number(cpuBare.toFixed(1)),
      cpu_us_per_request_middleware: Number(cpuMw.toFixed(1)),
      overhead_cpu_us_per_request: Number((cpuMw - cpuBare).toFixed(1)),
      cpu_us_per_request_middleware_quiet: Number(cpuQuiet.toFixed(1)),
      overhead_quiet_cpu_us_per_request: Number((cpuQuiet - cpuBare).toFixed(1)),
      overhead_wall_us_per_request: Number((1e6 / rpsMw - 1e6 / rpsBare).toFixed(1)),
    }),
  );
}

if (process.argv[2] === 'serve') serve(process.argv[3] as Variant);
else await main();
