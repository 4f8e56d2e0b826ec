/**
 * Grafana's datasource provisioning file (apiVersion 1), shared by the Kubernetes sidecar ConfigMap
 * and the Compose profile: a Loki datasource pointed at the server, trace_id as a derived field, and
 * with tokens the Authorization header from Grafana's environment (Grafana expands $VAR in
 * provisioning files), so no secret is written into a manifest.
 */
import type { DeployValues } from './values.js';

export const DATASOURCE_UID = 'logwharf';
/** The variable of Grafana's environment holding a read token, when tokens are on. */
export const GRAFANA_TOKEN_ENV = 'LOGWHARF_TOKEN';

export function datasourceProvisioning(v: DeployValues, url: string, opts: { caFile?: string } = {}): Record<string, unknown> {
  const jsonData: Record<string, unknown> = {
    maxLines: 1000,
    // JSON lines of services using logwharf/logger carry "trace_id" (docs/log-schema.md); the derived
    // field shows it as a field of the line and can be pointed at a tracing datasource in Grafana.
    // `$$` is Grafana's escape for a literal `$` in provisioning files.
    derivedFields: [{ name: 'trace_id', matcherType: 'regex', matcherRegex: '"trace_id":"([0-9a-f]{32})"', url: '$${__value.raw}' }],
  };
  const secureJsonData: Record<string, string> = {};
  if (v.tokens.enabled) {
    jsonData.httpHeaderName1 = 'Authorization';
    secureJsonData.httpHeaderValue1 = `Bearer $${GRAFANA_TOKEN_ENV}`;
  }
  if (opts.caFile) {
    jsonData.tlsAuthWithCACert = true;
    secureJsonData.tlsCACert = `$__file{${opts.caFile}}`;
  }
  const ds: Record<string, unknown> = { name: 'logwharf', type: 'loki', uid: DATASOURCE_UID, access: 'proxy', url, isDefault: true, editable: false, jsonData };
  if (Object.keys(secureJsonData).length > 0) ds.secureJsonData = secureJsonData;
  return { apiVersion: 1, datasources: [ds] };
}

/** A Prometheus datasource beside it (Compose's `prometheus` profile), which the dashboards' `prometheus` variable offers. */
export function prometheusDatasource(url: string): Record<string, unknown> {
  return { apiVersion: 1, datasources: [{ name: 'Prometheus', type: 'prometheus', uid: 'prometheus', access: 'proxy', url, isDefault: false, editable: false }] };
}
