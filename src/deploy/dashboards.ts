/**
 * The Grafana dashboards, as Grafana's dashboard JSON model: container logs overview (LogQL on the
 * logwharf datasource) and logwharf health (PromQL over the server's /metrics, on a Prometheus
 * datasource chosen by a variable, since Grafana needs one to scrape into), from issue #14; and
 * service health (issue #16), the kit's request metrics beside the same services' logs.
 * test/e2e/deploy-dashboards.test.ts runs every panel's query against a server holding the
 * benchmark corpus (and a real Prometheus scraping it) and requires data.
 */
import { DATASOURCE_UID } from './grafana.js';

export interface PanelQuery {
  refId: string;
  expr: string;
  legendFormat?: string;
  queryType?: 'range' | 'instant';
}

export interface Panel {
  id: number;
  title: string;
  type: 'timeseries' | 'logs' | 'table' | 'stat' | 'bargauge';
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: PanelQuery[];
  [field: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  time: { from: string; to: string };
  refresh: string;
  templating: { list: Record<string, unknown>[] };
  panels: Panel[];
  [field: string]: unknown;
}

const LOKI = { type: 'loki', uid: DATASOURCE_UID };
const PROM = { type: 'prometheus', uid: '${prometheus}' };

/** The stream selector and level filter every panel of the overview shares, from its two variables. */
const SELECTED = '{container=~"$container"} | detected_level=~"$level"';

function panels(list: Array<Omit<Panel, 'id' | 'gridPos'> & { w: number; h: number }>): Panel[] {
  // Laid out left to right in rows of 24 columns, as Grafana's grid is.
  let x = 0;
  let y = 0;
  let rowH = 0;
  return list.map(({ w, h, ...p }, i) => {
    if (x + w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const panel = { ...p, id: i + 1, gridPos: { x, y, w, h } } as Panel;
    x += w;
    rowH = Math.max(rowH, h);
    return panel;
  });
}

export function containerLogsDashboard(): Dashboard {
  return {
    uid: 'logwharf-containers',
    title: 'Container logs overview',
    tags: ['logwharf', 'logs'],
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [
        {
          name: 'container',
          label: 'Container',
          type: 'query',
          datasource: LOKI,
          query: { label: 'container', stream: '', type: 1 },
          definition: 'label_values(container)',
          multi: true,
          includeAll: true,
          allValue: '.+',
          current: { text: 'All', value: '$__all' },
          refresh: 2,
          sort: 1,
        },
        {
          // detected_level is structured metadata (added at ingest, docs/log-schema.md), not a label,
          // so its values are the fixed set the detector gives.
          name: 'level',
          label: 'Level',
          type: 'custom',
          query: 'critical,error,warn,info,debug,trace,unknown',
          multi: true,
          includeAll: true,
          allValue: '.+',
          current: { text: 'All', value: '$__all' },
        },
      ],
    },
    panels: panels([
      {
        title: 'Log volume by container',
        type: 'timeseries',
        datasource: LOKI,
        w: 12,
        h: 8,
        targets: [{ refId: 'A', expr: `sum by (container) (count_over_time(${SELECTED} [$__auto]))`, legendFormat: '{{container}}' }],
        fieldConfig: { defaults: { custom: { drawStyle: 'bars', stacking: { mode: 'normal' } } }, overrides: [] },
      },
      {
        title: 'Log volume by level',
        type: 'timeseries',
        datasource: LOKI,
        w: 12,
        h: 8,
        targets: [{ refId: 'A', expr: `sum by (detected_level) (count_over_time(${SELECTED} [$__auto]))`, legendFormat: '{{detected_level}}' }],
        fieldConfig: { defaults: { custom: { drawStyle: 'bars', stacking: { mode: 'normal' } } }, overrides: [] },
      },
      {
        title: 'Error rate by container (lines/s)',
        type: 'timeseries',
        datasource: LOKI,
        w: 12,
        h: 8,
        targets: [{ refId: 'A', expr: 'sum by (container) (rate({container=~"$container"} | detected_level=~"error|critical" [$__auto]))', legendFormat: '{{container}}' }],
      },
      {
        // A panel cannot query log patterns (/loki/api/v1/patterns serves Drilldown and the web UI's
        // Overview): the top messages of structured lines (the `msg` field of JSON and logfmt) stand in.
        title: 'Top messages',
        type: 'table',
        datasource: LOKI,
        w: 12,
        h: 8,
        targets: [
          { refId: 'A', queryType: 'instant', expr: `topk(10, sum by (container, msg) (count_over_time(${SELECTED} | json msg | __error__="" | msg!="" [$__range])))` },
          { refId: 'B', queryType: 'instant', expr: `topk(10, sum by (container, msg) (count_over_time(${SELECTED} | logfmt msg | __error__="" | msg!="" [$__range])))` },
        ],
      },
      {
        title: 'Logs',
        type: 'logs',
        datasource: LOKI,
        w: 24,
        h: 14,
        targets: [{ refId: 'A', expr: SELECTED }],
        options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true },
      },
    ]),
  };
}

