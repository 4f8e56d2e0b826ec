/**
 * Prometheus scrape configurations rendered with the deployment outputs (issue #16): the server's
 * /metrics, the agents' /metrics, and the request metrics of services instrumented with
 * `logwharf/logger` (http_request_duration_seconds and friends), each target labelled `service` so
 * the "Service health" dashboard can set a service's metrics beside its logs.
 *
 * Decisions (docs/deploy.md "Prometheus"):
 * - Kubernetes: pod discovery (kubernetes_sd_configs role pod), because the server is one
 *   StatefulSet pod and the agents are DaemonSet pods without a Service. Application pods opt in
 *   with the common `prometheus.io/scrape: "true"` annotation (`prometheus.io/port`, `/path`,
 *   `/scheme` as the community charts read them); their `service` label is the pod's
 *   `app.kubernetes.io/name`, else its `app` label, else the container's name.
 * - Compose: `logwharf up` runs server and agent in one process, so one target holds both; the
 *   user's services are listed in files under prometheus/services/ (file_sd_configs, re-read
 *   without a restart), one `service` label per target.
 * - The metrics token, when on, is sent from authorization.credentials_file; with TLS the server is
 *   scraped over HTTPS verified by the Secret's ca.crt, under the name its certificate carries.
 */
import type { DeployValues } from './values.js';
import { serviceHost } from './role-configs.js';
import { AGENT_NAME, SERVER_NAME } from './k8s-common.js';
import { AGENT_PORT, SERVER_PORT } from './layout.js';

/** Where Prometheus finds the files it needs; the Compose profile mounts them there, a Kubernetes Prometheus must (docs/deploy.md). */
export const PROMETHEUS_DIR = '/etc/prometheus';
export const PROMETHEUS_TOKEN_FILE = `${PROMETHEUS_DIR}/logwharf-metrics-token/token`;
export const PROMETHEUS_CA_FILE = `${PROMETHEUS_DIR}/logwharf-ca/ca.crt`;
export const PROMETHEUS_SERVICES_DIR = `${PROMETHEUS_DIR}/services`;

export type ScrapeConfig = Record<string, unknown>;

/** The `prometheus.yml` document. */
export function prometheusConfig(scrapeConfigs: ScrapeConfig[]): Record<string, unknown> {
  return { global: { scrape_interval: '15s', evaluation_interval: '15s' }, scrape_configs: scrapeConfigs };
}

function withToken(v: DeployValues, job: ScrapeConfig): ScrapeConfig {
  return v.prometheus.metrics_token.enabled ? { ...job, authorization: { type: 'Bearer', credentials_file: PROMETHEUS_TOKEN_FILE } } : job;
}

/** Keeps the pods whose `app.kubernetes.io/name` is `name`, on the container port named `port`. */
function podsNamed(name: string, port: string): ScrapeConfig[] {
  return [
    { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: name, action: 'keep' },
    { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: port, action: 'keep' },
    ...podLabels(),
  ];
}

/** namespace, pod and container, as the agent labels the same pods' logs, so one label set joins both. */
function podLabels(): ScrapeConfig[] {
  return [
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
  ];
}

export function kubernetesScrapeConfigs(v: DeployValues): ScrapeConfig[] {
  const ns = { names: [v.namespace] };
  const server: ScrapeConfig = {
    job_name: 'logwharf',
    kubernetes_sd_configs: [{ role: 'pod', namespaces: ns }],
    relabel_configs: [...podsNamed(SERVER_NAME, 'http'), { target_label: 'service', replacement: 'logwharf' }],
  };
  if (v.tls.secret) {
    // Scraped by pod IP: the certificate names the Service, so that is the name verified.
    server.scheme = 'https';
    server.tls_config = { ca_file: PROMETHEUS_CA_FILE, server_name: serviceHost(v) };
  }
  const agent: ScrapeConfig = {
    job_name: 'logwharf-agent',
    kubernetes_sd_configs: [{ role: 'pod', namespaces: ns }],
    // The agent's metrics_listen is plain HTTP and unauthenticated (docs/agent.md).
    relabel_configs: [...podsNamed(AGENT_NAME, 'metrics'), { target_label: 'service', replacement: 'logwharf-agent' }],
  };
  const jobs: ScrapeConfig[] = [withToken(v, server), agent];
  // The collector replaces the agent, and its own metrics are not ours to name.
  if (v.collector.enabled) jobs.pop();
  jobs.push({
    job_name: 'kubernetes-pods',
    kubernetes_sd_configs: [{ role: 'pod' }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'keep' },
      // Pods that are done (Succeeded, Failed) answer no scrape.
      { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scheme'], regex: '(https?)', target_label: '__scheme__' },
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], regex: '(.+)', target_label: '__metrics_path__' },
      {
        source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
        regex: '([^:]+)(?::\\d+)?;(\\d+)',
        replacement: '$1:$2',
        target_label: '__address__',
      },
      ...podLabels(),
      // service: the most specific name the pod carries; a later rule wins when its label is set.
      { source_labels: ['__meta_kubernetes_pod_container_name'], regex: '(.+)', target_label: 'service' },
      { source_labels: ['__meta_kubernetes_pod_label_app'], regex: '(.+)', target_label: 'service' },
      { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: '(.+)', target_label: 'service' },
    ],
  });
  return jobs;
}

export function composeScrapeConfigs(v: DeployValues): ScrapeConfig[] {
  return [
    // `logwharf up`: the agent's metrics are on the server's /metrics.
    withToken(v, { job_name: 'logwharf', static_configs: [{ targets: [`logwharf:${SERVER_PORT}`], labels: { service: 'logwharf' } }] }),
    { job_name: 'services', file_sd_configs: [{ files: [`${PROMETHEUS_SERVICES_DIR}/*.yml`] }] },
  ];
}

/** For a Prometheus outside both (the grafana target): the server on its host, the agent's port beside it. */
export function hostScrapeConfigs(v: DeployValues): ScrapeConfig[] {
  const server: ScrapeConfig = { job_name: 'logwharf', static_configs: [{ targets: [`127.0.0.1:${SERVER_PORT}`], labels: { service: 'logwharf' } }] };
  if (v.tls.secret) {
    server.scheme = 'https';
    server.tls_config = { ca_file: PROMETHEUS_CA_FILE };
  }
  return [
    withToken(v, server),
    { job_name: 'logwharf-agent', static_configs: [{ targets: [`127.0.0.1:${AGENT_PORT}`], labels: { service: 'logwharf-agent' } }] },
    { job_name: 'services', file_sd_configs: [{ files: [`${PROMETHEUS_SERVICES_DIR}/*.yml`] }] },
  ];
}

/** The file_sd file the Compose profile ships: no targets, and a comment showing the format. */
export const SERVICES_FILE_COMMENT = [
  '# Your services for Prometheus to scrape (file_sd_configs; changes are picked up without a restart).',
  '# Add a file of your own beside this one (rendering again rewrites only this file), e.g. prometheus/services/mine.yml:',
  '#   - targets: ["checkout:8080"]',
  '#     labels: { service: checkout }',
  '# `service` is what the "Service health" dashboard selects by; /metrics is the default path',
  '# (set __metrics_path__ in labels for another).',
].join('\n');
