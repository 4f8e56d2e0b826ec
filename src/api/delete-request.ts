/**
 * Loki's log deletion API on the wire (issue #15): the parameters of `POST /loki/api/v1/delete`
 * and `DELETE /loki/api/v1/delete`, and the JSON objects `GET /loki/api/v1/delete` answers.
 * Times: `start` and `end` take Unix seconds as Loki documents, and the other forms Loki's
 * timestamp parser takes (float seconds, RFC3339, nanoseconds); `start` defaults to 0 and `end` to
 * now, as in Loki, and `end` is inclusive. Answers carry seconds with milliseconds, as Loki's
 * model.Time marshals (`1700000000.123`).
 */
import { LogwharfError } from './errors.js';
import { parseLokiTimestamp } from './timestamp.js';
import { NS_PER_MS } from './time-units.js';

/** Loki's two statuses (its third, `partially processed`, needs sharded requests, which we do not split). */
export type DeleteRequestStatus = 'received' | 'processed';

export interface DeleteRequestJson {
  request_id: string;
  start_time: number;
  end_time: number;
  query: string;
  status: DeleteRequestStatus;
  created_at: number;
}

export interface DeleteRequestParams {
  query: string;
  /** Nanoseconds, both inclusive. */
  start: bigint;
  end: bigint;
}

function invalid(name: string, message: string): LogwharfError {
  return new LogwharfError('invalid_param', message, { param: name });
}

function time(search: URLSearchParams, name: string, def: bigint): bigint {
  const text = search.get(name) ?? '';
  if (text === '') return def;
  const ns = parseLokiTimestamp(text);
  if (ns === undefined) throw invalid(name, `invalid ${name} time: cannot parse "${text.slice(0, 60)}" (want Unix seconds or RFC3339)`);
  return ns;
}

/** `query` (required), `start`, `end` of a new delete request. `now` in ns. */
export function parseDeleteRequestParams(search: URLSearchParams, now: bigint): DeleteRequestParams {
  const query = search.get('query') ?? '';
  if (query.trim() === '') throw invalid('query', 'query not set: a delete request needs a stream selector, e.g. query={app="api"} |= "secret"');
  const start = time(search, 'start', 0n);
  const end = time(search, 'end', now);
  if (end > now) throw invalid('end', 'end time can\'t be greater than current time');
  if (start > end) throw invalid('start', 'start time can\'t be greater than end time');
  return { query, start, end };
}

/** `request_id` of `DELETE /loki/api/v1/delete`. */
export function parseCancelParams(search: URLSearchParams): string {
  const id = search.get('request_id') ?? '';
  if (id === '') throw invalid('request_id', 'request_id not set: name the delete request to cancel (GET /loki/api/v1/delete lists them)');
  return id;
}

/** Seconds with milliseconds, as a JSON number (Loki's model.Time). */
export function nsToJsonSeconds(ns: bigint): number {
  return Number(ns / NS_PER_MS) / 1000;
}