export function healthDashboard(): Dashboard {
  return {
    uid: 'logwharf-health',
    title: 'logwharf health',
    tags: ['logwharf'],
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: { list: [{ name: 'prometheus', label: 'Prometheus', type: 'datasource', query: 'prometheus' }] },
    panels: panels([
      {
        title: 'Ingest (entries/s)',
        type: 'timeseries',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [{ refId: 'A', expr: 'sum by (instance) (rate(logwharf_store_entries_appended_total[$__rate_interval]))', legendFormat: '{{instance}}' }],
      },
      {
        title: 'Query latency p99 (s)',
        type: 'timeseries',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [
          {
            refId: 'A',
            expr: 'histogram_quantile(0.99, sum by (le, route) (rate(logwharf_request_duration_seconds_bucket{route=~"/loki/api/v1/query.*"}[$__rate_interval])))',
            legendFormat: '{{route}}',
          },
        ],
      },
      {
        // No bytes-on-disk figure is exported yet; sealed blocks and head bytes show the trend
        // (in Kubernetes, the kubelet's kubelet_volume_stats_used_bytes shows the PVC).
        title: 'Store: sealed blocks and head bytes',
        type: 'timeseries',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [
          { refId: 'A', expr: 'sum by (instance) (logwharf_store_blocks)', legendFormat: 'blocks {{instance}}' },
          { refId: 'B', expr: 'sum by (instance) (logwharf_store_head_bytes)', legendFormat: 'head bytes {{instance}}' },
        ],
      },
      {
        title: 'Retention: runs and blocks deleted per hour',
        type: 'timeseries',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [
          { refId: 'A', expr: 'sum by (instance) (increase(logwharf_store_compactions_total[1h]))', legendFormat: 'runs {{instance}}' },
          // The counter is per tenant and has no series until retention first deletes a block: 0 until then.
          { refId: 'B', expr: 'sum(increase(logwharf_store_retention_deleted_blocks_total[1h])) or on() vector(0)', legendFormat: 'blocks deleted' },
        ],
      },
      {
        title: 'Agents: sources by state',
        type: 'timeseries',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [{ refId: 'A', expr: 'sum by (state) (logwharf_registry_sources)', legendFormat: '{{state}}' }],
      },
      {
        title: 'Coverage',
        type: 'stat',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [{ refId: 'A', expr: 'min(logwharf_registry_coverage_ratio)' }],
        fieldConfig: { defaults: { unit: 'percentunit', min: 0, max: 1 }, overrides: [] },
      },
    ]),
  };
}

/** The request metrics of one selection of services (the kit's metrics, labelled `service` by the rendered scrape configurations). */
const SVC = 'service=~"$service"';
/** The kit's lines of the selected services: `service` is a field of every line (docs/log-schema.md), whatever the stream's labels. */
const SVC_LOGS = '{service_name=~".+"} | json service | service=~"$service"';

