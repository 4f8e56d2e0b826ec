/**
 * Loki's query-API request parameters: parsing, validation and defaults, once, for every read
 * endpoint (pkg/loghttp/params.go and query.go describe the behaviour we match). Callers turn a
 * form-urlencoded POST body into URLSearchParams first. Every error is LogwharfError('invalid_param')
 * whose message names the parameter, so the HTTP layer can answer 400 with it as Loki does.
 */
import { NS_PER_S } from './time-units.js';
import { LogwharfError } from './errors.js';
import { parsePromDuration } from './duration.js';
import { parseLokiTimestamp } from './timestamp.js';

/** Entries returned when `limit` is absent. */
export const DEFAULT_QUERY_LIMIT = 100;
/** How far back `start` defaults to from `end` (or now) when `since` is absent: 1h. */
export const DEFAULT_SINCE_NS = 3_600_000_000_000n;
export const DEFAULT_DIRECTION: Direction = 'backward';
/** A range query may produce at most this many points per series. */
export const MAX_POINTS_PER_SERIES = 11_000;
/** Without `step`, the range is divided into this many steps (rounded down to whole seconds, at least 1s). */
export const DEFAULT_STEP_DIVISOR = 250n;
/** Upper bound of the tail endpoint's `delay_for`, in seconds. */
export const MAX_TAIL_DELAY_FOR_S = 5;
/** Series returned by the volume endpoints when `limit` is absent or 0. */
export const DEFAULT_VOLUME_LIMIT = 100;
export const DEFAULT_VOLUME_AGGREGATE_BY: VolumeAggregateBy = 'series';

const UINT32_MAX = 4294967295;

export type Direction = 'forward' | 'backward';
export type VolumeAggregateBy = 'series' | 'labels';

/** Parameters of `/loki/api/v1/query_range` (and of the index endpoints, a superset of them). */
export interface RangeQueryParams {
  query: string;
  /** Nanoseconds since the epoch. */
  start: bigint;
  /** Nanoseconds since the epoch. Loki treats it as exclusive for log queries (logcli pages on that). */
  end: bigint;
  limit: number;
  direction: Direction;
  /** Resolution step in nanoseconds, always > 0. */
  step: bigint;
  /** Log-query sampling interval in nanoseconds; 0 when absent. */
  interval: bigint;
}

/** Parameters of `/loki/api/v1/query`. */
export interface InstantQueryParams {
  query: string;
  /** Evaluation time in nanoseconds; defaults to now. */
  time: bigint;
  limit: number;
  direction: Direction;
}

/** Parameters of `/labels` and `/label/<name>/values`. */
export interface LabelParams {
  start: bigint;
  end: bigint;
  /** Optional stream selector narrowing the streams considered. */
  query?: string;
}

/** Parameters of `/series`: `match[]` and `match`, deduplicated and sorted; `{}` alone means none. */
export interface SeriesParams {
  start: bigint;
  end: bigint;
  match: string[];
}

/** Parameters of the `/tail` WebSocket. */
export interface TailParams {
  query: string;
  /** Where the initial backfill starts (now - since, default 1h). */
  start: bigint;
  limit: number;
  /** Seconds to hold entries back so late ones can be ordered, 0–5. */
  delayFor: number;
}

/** Parameters of `/index/stats`: Loki parses them as a range query. */
export interface IndexParams {
  query: string;
  start: bigint;
  end: bigint;
  step: bigint;
}

/** Parameters of `/index/volume` and `/index/volume_range`. */
export interface VolumeParams {
  query: string;
  start: bigint;
  end: bigint;
  limit: number;
  /** Only for volume_range. */
  step?: bigint;
  /** Label names to aggregate into; undefined means the labels matched by the query. */
  targetLabels?: string[];
  aggregateBy: VolumeAggregateBy;
}

function invalid(name: string, message: string): LogwharfError {
  return new LogwharfError('invalid_param', `invalid parameter "${name}": ${message}`, { param: name });
}

function get(search: URLSearchParams, name: string): string {
  return search.get(name) ?? '';
}

