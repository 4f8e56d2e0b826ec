/**
 * The kit logger's cost per line against plain pino (issue #16, target: within 10 %). Both write the
 * same fields (level, time, service, version, env, the call's fields, msg) to a destination that
 * discards, so only building the line is measured. Inside a request, the kit takes request_id,
 * trace_id, span_id and a user field from the context (AsyncLocalStorage); plain pino gets them as
 * a child logger made per request, the way one does without the kit. Both run inside the same
 * request context (which the HTTP middleware opens either way), so only the loggers differ.
 * Time is this process's CPU time (the machine may be shared), and each run alternates the two in
 * SLICES slices, so both see the same machine.
 * Usage: npx tsx bench/logger.bench.ts [runs=3] [lines=200000]
 */
import { pino, type Logger } from 'pino';
import { createLogger } from '../src/kit/logger.js';
import { contextFromHeaders, setContextFields, withContext } from '../src/kit/context.js';

const RUNS = Number(process.argv[2] ?? 3);
const LINES = Number(process.argv[3] ?? 200_000);
const LINES_PER_REQUEST = 10;
const discard = { write(_s: string): void {} };

const kit = createLogger({ service: 'checkout', version: '3.1.0', env: 'production', destination: discard });
const plain = pino(
  {
    base: { service: 'checkout', version: '3.1.0', env: 'production' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    messageKey: 'msg',
  },
  discard,
);

const SLICES = 10;
const SLICE = LINES / SLICES;

function outside(log: Logger): void {
  for (let i = 0; i < SLICE; i++) log.info({ order_id: i, route: '/orders/:id' }, 'order placed');
}

function insideKit(): void {
  for (let r = 0; r < SLICE / LINES_PER_REQUEST; r++) {
    withContext(contextFromHeaders({}), () => {
      setContextFields({ user_id: 'u-7' });
      for (let i = 0; i < LINES_PER_REQUEST; i++) kit.info({ order_id: i, route: '/orders/:id' }, 'order placed');
    });
  }
}

function insidePlain(): void {
  for (let r = 0; r < SLICE / LINES_PER_REQUEST; r++) {
    const ctx = contextFromHeaders({});
    withContext(ctx, () => {
      setContextFields({ user_id: 'u-7' });
      const log = plain.child({ request_id: ctx.request_id, trace_id: ctx.trace_id, span_id: ctx.span_id, user_id: 'u-7' });
      for (let i = 0; i < LINES_PER_REQUEST; i++) log.info({ order_id: i, route: '/orders/:id' }, 'order placed');
    });
  }
}

function cpuSeconds(fn: () => void): number {
  const c = process.cpuUsage();
  fn();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1e6;
}

/** One run: LINES lines each, in alternating slices; lines per CPU second for [plain, kit]. */
function run(c: { plain: () => void; kit: () => void }, kitFirst: boolean): [number, number] {
  let p = 0;
  let k = 0;
  for (let s = 0; s < SLICES; s++) {
    if ((s % 2 === 0) === kitFirst) (k += cpuSeconds(c.kit), (p += cpuSeconds(c.plain)));
    else (p += cpuSeconds(c.plain), (k += cpuSeconds(c.kit)));
  }
  return [LINES / p, LINES / k];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cases: Record<string, { plain: () => void; kit: () => void }> = {
  'outside a request': { plain: () => outside(plain), kit: () => outside(kit) },
  [`inside a request (${LINES_PER_REQUEST} lines each)`]: { plain: insidePlain, kit: insideKit },
};
for (const [name, c] of Object.entries(cases)) {
  run(c, false); // warm-up
  const p: number[] = [];
  const k: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const [lp, lk] = run(c, r % 2 === 1);
    p.push(lp);
    k.push(lk);
  }
  const overhead = (median(p) / median(k) - 1) * 100;
  console.log(`${name}: pino ${Math.round(median(p)).toLocaleString('en')} lines/s, kit ${Math.round(median(k)).toLocaleString('en')} lines/s (runs: pino ${p.map(Math.round).join(', ')}; kit ${k.map(Math.round).join(', ')}), kit overhead ${overhead.toFixed(1)} %`);
}