/**
 * Service health (issue #16): a service's request rate, error rate and latency from Prometheus
 * beside its log volume and newest errors from logwharf. Metrics come from `logwharf/logger`'s
 * middleware (http_requests_total, http_request_errors_total, http_request_duration_seconds);
 * the `service` variable is the target label the scrape configurations set, and the same name is
 * the kit's `service` field in the logs. Errors are 5xx answers (what http_request_errors_total
 * counts); in the logs, lines at error level and above.
 */
export function serviceHealthDashboard(): Dashboard {
  return {
    uid: 'logwharf-service-health',
    title: 'Service health',
    tags: ['logwharf', 'services'],
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        { name: 'prometheus', label: 'Prometheus', type: 'datasource', query: 'prometheus' },
        {
          name: 'service',
          label: 'Service',
          type: 'query',
          datasource: PROM,
          query: { query: 'label_values(http_requests_total, service)', refId: 'service' },
          definition: 'label_values(http_requests_total, service)',
          multi: true,
          includeAll: true,
          allValue: '.+',
          current: { text: 'All', value: '$__all' },
          refresh: 2,
          sort: 1,
        },
      ],
    },
    panels: panels([
      {
        title: 'Request rate (req/s)',
        type: 'timeseries',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [{ refId: 'A', expr: `sum by (service) (rate(http_requests_total{${SVC}}[$__rate_interval]))`, legendFormat: '{{service}}' }],
        fieldConfig: { defaults: { unit: 'reqps' }, overrides: [] },
      },
      {
        title: 'Error rate (5xx share)',
        type: 'timeseries',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [
          {
            refId: 'A',
            // A service without a 5xx has no error series yet: 0, not a gap.
            expr: `(sum by (service) (rate(http_request_errors_total{${SVC}}[$__rate_interval])) or sum by (service) (rate(http_requests_total{${SVC}}[$__rate_interval])) * 0) / sum by (service) (rate(http_requests_total{${SVC}}[$__rate_interval]))`,
            legendFormat: '{{service}}',
          },
        ],
        fieldConfig: { defaults: { unit: 'percentunit', min: 0 }, overrides: [] },
      },
      {
        title: 'Latency p50 / p90 / p99 (s)',
        type: 'timeseries',
        datasource: PROM,
        w: 8,
        h: 8,
        targets: [0.5, 0.9, 0.99].map((q, i) => ({
          refId: String.fromCharCode(65 + i),
          expr: `histogram_quantile(${q}, sum by (le, service) (rate(http_request_duration_seconds_bucket{${SVC}}[$__rate_interval])))`,
          legendFormat: `p${Math.round(q * 100)} {{service}}`,
        })),
        fieldConfig: { defaults: { unit: 's' }, overrides: [] },
      },
      {
        title: 'Log volume by level',
        type: 'timeseries',
        datasource: LOKI,
        w: 12,
        h: 8,
        targets: [{ refId: 'A', expr: `sum by (service, detected_level) (count_over_time(${SVC_LOGS} [$__auto]))`, legendFormat: '{{service}} {{detected_level}}' }],
        fieldConfig: { defaults: { custom: { drawStyle: 'bars', stacking: { mode: 'normal' } } }, overrides: [] },
      },
      {
        title: 'Newest errors',
        type: 'logs',
        datasource: LOKI,
        w: 12,
        h: 8,
        // The kit writes fatal as "fatal" (Python's CRITICAL too); other producers may say "critical".
        targets: [{ refId: 'A', expr: `${SVC_LOGS} | detected_level=~"error|fatal|critical"` }],
        options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true },
      },
    ]),
  };
}

export const DASHBOARDS = [containerLogsDashboard, healthDashboard, serviceHealthDashboard];

/** Grafana's dashboard provider file: load every dashboard JSON under `path`. */
export function dashboardProvider(path: string): Record<string, unknown> {
  return { apiVersion: 1, providers: [{ name: 'logwharf', folder: 'logwharf', type: 'file', disableDeletion: false, allowUiUpdates: false, options: { path } }] };
}
