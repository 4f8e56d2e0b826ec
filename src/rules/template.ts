/**
 * Alert templates: the label and annotation templates of alerting rules, in Prometheus' template
 * language as Loki's ruler runs it (Go's text/template with Prometheus' functions, over the data
 * `.Labels`, `.ExternalLabels`, `.ExternalURL`, `.Value` and the variables `$labels`,
 * `$externalLabels`, `$externalURL`, `$value` that Prometheus declares before every template).
 *
 * Built on the line_format engine (src/logql/pipeline/template) with its own function table: the Go
 * builtins plus Prometheus' functions. `query` (and the functions over its results) is not offered:
 * the ruler evaluates LogQL, not PromQL, so a template cannot run a query.
 */
import { LogwharfError } from '../api/errors.js';
import type { Labels } from '../api/model.js';
import { promDurationOrError } from '../api/duration.js';
import { NS_PER_MS, NS_PER_S } from '../api/time-units.js';
import { compileRe2 } from '../logql/regex.js';
import { GoTemplate } from '../logql/pipeline/template/exec.js';
import { GO_BUILTINS, goTitle, regexReplaceAll, type Fn, type FuncTable } from '../logql/pipeline/template/funcs.js';
import { goSprintf } from '../logql/pipeline/template/printf.js';
import { GoTime, TemplateError, asString, goTypeName, type GoValue } from '../logql/pipeline/template/values.js';

export interface AlertTemplateData {
  /** The alert's labels (series labels, rule labels, alertname). */
  labels: Labels;
  /** The series' value at the evaluation. */
  value: number;
  externalLabels: Labels;
  externalURL: string;
}

/** What each function call may read besides its arguments. */
interface AlertCtx {
  externalURL: string;
}

/** The variables Prometheus declares in front of every alert template. */
const HEADER = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

/** fmt's `%.4g`, with Go's spellings of the non-finite values. */
function g4(v: number, suffix = ''): string {
  if (Number.isNaN(v)) return 'NaN' + suffix;
  if (v === Infinity) return '+Inf' + suffix;
  if (v === -Infinity) return '-Inf' + suffix;
  return goSprintf('%.4g', [v]) + suffix;
}

/** Prometheus' convertToFloat: numbers, and strings that parse as floats. */
function toFloat(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim();
    const n = t === v && t !== '' ? Number(/^[+-]?inf(inity)?$/i.test(t) ? t.replace(/inf(inity)?/i, 'Infinity') : t) : NaN;
    if (Number.isNaN(n) && !/^[+-]?nan$/i.test(t)) throw new TemplateError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return n;
  }
  throw new TemplateError(`can't convert ${goTypeName(v)} to float`);
}

const SI_UP = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const SI_DOWN = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];
const IEC_UP = ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'];

/** Scales |v| below `base` (up) or to at least 1 (down), returning the value and its prefix. */
function scaleDown(v: number): [number, string] {
  let prefix = '';
  for (const p of SI_DOWN) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return [v, prefix];
}

export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of SI_UP) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v, prefix);
  }
  const [x, prefix] = scaleDown(v);
  return g4(x, prefix);
}

export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of IEC_UP) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v, prefix);
}

/** Seconds as `1d 2h 3m 4s` (whole seconds from a minute up), `1.5s`, or `1.5ms` below a second. */
export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return g4(v, 's');
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const abs = Math.abs(v);
    // Go's int64(v) truncates; BigInt keeps large values exact.
    const d = BigInt(Math.trunc(abs));
    const seconds = d % 60n;
    const minutes = (d / 60n) % 60n;
    const hours = (d / 3600n) % 24n;
    const days = d / 86400n;
    if (days !== 0n) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0n) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0n) return `${sign}${minutes}m ${seconds}s`;
    return sign + g4(abs, 's');
  }
  const [x, prefix] = scaleDown(v);
  return g4(x, prefix + 's');
}

export function humanizePercentage(v: number): string {
  return g4(v * 100, '%');
}

/** Unix seconds as Go prints a UTC time.Time, at millisecond precision (Prometheus' model.Time). */
export function humanizeTimestamp(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  return goTimeValueString(unixSecondsToTime(v, true));
}

