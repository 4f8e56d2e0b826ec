/**
 * `logwharf rules test`: the backtest. Each alerting rule of a file is evaluated over a past range
 * through `query_range` (so it works against logwharf and a real Loki alike) and stepped through the
 * ruler's own state machine (src/rules/backtest.ts); prints when each alert would have gone pending,
 * firing and resolved, with its labels.
 */
import { readFileSync } from 'node:fs';
import type { LokiClient } from '../api/client.js';
import { labelsToString } from '../api/model.js';
import { NS_PER_MS, nowNs } from '../api/time-units.js';
import { plural } from '../util/plural.js';
import { backtestRule, type BacktestSeries } from '../rules/backtest.js';
import { formatLintLine, lintRuleFile, toRuleGroup } from '../rules/parse.js';
import type { AlertingRule } from '../rules/model.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, durationFlag, parseCommand, rangeFlags } from './common.js';
import { UsageError, write, type CliIO } from './io.js';

/** Default evaluation interval of a group without one (Loki's `evaluation_interval`). */
const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_SINCE = 24n * 3_600_000_000_000n;
/** Loki refuses a range query of more than 11,000 points per series: ask in pieces below that. */
const MAX_POINTS_PER_REQUEST = 10_000;

export const RULES_TEST_USAGE = `Usage: logwharf rules test FILE [--since D | --from T [--to T]] [--step D]

Backtest: evaluates each alerting rule of FILE over a past range through query_range, at the
rule group's interval (default 1m), through the ruler's own alert state machine, and prints when
each alert would have gone pending, firing and resolved (and "inactive": pending that ended before
\`for\`), with its labels, then how often each rule would have fired.
  --since D   range back from --to or now, e.g. 6h, 7d (default 24h)
  --from T    start: RFC3339 (2024-05-01T10:00:00Z), Unix seconds or nanoseconds, now-D (now-7d)
  --to T      end (default now)
  --step D    evaluate every D instead of each group's interval
${CLIENT_HELP}`;

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** The rule's expression over [startMs, endMs] every stepMs, as series of [ms, value]. */
async function evaluate(client: LokiClient, expr: string, startMs: number, endMs: number, stepMs: number): Promise<BacktestSeries[]> {
  const byLabels = new Map<string, { labels: Record<string, string>; samples: Map<number, number> }>();
  const span = stepMs * MAX_POINTS_PER_REQUEST;
  for (let from = startMs; from <= endMs; from += span) {
    const to = Math.min(endMs, from + span - 1);
    const res = await client.queryRange(expr, { start: BigInt(from) * NS_PER_MS, end: BigInt(to) * NS_PER_MS, step: BigInt(stepMs) * NS_PER_MS });
    const data = res.data;
    if (data.resultType === 'streams') throw new Error('the expression returned log lines: a rule needs a metric query');
    const rows = data.resultType === 'matrix' ? data.result.map((s) => ({ labels: s.metric, points: s.values })) : data.resultType === 'vector' ? data.result.map((s) => ({ labels: s.metric, points: [s.value] })) : [];
    for (const r of rows) {
      const key = labelsToString(r.labels);
      let entry = byLabels.get(key);
      if (!entry) byLabels.set(key, (entry = { labels: r.labels, samples: new Map() }));
      for (const [sec, v] of r.points) entry.samples.set(Math.round(sec * 1000), Number(v));
    }
  }
  return [...byLabels.values()].map((e) => ({ labels: e.labels, samples: [...e.samples].sort((a, b) => a[0] - b[0]) }));
}

export async function runRulesTest(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('rules test', argv, {
    ...CLIENT_OPTIONS,
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    step: { type: 'string' },
  });
  if (v.help) {
    await write(io.stdout, RULES_TEST_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('rules test: want exactly one rule file');
  const file = positionals[0]!;
  const range = rangeFlags(v, nowNs(), DEFAULT_SINCE);
  const stepMs = v.step !== undefined ? Number(durationFlag('step', v.step) / NS_PER_MS) : undefined;
  if (stepMs !== undefined && stepMs < 1) throw new UsageError('--step: must be at least 1ms');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`rules test: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const linted = lintRuleFile(text);
  if (linted.problems.length > 0) {
    await write(io.stdout, linted.problems.map((p) => formatLintLine(file, p) + '\n').join(''));
    await write(io.stderr, 'rules test: fix the problems above first\n');
    return 1;
  }
  const client = clientFrom(v);
  const startMs = Number(range.start / NS_PER_MS);
  const endMs = Number(range.end / NS_PER_MS);
  let failed = 0;
  let rules = 0;
  for (const spec of linted.groups) {
    const group = toRuleGroup(spec, { tenant: '', namespace: '', defaultIntervalMs: DEFAULT_INTERVAL_MS, origin: 'dir' });
    const step = stepMs ?? group.intervalMs;
    for (const rule of group.rules) {
      if (rule.kind !== 'alerting') continue;
      rules++;
      const head = `group ${JSON.stringify(group.name)} rule ${JSON.stringify(rule.name)} (for ${fmtDuration(rule.forMs)}${rule.keepFiringForMs > 0 ? `, keep_firing_for ${fmtDuration(rule.keepFiringForMs)}` : ''}, every ${fmtDuration(step)}, ${rfc3339(startMs)} to ${rfc3339(endMs)}):\n`;
      await write(io.stdout, head);
      let series: BacktestSeries[];
      try {
        series = await evaluate(client, rule.expr, startMs, endMs, step);
      } catch (e) {
        failed++;
        await write(io.stdout, `  error: ${(e as Error).message}\n\n`);
        continue;
      }
      await write(io.stdout, report(rule, backtestRule(rule, series, { startMs, endMs, stepMs: step })));
    }
  }
  if (rules === 0) await write(io.stderr, `rules test: ${file} has no alerting rules\n`);
  return failed > 0 ? 1 : 0;
}

function report(rule: AlertingRule, r: ReturnType<typeof backtestRule>): string {
  const rows = r.transitions.map((t) => [rfc3339(t.t), t.kind, labelsToString(t.labels)] as const);
  const w = Math.max(0, ...rows.map((x) => x[1].length));
  let out = rows.map(([t, kind, labels]) => `  ${t}  ${kind.padEnd(w)}  ${labels}\n`).join('');
  const summary =
    r.fired === 0
      ? `never fired (${plural(r.steps, 'evaluation')})`
      : `would have fired ${plural(r.fired, 'time')} (${plural(r.firedAlerts, 'alert')}), ${r.firingAtEnd} still firing at the end (${plural(r.steps, 'evaluation')})`;
  out += `  ${rule.name}: ${summary}\n\n`;
  return out;
}

/** ms as a Prometheus duration (`1h30m`, `0s`). */
function fmtDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let out = '';
  for (const [u, n] of units) {
    if (ms >= n) {
      out += `${Math.floor(ms / n)}${u}`;
      ms %= n;
    }
  }
  return out;
}
