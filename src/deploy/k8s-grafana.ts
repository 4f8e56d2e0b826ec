/** The datasource ConfigMap for Grafana's sidecar (the Grafana Helm chart's `sidecar.datasources`), which loads every ConfigMap carrying its label. */
import { stringify } from 'yaml';
import type { DeployValues } from './values.js';
import { datasourceProvisioning } from './grafana.js';
import { serverUrl, serviceHost } from './role-configs.js';
import { meta, type IConfigMap, type K8sObject, type Named } from './k8s-common.js';
import { DASHBOARDS } from './dashboards.js';

/** The label the Grafana Helm chart's dashboard sidecar looks for by default. */
export const DASHBOARD_LABEL = { grafana_dashboard: '1' };

/** Where Grafana must mount the TLS Secret's ca.crt when the server speaks HTTPS (docs/deploy.md). */
export const GRAFANA_CA_FILE = '/etc/grafana/logwharf-ca/ca.crt';

export function grafanaObjects(v: DeployValues): K8sObject[] {
  if (!v.grafana.enabled) return [];
  const url = v.grafana.datasource_url ?? serverUrl(v, serviceHost(v));
  const m = meta(v, 'logwharf-grafana-datasource', 'grafana');
  m.labels = { ...m.labels, ...v.grafana.sidecar_label };
  const file = datasourceProvisioning(v, url, v.tls.secret ? { caFile: GRAFANA_CA_FILE } : {});
  const dashboards = DASHBOARDS.map((make): Named<IConfigMap> => {
    const d = make();
    const dm = meta(v, `${d.uid}-dashboard`, 'grafana');
    dm.labels = { ...dm.labels, ...DASHBOARD_LABEL };
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: dm, data: { [`${d.uid}.json`]: JSON.stringify(d, null, 2) } };
  });
  return [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: m, data: { 'logwharf-datasource.yaml': stringify(file) } }, ...dashboards];
}
