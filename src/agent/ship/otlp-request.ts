/**
 * Streams as an OTLP logs request: one ResourceLogs per stream, its labels as resource attributes,
 * each entry a LogRecord (timeUnixNano = the entry's timestamp, body = the line, structured metadata
 * as string attributes).
 *
 * Loki (and logwharf) index only a fixed list of resource attributes as labels
 * (`default_resource_attributes_as_index_labels`); every other attribute becomes structured
 * metadata. So our labels that have an OpenTelemetry semantic-convention twin on that list are
 * renamed to it (container → container.name or k8s.container.name, namespace →
 * k8s.namespace.name, pod → k8s.pod.name, service_name → service.name) and come back as
 * container_name, k8s_namespace_name, …; the rest keep their names and arrive as structured
 * metadata (still queryable with `| host="…"`).
 */
import type { StreamPush } from '../../api/model.js';
import { emptyLogRecord, emptyScope, type OtlpKeyValue, type OtlpLogsRequest, type OtlpResourceLogs } from '../../api/push/index.js';

const KUBERNETES_RENAMES: Record<string, string> = {
  container: 'k8s.container.name',
  namespace: 'k8s.namespace.name',
  pod: 'k8s.pod.name',
  node: 'k8s.node.name',
  service_name: 'service.name',
  host: 'host.name',
};

const CONTAINER_RENAMES: Record<string, string> = {
  container: 'container.name',
  container_id: 'container.id',
  image: 'container.image.name',
  service_name: 'service.name',
  host: 'host.name',
};

const SCOPE = { ...emptyScope(), name: 'logwharf-agent' };

/** The OTLP attribute name of one of our labels, for a stream with these labels. */
export function otlpAttributeName(label: string, kubernetes: boolean): string {
  const renames = kubernetes ? KUBERNETES_RENAMES : CONTAINER_RENAMES;
  // Own keys only: a label named `constructor` or `toString` must not pick up Object.prototype's
  // function (found by the push decoder fuzz test; the encoder then threw on every such stream).
  return Object.hasOwn(renames, label) ? renames[label]! : label;
}

export function toOtlpRequest(streams: StreamPush[]): OtlpLogsRequest {
  const resourceLogs: OtlpResourceLogs[] = [];
  for (const s of streams) {
    const kubernetes = s.labels.namespace !== undefined || s.labels.pod !== undefined;
    const attributes: OtlpKeyValue[] = [];
    for (const [k, v] of Object.entries(s.labels)) attributes.push({ key: otlpAttributeName(k, kubernetes), value: v });
    const logRecords = s.entries.map((e) => {
      const r = emptyLogRecord();
      r.timeUnixNano = e.ts;
      r.body = e.line;
      if (e.metadata) r.attributes = Object.entries(e.metadata).map(([key, value]) => ({ key, value }));
      return r;
    });
    resourceLogs.push({ attributes, droppedAttributesCount: 0, scopeLogs: [{ scope: SCOPE, logRecords }] });
  }
  return { resourceLogs };
}