function unixSecondsToTime(v: number, toMs: boolean): GoTime {
  if (!Number.isFinite(v)) throw new TemplateError(`cannot convert ${g4(v)} to time.Time`);
  const ns = BigInt(Math.trunc(v * 1e9));
  return new GoTime(toMs ? (ns / NS_PER_MS) * NS_PER_MS : ns, 'UTC');
}

function goTimeValueString(t: GoTime): string {
  // goSprintf's %v prints a time.Time as Go's Time.String does.
  return goSprintf('%v', [t]);
}

/** net.SplitHostPort's result, or undefined where Go returns an error. */
function splitHostPort(hp: string): [string, string] | undefined {
  if (hp.startsWith('[')) {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(hp);
    return m ? [m[1]!, m[2]!] : undefined;
  }
  const i = hp.lastIndexOf(':');
  if (i < 0 || hp.indexOf(':') !== i) return undefined;
  return [hp.slice(0, i), hp.slice(i + 1)];
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host));
}

function stripDomain(hp: string): string {
  const split = splitHostPort(hp);
  const [host, port] = split ?? [hp, ''];
  if (isIp(host)) return hp;
  const short = host.split('.')[0]!;
  if (port !== '') return short.includes(':') ? `[${short}]:${port}` : `${short}:${port}`;
  return short;
}

function graphLink(expr: string, tab: number): string {
  const q = encodeURIComponent(expr)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `/graph?g0.expr=${q}&g0.tab=${tab}`;
}

function externalPath(url: string): string {
  try {
    const p = new URL(url).pathname;
    return p === '/' && !/^[a-z]+:\/\/[^/]+\/$/i.test(url) ? '' : p;
  } catch {
    return '';
  }
}

const s = asString;
const float1 = (name: string, f: (v: number) => GoValue): Fn<AlertCtx> => ({
  min: 1,
  max: 1,
  fn: (a) => {
    try {
      return f(toFloat(a[0]));
    } catch (e) {
      throw new TemplateError(`${name}: ${(e as Error).message}`);
    }
  },
});
const str1 = (name: string, f: (x: string) => GoValue): Fn<AlertCtx> => ({ min: 1, max: 1, fn: (a) => f(s(a[0], name)) });

/** Prometheus' template functions (the ones that make sense without PromQL), plus Go's builtins. */
export const ALERT_FUNCS: FuncTable<AlertCtx> = {
  ...GO_BUILTINS,
  humanize: float1('humanize', humanize),
  humanize1024: float1('humanize1024', humanize1024),
  humanizeDuration: float1('humanizeDuration', humanizeDuration),
  humanizePercentage: float1('humanizePercentage', humanizePercentage),
  humanizeTimestamp: float1('humanizeTimestamp', humanizeTimestamp),
  toTime: float1('toTime', (v) => unixSecondsToTime(v, false)),
  title: str1('title', goTitle),
  toUpper: str1('toUpper', (x) => x.toUpperCase()),
  toLower: str1('toLower', (x) => x.toLowerCase()),
  match: { min: 2, max: 2, fn: (a) => compileRe2(s(a[0], 'match')).test(s(a[1], 'match')) },
  reReplaceAll: { min: 3, max: 3, fn: (a) => regexReplaceAll(s(a[0], 'reReplaceAll'), s(a[2], 'reReplaceAll'), s(a[1], 'reReplaceAll')) },
  safeHtml: str1('safeHtml', (x) => x),
  stripPort: str1('stripPort', (x) => splitHostPort(x)?.[0] ?? x),
  stripDomain: str1('stripDomain', stripDomain),
  parseDuration: str1('parseDuration', (x) => {
    const r = promDurationOrError(x);
    if (typeof r === 'string') throw new TemplateError(r);
    return Number(r / NS_PER_MS) / 1000 + Number(r % NS_PER_MS) / Number(NS_PER_S);
  }),
  args: { min: 0, fn: (a) => Object.fromEntries(a.map((v, i) => [`arg${i}`, v])) },
  graphLink: str1('graphLink', (x) => graphLink(x, 0)),
  tableLink: str1('tableLink', (x) => graphLink(x, 1)),
  externalURL: { min: 0, max: 0, fn: (_a, ctx) => ctx.externalURL },
  pathPrefix: { min: 0, max: 0, fn: (_a, ctx) => externalPath(ctx.externalURL) },
};

