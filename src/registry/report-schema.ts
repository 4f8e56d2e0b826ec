/**
 * Validation of `POST /api/v1/sources` bodies and of the GET filter. A report comes from the network,
 * so every field is checked for type and size before it reaches SQLite. Unknown keys are dropped,
 * not rejected: a newer agent reporting an extra field must not lose its whole report to an older
 * server.
 */
import { z } from 'zod';
import { LogwharfError } from '../api/errors.js';
import type { SourceKind, SourceReport, SourceState } from '../api/sources.js';
import type { SourcesFilter } from './registry.js';

/** Sources per report: one agent with more than this many is not a node we are built for. */
export const MAX_SOURCES_PER_REPORT = 10_000;
/** Bytes of one report after decompression; 10,000 sources of about 1 KiB each fit with room. */
export const MAX_REPORT_BYTES = 16 * 1024 * 1024;

const KINDS = ['docker', 'kubernetes', 'file'] as const satisfies readonly SourceKind[];
/** States an agent reports; `stopped` is set by the server only (from a `stopping` report). */
const STATES = ['tailing', 'draining', 'finished', 'error'] as const satisfies readonly SourceState[];
const FILTER_STATES = [...STATES, 'stopped'] as const satisfies readonly SourceState[];

const MAX_LABELS = 128;
const text = (max: number) => z.string().max(max, `at most ${max} characters`);
const name = z.string().min(1, 'must not be empty').max(1024, 'at most 1024 characters');
const count = z.number().int().nonnegative();
// A missing or non-string value keeps zod's "expected string" message; only a bad format gets ours.
const time = z.iso.datetime({ offset: true, error: (i) => (typeof i.input === 'string' ? 'expected an RFC 3339 time such as 2026-01-02T03:04:05Z' : undefined) });

const sourceSchema = z.object({
  id: name,
  kind: z.enum(KINDS),
  node: text(1024).optional(),
  container: text(1024).optional(),
  container_id: text(128).optional(),
  pod: text(1024).optional(),
  namespace: text(1024).optional(),
  image: text(4096).optional(),
  file: text(4096).optional(),
  labels: z
    .record(name, text(4096))
    .refine((l) => Object.keys(l).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`),
  state: z.enum(STATES),
  lines_read: count,
  lines_shipped: count,
  bytes_shipped: count,
  lines_dropped: count,
  lag_seconds: z.number().nonnegative(),
  last_error: text(4096).optional(),
  first_seen: time,
  last_shipped_at: time.optional(),
});

const reportSchema = z.object({
  agent: z.object({ id: name, host: text(1024), version: text(256), started_at: time }),
  sources: z.array(sourceSchema).max(MAX_SOURCES_PER_REPORT, `at most ${MAX_SOURCES_PER_REPORT} sources per report`),
  stopping: z.boolean().optional(),
});

/** Parses and validates a report body; a LogwharfError (400) says which field is wrong and why. */
export function parseSourceReport(body: Buffer): SourceReport {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new LogwharfError('bad_request', `invalid source report: the body is not JSON (${(e as Error).message})`);
  }
  const r = reportSchema.safeParse(json);
  if (!r.success) throw new LogwharfError('bad_request', `invalid source report: ${describeIssues(r.error.issues)}`);
  const seen = new Set<string>();
  for (const s of r.data.sources) {
    if (seen.has(s.id)) throw new LogwharfError('bad_request', `invalid source report: source id ${JSON.stringify(s.id.slice(0, 200))} appears twice`);
    seen.add(s.id);
  }
  return r.data;
}

/** Reads the GET filter from query parameters; empty values mean "any". */
export function parseSourcesFilter(params: URLSearchParams): SourcesFilter {
  const filter: SourcesFilter = {};
  const state = params.get('state');
  if (state) {
    if (!(FILTER_STATES as readonly string[]).includes(state)) throw invalidParam('state', state, FILTER_STATES);
    filter.state = state as SourceState;
  }
  const kind = params.get('kind');
  if (kind) {
    if (!(KINDS as readonly string[]).includes(kind)) throw invalidParam('kind', kind, KINDS);
    filter.kind = kind as SourceKind;
  }
  for (const key of ['agent', 'namespace', 'container'] as const) {
    const v = params.get(key);
    if (v) filter[key] = v;
  }
  return filter;
}

function invalidParam(key: string, value: string, allowed: readonly string[]): LogwharfError {
  return new LogwharfError('invalid_param', `invalid ${key} ${JSON.stringify(value.slice(0, 100))}: expected one of ${allowed.join(', ')}`);
}

/** `sources[3].lines_read: Invalid input: expected number, received string`, for the first few issues. */
function describeIssues(issues: z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return shown.join('; ');
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(body)';
}
