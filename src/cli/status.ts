/**
 * `logwharf status`: the server's health monitor (GET /api/v1/status) as a table or its JSON. The
 * exit code is the verdict, for scripts and cron: 0 when every component is ok or warning, 1 when
 * any is critical or the server could not be asked, 2 when the command was called wrongly. Warning
 * exits 0 on purpose: it means "look soon", and a deploy script must not stop for a disk at 86 %.
 */
import { LokiClientError } from '../api/client.js';
import { STATUS_PATH, type ComponentReport, type StatusResponse } from '../api/status.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, parseCommand } from './common.js';
import { UsageError, write, type CliIO } from './io.js';
import { maxOf } from '../util/arrays.js';

export const STATUS_USAGE = `Usage: logwharf status [--output table|json] [--component NAME,...]

Asks the server how each of its components is doing (ingest, store, queries, ruler, notifier,
agents, …) and prints one row each, then the problems found. Exit code: 0 when all are ok or
warning, 1 when any is critical or the server cannot be asked, 2 on wrong usage.
  --output table|json   table (default), or the server's JSON answer as it came
  --component A,B       only these components
${CLIENT_HELP}`;

export async function runStatus(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('status', argv, {
    ...CLIENT_OPTIONS,
    output: { type: 'string', short: 'o' },
    component: { type: 'string' },
  });
  if (v.help) {
    await write(io.stdout, STATUS_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`status: takes no arguments, got "${positionals[0]}"`);
  const output = v.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw new UsageError(`--output: "${output}" is not one of table, json`);
  const components = v.component?.split(',').map((s) => s.trim());
  if (components?.some((c) => c === '')) throw new UsageError('--component: an empty name; give names separated by commas, e.g. --component store,agents');
  const client = clientFrom(v);
  let status: StatusResponse;
  try {
    status = await client.status(components);
  } catch (e) {
    throw explain(e, client.url(STATUS_PATH).origin);
  }
  await write(io.stdout, output === 'json' ? JSON.stringify(status, null, 2) + '\n' : formatStatusTable(status));
  return status.status === 'critical' ? 1 : 0;
}

/** The client's error in words that say what to check. */
function explain(e: unknown, origin: string): unknown {
  if (!(e instanceof LokiClientError)) return e;
  if (e.status === undefined) return new LokiClientError(`cannot reach the server at ${origin}: ${e.message} (is it running, and is --addr right?)`, undefined, undefined, { cause: e });
  if (e.status === 404) return new LokiClientError(`${origin} has no ${STATUS_PATH}: it is not a logwharf server (Loki has no health monitor), or --addr has a wrong path`, 404, e.body, { cause: e });
  return e;
}

export function formatStatusTable(s: StatusResponse): string {
  const rows = s.components.map((c) => [c.status.toUpperCase(), c.name, summary(c)] as const);
  const w0 = Math.max(6, maxOf(rows, (r) => r[0].length));
  const w1 = Math.max(9, maxOf(rows, (r) => r[1].length));
  let out = `${'STATUS'.padEnd(w0)}  ${'COMPONENT'.padEnd(w1)}  SUMMARY\n`;
  for (const r of rows) out += `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}\n`;
  out += `\noverall: ${s.status.toUpperCase()} (checked ${s.checked_at})\n`;
  const problems = s.components.flatMap((c) => c.problems.map((p) => ({ ...p, component: c.name })));
  if (problems.length > 0) {
    out += '\nproblems:\n';
    for (const p of problems) out += `  ${p.status.toUpperCase().padEnd(8)}  ${p.component}/${p.check}: ${p.message}\n`;
  }
  return out;
}

/** One line per component: the figures a person looks at first; other components list their scalars. */
function summary(c: ComponentReport): string {
  const f = c.figures as Record<string, any>;
  const num = (x: unknown, digits = 1) => (typeof x === 'number' ? String(Math.round(x * 10 ** digits) / 10 ** digits) : '-');
  const sum = (o: unknown) => Object.values((o ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);
  const ms = (x: unknown) => (typeof x === 'number' ? `${Math.round(x * 1000)}ms` : '-');
  switch (c.name) {
    case 'ingest':
      return `${num(f.lines_per_second)} lines/s, ${bytes(f.bytes_per_second)}/s, ${sum(f.rejected)} rejected (last ${f.window_seconds}s)`;
    case 'store':
      return `disk ${num(f.disk?.used_percent)}% used, ${bytes(f.disk?.free_bytes)} free; data ${bytes(f.data_bytes)}; WAL ${bytes(f.wal_bytes)}; retention ${f.retention?.period}; ${f.quarantined_files} quarantined`;
    case 'queries':
      return `p50 ${ms(f.p50_seconds)}, p99 ${ms(f.p99_seconds)} over ${f.requests} requests; ${f.in_flight} in flight; ${f.timeouts} timeouts (last ${f.window_seconds}s)`;
    case 'ruler':
      return `${f.rules} rules in ${f.groups} groups, ${f.rules_failing} failing, ${f.alerts_firing} alerts firing`;
    case 'notifier':
      return `${f.target}: ${f.attempted} sent, ${f.failed} failed (last ${f.window_seconds}s)`;
    case 'agents':
      return `${f.agents} agents: ${f.reporting} reporting, ${f.stale} stale; ${sum(f.sources)} sources, ${f.sources_failing} failing; lag ${num(f.max_lag_seconds, 0)}s; coverage ${num(f.coverage_percent)}%`;
    case 'fleet':
      return `${f.agents?.total} managed agents: ${f.agents?.connected} connected, ${f.agents?.stale} stale, ${f.agents?.unhealthy} unhealthy; ${Array.isArray(f.rollouts_running) ? f.rollouts_running.length : 0} rollouts running`;
    default:
      return Object.entries(f)
        .filter(([, x]) => typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean')
        .slice(0, 6)
        .map(([k, x]) => `${k}=${String(x)}`)
        .join(', ');
  }
}

function bytes(n: unknown): string {
  if (typeof n !== 'number') return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Math.round(n * 10) / 10} ${units[i]}`;
}
