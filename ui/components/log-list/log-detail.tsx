/**
 * An expanded line: its stream labels, structured metadata, the labels the query's parsers produced
 * and the fields a `json` or `logfmt` parser would extract, each with "Filter for" / "Filter out";
 * and the Context button with the neighbouring lines once loaded.
 */
import type { LogRow } from '../../lib/loki.js';
import { formatTime, type Zone } from '../../lib/time.js';
import { lineFields } from '../../lib/line-fields.js';
import type { LineContext, LineFilter } from './types.js';
import { correlationOf, requestLinesHref } from '../../lib/request-lines.js';
import { navigate } from '../../lib/route.js';

export type ContextState = { status: 'loading' } | { status: 'done'; context: LineContext } | { status: 'error'; message: string };

interface Props {
  row: LogRow;
  zone: Zone;
  onFilter?: (f: LineFilter) => void;
  onContext?: () => void;
  context?: ContextState;
}

export function LogDetail({ row, zone, onFilter, onContext, context }: Props) {
  // Shown only when the query's own parsers did not already produce the same fields (`| json`).
  const parsed = lineFields(row.line);
  const taken = (name: string) => name in row.labels || name in row.structuredMetadata;
  const correlation = correlationOf(row, parsed?.fields);
  const requestHref = correlation && requestLinesHref(correlation, row.ms);
  return (
    <div class="log-detail" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
      <FieldTable title="Stream labels" entries={Object.entries(row.labels)} filter={onFilter && ((name, value, op) => onFilter({ source: 'label', name, value, op }))} />
      <FieldTable title="Structured metadata" entries={Object.entries(row.structuredMetadata)} filter={onFilter && ((name, value, op) => onFilter({ source: 'metadata', name, value, op }))} />
      <FieldTable title="Labels from the query's parsers" entries={Object.entries(row.parsed)} filter={onFilter && ((name, value, op) => onFilter({ source: 'parsed', name, value, op }))} />
      {parsed && !parsed.fields.every(([n, v]) => row.parsed[n] === v) && (
        <FieldTable
          title={`Fields (${parsed.parser})`}
          // Loki renames an extracted field that collides with an existing label: filter on the name the query will see.
          entries={parsed.fields.map(([n, v]) => [taken(n) ? `${n}_extracted` : n, v])}
          filter={onFilter && ((name, value, op) => onFilter({ source: 'field', parser: parsed.parser, name, value, op }))}
        />
      )}
      {(onContext || requestHref) && (
        <div class="log-detail-actions">
          {onContext && (
            <button type="button" class="log-context-button" onClick={onContext} disabled={context?.status === 'loading'}>
              {context ? 'Reload context' : 'Context'}
            </button>
          )}
          {requestHref && (
            <a
              class="log-request-link"
              href={requestHref}
              title={`Every service's lines with ${correlation!.field} ${correlation!.id}, 15 minutes either side`}
              onClick={(e) => {
                if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                e.preventDefault();
                navigate('explore', new URLSearchParams(requestHref.split('?')[1]));
              }}
            >
              All lines of this request
            </a>
          )}
        </div>
      )}
      {context?.status === 'loading' && <div class="log-context-loading">Loading the lines around this one…</div>}
      {context?.status === 'error' && <div class="error-box">{context.message}</div>}
      {context?.status === 'done' && <ContextLines row={row} zone={zone} context={context.context} />}
    </div>
  );
}

function FieldTable({ title, entries, filter }: { title: string; entries: Array<[string, string]>; filter?: (name: string, value: string, op: '=' | '!=') => void }) {
  if (entries.length === 0) return null;
  return (
    <section class="log-fields" aria-label={title}>
      <h4>{title}</h4>
      <table>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k} data-field={k}>
              <th scope="row">{k}</th>
              <td class="log-field-value">{v}</td>
              {filter && (
                <td class="log-field-actions">
                  <button type="button" aria-label={`Filter for ${k}=${v}`} title="Filter for this value" onClick={() => filter(k, v, '=')}>
                    Filter for
                  </button>
                  <button type="button" aria-label={`Filter out ${k}=${v}`} title="Filter out this value" onClick={() => filter(k, v, '!=')}>
                    Filter out
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ContextLines({ row, zone, context }: { row: LogRow; zone: Zone; context: LineContext }) {
  const line = (r: LogRow, self: boolean) => (
    <div key={r.id} class={`log-context-line level-${r.level}${self ? ' log-context-self' : ''}`} data-level={r.level} aria-current={self ? 'true' : undefined}>
      <span class="log-ts">{formatTime(r.ms, zone)}</span>
      <span class="log-line">{r.line}</span>
    </div>
  );
  return (
    <section class="log-context" aria-label="Context">
      <h4>Context in this stream</h4>
      {context.before.length === 0 && <div class="log-context-edge">No earlier lines</div>}
      {context.before.map((r) => line(r, false))}
      {line(row, true)}
      {context.after.map((r) => line(r, false))}
      {context.after.length === 0 && <div class="log-context-edge">No later lines</div>}
    </section>
  );
}
