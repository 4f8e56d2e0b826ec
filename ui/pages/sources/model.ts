/**
 * What the sources page makes of the registry: a source's display name, whether it needs attention
 * (and why, in words), the order (trouble first), the filter, and the Explore query for its lines.
 * Pure, so it is unit-tested under node.
 */
import type { Source } from './types.js';

/**
 * bad: lines are not arriving (the source failed, or its agent stopped reporting) · warn: it may not
 * be (stopped, lagging, or not a single line yet) · ok · done: finished, nothing more to collect.
 */
export type Attention = 'bad' | 'warn' | 'ok' | 'done';

export interface Health {
  attention: Attention;
  /** Short words for the status column, e.g. `failing`, `agent silent`, `no line yet`. */
  status: string;
  /** A sentence for the tooltip. */
  why: string;
}

/** A source is lagging when its oldest unacknowledged line is older than this. */
export const LAG_WARN_SECONDS = 30;

export function sourceHealth(s: Source): Health {
  if (s.state === 'error') return { attention: 'bad', status: 'failing', why: s.last_error ? `Reading failed: ${s.last_error}` : 'The agent could not read this source.' };
  if (s.stale) return { attention: 'bad', status: 'agent silent', why: `Agent ${s.agent_id} has not reported for three report intervals: it may be down or unable to reach this server.` };
  if (s.state === 'stopped') return { attention: 'warn', status: 'stopped', why: `Agent ${s.agent_id} shut down before finishing this source; it resumes from its saved position when the agent starts again.` };
  if (s.state === 'finished') return { attention: 'done', status: 'finished', why: 'Read to the end (the container or file is gone).' };
  if (s.lag_seconds > LAG_WARN_SECONDS) return { attention: 'warn', status: 'lagging', why: `The oldest line not yet acknowledged by the server was read ${Math.round(s.lag_seconds)} s ago.` };
  if (s.last_error) return { attention: 'warn', status: 'retrying', why: `Last error: ${s.last_error}` };
  if (s.lines_shipped === 0 && !s.last_shipped_at) return { attention: 'warn', status: 'no line yet', why: 'No line of this source has reached the server yet (silent, or not written anything).' };
  return { attention: 'ok', status: s.state, why: s.state === 'draining' ? 'Gone; being read to the end.' : 'Being read; lines are arriving.' };
}

const RANK: Record<Attention, number> = { bad: 0, warn: 1, ok: 2, done: 3 };

/** What a person calls the source: `namespace/pod/container`, the container name, or the file path. */
export function sourceName(s: Source): string {
  if (s.kind === 'kubernetes') return [s.namespace, s.pod, s.container].filter(Boolean).join('/') || s.id;
  if (s.kind === 'docker') return s.container || s.container_id || s.id;
  return s.file || s.labels.filename || s.id;
}

/** Trouble first (failing, then needing a look), then by name. */
export function sortSources(list: Source[]): Source[] {
  return list
    .map((s) => ({ s, rank: RANK[sourceHealth(s).attention], name: sourceName(s) }))
    .sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name) || a.s.agent_id.localeCompare(b.s.agent_id))
    .map((x) => x.s);
}

/** Case-insensitive: every word of the filter appears in the name, kind, agent, state, status, image or a label value. */
export function matchesFilter(s: Source, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = [sourceName(s), s.kind, s.agent_id, s.state, sourceHealth(s).status, s.image ?? '', s.node ?? '', ...Object.entries(s.labels).map(([k, v]) => `${k}=${v}`)].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** The labels that name a source's stream, in the order a person writes them. */
const IDENTIFYING = ['namespace', 'pod', 'container', 'filename'];

/**
 * The LogQL selector for a source's lines, from the labels the registry reports it ships with:
 * `{container="web"}`, `{namespace="shop", pod="web-1", container="nginx"}`, `{filename="/var/log/x.log"}`;
 * all its labels when none of those is there (relabelling renamed them).
 */
export function streamSelector(s: Source): string | undefined {
  const entries = Object.entries(s.labels);
  if (entries.length === 0) return undefined;
  const named = IDENTIFYING.filter((k) => s.labels[k] !== undefined).map((k) => [k, s.labels[k]!] as const);
  const pairs = named.length > 0 ? named : entries.sort(([a], [b]) => a.localeCompare(b));
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(', ')}}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `1.2 kB`, `3.4 MB` (decimal units). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** `0.2 s`, `45 s`, `3 min`: the lag column; `—` when caught up. */
export function formatLag(seconds: number): string {
  if (seconds <= 0) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  return `${Math.round(seconds / 60)} min`;
}