/** Go's strconv.Atoi on the value, or `def` when absent. */
function parseIntParam(search: URLSearchParams, name: string, def: number): number {
  const text = get(search, name);
  if (text === '') return def;
  if (!/^[+-]?\d+$/.test(text)) throw invalid(name, `"${text}" is not an integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw invalid(name, `${text} is out of range`);
  return n;
}

function parseLimit(search: URLSearchParams): number {
  const n = parseIntParam(search, 'limit', DEFAULT_QUERY_LIMIT);
  if (n <= 0) throw invalid('limit', 'limit must be a positive value');
  if (n > UINT32_MAX) throw invalid('limit', `limit value ${n} is out of range [0, ${UINT32_MAX}]`);
  return n;
}

function parseDirection(search: URLSearchParams): Direction {
  const text = get(search, 'direction');
  if (text === '') return DEFAULT_DIRECTION;
  const lower = text.toLowerCase();
  if (lower === 'forward' || lower === 'backward') return lower;
  throw invalid('direction', `invalid direction '${text}' (want forward or backward)`);
}

/** A timestamp parameter, or `def` when absent. */
function parseTime(search: URLSearchParams, name: string, def: bigint): bigint {
  const text = get(search, name);
  if (text === '') return def;
  const ns = parseLokiTimestamp(text);
  if (ns === undefined) {
    throw invalid(name, `cannot parse "${text}" as a timestamp (want Unix seconds or nanoseconds, float seconds, or RFC3339)`);
  }
  return ns;
}

/**
 * Loki's bounds: `end` defaults to now; `start` defaults to `since` (default 1h) before `end`, or
 * before now when `end` is in the future.
 */
function parseBounds(search: URLSearchParams, now: bigint): { start: bigint; end: bigint } {
  let since = DEFAULT_SINCE_NS;
  const sinceText = get(search, 'since');
  if (sinceText !== '') {
    const d = parsePromDuration(sinceText);
    if (d === undefined) throw invalid('since', `cannot parse "${sinceText}" as a duration (e.g. 30s, 15m, 6h, 7d)`);
    since = d;
  }
  const end = parseTime(search, 'end', now);
  const endOrNow = end > now ? now : end;
  const start = parseTime(search, 'start', endOrNow - since);
  return { start, end };
}

function checkOrder(start: bigint, end: bigint): void {
  // Loki's message says "or equal", but it rejects only end < start; start == end is a valid range.
  if (end < start) {
    throw new LogwharfError('invalid_param', 'end timestamp must not be before or equal to start time', { param: 'end' });
  }
}

/** Float seconds or a Prometheus duration, as `step` and `interval` take. */
function parseSecondsOrDuration(name: string, text: string): bigint {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) {
    const ns = Number(text) * 1e9;
    if (!Number.isFinite(ns) || Math.abs(ns) >= 9.2e18) throw invalid(name, `cannot parse "${text}" to a valid duration. It overflows int64`);
    return BigInt(Math.trunc(ns));
  }
  const d = parsePromDuration(text);
  if (d === undefined) throw invalid(name, `cannot parse "${text}" to a valid duration`);
  return d;
}

/** Loki's default step: the range divided by 250, floored to whole seconds, at least 1s. */
export function defaultStep(start: bigint, end: bigint): bigint {
  const secs = (end - start) / NS_PER_S / DEFAULT_STEP_DIVISOR;
  return (secs > 1n ? secs : 1n) * NS_PER_S;
}

function parseStep(search: URLSearchParams, start: bigint, end: bigint): bigint {
  const text = get(search, 'step');
  const step = text === '' ? defaultStep(start, end) : parseSecondsOrDuration('step', text);
  if (step <= 0n) {
    throw invalid('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
  }
  if ((end - start) / step > BigInt(MAX_POINTS_PER_SERIES)) {
    throw invalid('step', 'exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter');
  }
  return step;
}

/** Parses `/loki/api/v1/query_range` parameters. `now` is nanoseconds since the epoch. */
export function parseRangeQueryParams(search: URLSearchParams, now: bigint): RangeQueryParams {
  const query = get(search, 'query');
  const { start, end } = parseBounds(search, now);
  checkOrder(start, end);
  const limit = parseLimit(search);
  const direction = parseDirection(search);
  const step = parseStep(search, start, end);
  const intervalText = get(search, 'interval');
  const interval = intervalText === '' ? 0n : parseSecondsOrDuration('interval', intervalText);
  if (interval < 0n) throw invalid('interval', 'interval must be >= 0');
  return { query, start, end, limit, direction, step, interval };
}

/** Parses `/loki/api/v1/query` parameters. `time` defaults to `now`. */
export function parseInstantQueryParams(search: URLSearchParams, now: bigint): InstantQueryParams {
  const query = get(search, 'query');
  const limit = parseLimit(search);
  const time = parseTime(search, 'time', now);
  const direction = parseDirection(search);
  return { query, time, limit, direction };
}

/** Parses `/labels` and `/label/<name>/values` parameters (start, end, since, query). */
export function parseLabelParams(search: URLSearchParams, now: bigint): LabelParams {
  const { start, end } = parseBounds(search, now);
  const query = get(search, 'query');
  return query === '' ? { start, end } : { start, end, query };
}

/** Parses `/series` parameters: `match[]` and `match` (both repeatable), start, end, since. */
export function parseSeriesParams(search: URLSearchParams, now: bigint): SeriesParams {
  const { start, end } = parseBounds(search, now);
  let match = [...new Set([...search.getAll('match[]'), ...search.getAll('match')])].sort();
  if (match.length === 1 && match[0]!.replace(/ /g, '') === '{}') match = [];
  return { start, end, match };
}

/** Parses `/tail` parameters: query, limit, start (or since), delay_for. */
export function parseTailParams(search: URLSearchParams, now: bigint): TailParams {
  const query = get(search, 'query');
  const limit = parseLimit(search);
  const { start } = parseBounds(search, now);
  const delayFor = parseIntParam(search, 'delay_for', 0);
  if (delayFor < 0) throw invalid('delay_for', `delay_for value ${delayFor} is out of range [0, ${UINT32_MAX}]`);
  if (delayFor > MAX_TAIL_DELAY_FOR_S) throw invalid('delay_for', `delay_for can't be greater than ${MAX_TAIL_DELAY_FOR_S}`);
  return { query, start, limit, delayFor };
}

/** Parses `/index/stats` parameters; Loki validates them as a range query. */
export function parseIndexParams(search: URLSearchParams, now: bigint): IndexParams {
  const p = parseRangeQueryParams(search, now);
  return { query: p.query, start: p.start, end: p.end, step: p.step };
}

/**
 * Parses `/index/volume` (`range` false) and `/index/volume_range` (`range` true) parameters:
 * query, start/end/since, limit (default 100; 0 means the default), targetLabels, aggregateBy, and
 * step for the range form.
 */
export function parseVolumeParams(search: URLSearchParams, now: bigint, range: boolean): VolumeParams {
  let limit = parseIntParam(search, 'limit', DEFAULT_VOLUME_LIMIT);
  if (limit === 0) limit = DEFAULT_VOLUME_LIMIT;
  if (limit < 0) throw invalid('limit', 'limit must be a positive value');
  if (limit > UINT32_MAX) throw invalid('limit', `limit value ${limit} is out of range [0, ${UINT32_MAX}]`);
  const query = get(search, 'query');
  const { start, end } = parseBounds(search, now);
  checkOrder(start, end);
  const out: VolumeParams = { query, start, end, limit, aggregateBy: DEFAULT_VOLUME_AGGREGATE_BY };
  if (range) out.step = parseStep(search, start, end);
  else parseTime(search, 'time', now); // validated as Loki does, though the bounds decide the result
  const targets = get(search, 'targetLabels');
  if (targets !== '') out.targetLabels = targets.split(',');
  const aggregateBy = get(search, 'aggregateBy');
  if (aggregateBy !== '') {
    if (aggregateBy !== 'series' && aggregateBy !== 'labels') throw invalid('aggregateBy', `invalid aggregation option "${aggregateBy}" (want series or labels)`);
    out.aggregateBy = aggregateBy;
  }
  return out;
}

/** Sampled lines of `/detected_fields` and `/detected_field/<name>/values` when `line_limit` is absent (Loki: the query limit default). */
export const DEFAULT_DETECTED_LINE_LIMIT = DEFAULT_QUERY_LIMIT;
/** Fields (or values) returned by the detected-fields endpoints when `limit` / `field_limit` is absent. */
export const DEFAULT_DETECTED_FIELD_LIMIT = 1000;

/** Parameters of `/detected_fields` and `/detected_field/<name>/values`. */
export interface DetectedFieldsParams {
  query: string;
  start: bigint;
  end: bigint;
  /** Newest lines sampled. */
  lineLimit: number;
  /** Fields returned (values, for the values endpoint). */
  limit: number;
  step: bigint;
}

/** Parameters of `/detected_labels`. */
export interface DetectedLabelsParams {
  /** Stream selector; empty means every stream. */
  query: string;
  start: bigint;
  end: bigint;
}

/** Parameters of `/patterns`. */
export interface PatternsParams {
  query: string;
  start: bigint;
  end: bigint;
  step: bigint;
}

function positiveParam(search: URLSearchParams, name: string, def: number): number {
  const n = parseIntParam(search, name, def);
  if (n <= 0) throw invalid(name, 'limit must be a positive value');
  if (n > UINT32_MAX) throw invalid(name, `limit value ${n} is out of range [0, ${UINT32_MAX}]`);
  return n;
}

/**
 * Parses `/detected_fields` parameters as Loki does: query, start/end/since, `line_limit` (default
 * 100), `limit` or, for older clients, `field_limit` (default 1000), and `step`.
 */
export function parseDetectedFieldsParams(search: URLSearchParams, now: bigint): DetectedFieldsParams {
  const query = get(search, 'query');
  const { start, end } = parseBounds(search, now);
  checkOrder(start, end);
  const lineLimit = positiveParam(search, 'line_limit', DEFAULT_DETECTED_LINE_LIMIT);
  const limit = positiveParam(search, get(search, 'limit') !== '' ? 'limit' : 'field_limit', DEFAULT_DETECTED_FIELD_LIMIT);
  const step = parseStep(search, start, end);
  return { query, start, end, lineLimit, limit, step };
}

/** Parses `/detected_labels` parameters: query (a stream selector, may be empty), start/end/since. */
export function parseDetectedLabelsParams(search: URLSearchParams, now: bigint): DetectedLabelsParams {
  const { start, end } = parseBounds(search, now);
  checkOrder(start, end);
  return { query: get(search, 'query'), start, end };
}

/** Parses `/patterns` parameters: query, start/end/since, step (Loki's default step when absent). */
export function parsePatternsParams(search: URLSearchParams, now: bigint): PatternsParams {
  const query = get(search, 'query');
  const { start, end } = parseBounds(search, now);
  checkOrder(start, end);
  return { query, start, end, step: parseStep(search, start, end) };
}