/** Functions of Prometheus' that need PromQL (or its query results): named in the error instead of "not defined". */
const UNSUPPORTED = ['query', 'first', 'label', 'value', 'sortByLabel', 'strvalue'];

/** A compiled alert template. */
export class AlertTemplate {
  readonly source: string;
  private readonly tpl: GoTemplate<AlertCtx>;

  /** Throws LogwharfError('parse_error') naming the problem, e.g. `function "foo" not defined`. */
  constructor(text: string) {
    this.source = text;
    try {
      this.tpl = new GoTemplate(HEADER + text, ALERT_FUNCS);
    } catch (e) {
      if (!(e instanceof LogwharfError)) throw e;
      const m = /function "([^"]+)" not defined/.exec(e.message);
      if (m && UNSUPPORTED.includes(m[1]!)) {
        throw new LogwharfError('parse_error', `invalid template: function "${m[1]}" is not supported in alert templates: they cannot run queries`);
      }
      // The message quotes the source; quote what the user wrote, not our header.
      throw new LogwharfError('parse_error', e.message.split(JSON.stringify((HEADER + text).slice(0, 200))).join(JSON.stringify(text.slice(0, 200))));
    }
  }

  /** Renders; throws TemplateError (an Error) on an execution error. */
  render(data: AlertTemplateData): string {
    const root: Record<string, GoValue> = {
      Labels: { ...data.labels },
      ExternalLabels: { ...data.externalLabels },
      ExternalURL: data.externalURL,
      Value: data.value,
    };
    return this.tpl.execute(root, { externalURL: data.externalURL }, [root.Labels, root.ExternalLabels]);
  }
}

/** Checks a template without rendering it: the reason it does not compile, or undefined. */
export function templateProblem(text: string): string | undefined {
  if (!text.includes('{{')) return undefined;
  try {
    new AlertTemplate(text);
    return undefined;
  } catch (e) {
    if (e instanceof LogwharfError) return e.message;
    throw e;
  }
}

// The evaluator renders the same few templates every interval for every series: compile each once.
const CACHE_MAX = 4096;
const cache = new Map<string, AlertTemplate>();

function compiled(text: string): AlertTemplate {
  let t = cache.get(text);
  if (!t) {
    t = new AlertTemplate(text);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(text, t);
  }
  return t;
}

/**
 * Renders one template as Prometheus does for an alert: a template that fails (to compile or to run)
 * becomes `<error expanding template: ...>` rather than failing the evaluation. `alertName` names the
 * template in the message as Prometheus does (`__alert_<name>`).
 */
export function expandTemplate(text: string, data: AlertTemplateData, alertName: string): string {
  if (!text.includes('{{')) return text;
  const name = `__alert_${alertName}`;
  let tpl: AlertTemplate;
  try {
    tpl = compiled(text);
  } catch (e) {
    return `<error expanding template: error parsing template ${name}: ${(e as Error).message}>`;
  }
  try {
    return tpl.render(data);
  } catch (e) {
    if (e instanceof TemplateError || e instanceof LogwharfError) return `<error expanding template: error executing template ${name}: ${e.message}>`;
    throw e;
  }
}

/**
 * An alert's labels and annotations rendered, as the evaluator and the backtest need them. As in
 * Prometheus, both are rendered against the series' own labels; the result is the series' labels with
 * the rule's labels set over them (a label rendered empty is removed) and `alertname`.
 */
export function expandLabelsAndAnnotations(
  rule: { name: string; labels: Labels; annotations: Labels },
  series: { labels: Labels; value: number },
  env: { externalLabels: Labels; externalURL: string },
): { labels: Labels; annotations: Labels } {
  const data: AlertTemplateData = { labels: series.labels, value: series.value, externalLabels: env.externalLabels, externalURL: env.externalURL };
  const labels: Labels = { ...series.labels };
  delete labels.__name__;
  for (const [k, v] of Object.entries(rule.labels)) {
    const x = expandTemplate(v, data, rule.name);
    if (x === '') delete labels[k];
    else labels[k] = x;
  }
  labels.alertname = rule.name;
  const annotations: Labels = {};
  for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = expandTemplate(v, data, rule.name);
  return { labels, annotations };
}
