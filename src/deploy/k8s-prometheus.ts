/**
 * The scrape configuration as a ConfigMap (`logwharf-prometheus`, key prometheus.yml) for the
 * cluster's Prometheus to load, in the server's namespace. It does not deploy a Prometheus: most
 * clusters have one (docs/deploy.md says what it must mount: the metrics token and, with TLS, ca.crt).
 */
import { stringify } from 'yaml';
import type { DeployValues } from './values.js';
import { kubernetesScrapeConfigs, prometheusConfig } from './prometheus.js';
import { meta, type K8sObject } from './k8s-common.js';

export const PROMETHEUS_CONFIGMAP = 'logwharf-prometheus';

export function prometheusObjects(v: DeployValues): K8sObject[] {
  if (!v.prometheus.enabled) return [];
  return [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(v, PROMETHEUS_CONFIGMAP, 'prometheus'), data: { 'prometheus.yml': stringify(prometheusConfig(kubernetesScrapeConfigs(v)), { lineWidth: 0 }) } }];
}
