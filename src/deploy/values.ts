/**
 * The options every deployment path is rendered from (issue #14): one strict schema, documented
 * here (docs/deploy.md lists them), so `--values FILE` with a typo or a wrong type is refused with
 * the key path instead of rendering something half right. Keys are snake_case like the roles'
 * configuration files. Defaults are the seeds' figures: agent 100m CPU / 128Mi, server PVC 30Gi.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { readYamlMapping, validateConfig } from '../config/file.js';
import { retentionRule, DURATION_PATTERN } from '../config/server.js';

const duration = z.string().regex(DURATION_PATTERN, 'a duration such as 30s, 15m, 7d');

/** Kubernetes resource quantities as people write them (100m, 0.5, 128Mi, 2G); no exponents or signs. */
const quantity = z.string().regex(/^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'a Kubernetes quantity such as 100m, 2, 128Mi, 30Gi');
/** A DNS-1123 label: namespaces, Secret and StorageClass names. */
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a DNS-1123 name: lower-case letters, digits and "-", at most 63 characters');
const dnsSubdomain = z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a DNS-1123 subdomain: lower-case letters, digits, "-" and "."');

const resourcePair = z.object({ cpu: quantity, memory: quantity }).strict();
const resources = (requests: { cpu: string; memory: string }, limits: { cpu: string; memory: string }) =>
  z
    .object({
      requests: resourcePair.default(requests).describe('What the scheduler reserves'),
      limits: resourcePair.default(limits).describe('The most the container may use (memory above it is an OOM kill)'),
    })
    .strict()
    .prefault({});

const toleration = z
  .object({
    key: z.string().optional(),
    operator: z.enum(['Exists', 'Equal']).default('Equal'),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    toleration_seconds: z.number().int().nonnegative().optional().describe('Only with effect NoExecute'),
  })
  .strict()
  .refine((t) => !(t.operator === 'Exists' && t.value !== undefined), { message: 'operator Exists takes no value' })
  .refine((t) => t.toleration_seconds === undefined || t.effect === 'NoExecute', { message: 'toleration_seconds needs effect NoExecute' });

const labelMap = z.record(z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'a Kubernetes label key'), z.string().max(63));

export const deployValuesSchema = z
  .object({
    namespace: dnsLabel.default('logwharf').describe('Kubernetes namespace of every object'),
    image: z
      .string()
      .regex(/^[^\s]+$/, 'an image reference without spaces, e.g. registry.example.com/logwharf:0.1.0')
      .optional()
      .describe('Container image of the agent and the server (default logwharf/logwharf:<version>, what `docker build -t` in docs/deploy.md makes)'),
    image_pull_policy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    server: z
      .object({
        storage_size: quantity.default('30Gi').describe('Size of the server\'s PersistentVolumeClaim (the seeds\' 30Gi)'),
        storage_class: dnsSubdomain.optional().describe('StorageClass of the claim (default: the cluster\'s default class)'),
        resources: resources({ cpu: '250m', memory: '512Mi' }, { cpu: '2', memory: '2Gi' }).describe('Server container resources'),
        retention: z
          .object({
            period: duration.default('7d').describe('Global retention (the server\'s retention.period)'),
            streams: z.array(retentionRule).default([]).describe('Per-stream rules (the server\'s retention.streams)'),
          })
          .strict()
          .prefault({}),
        node_selector: labelMap.default({}).describe('Nodes the server may run on'),
        tolerations: z.array(toleration).default([]).describe('Taints the server tolerates'),
      })
      .strict()
      .prefault({}),
    agent: z
      .object({
        resources: resources({ cpu: '100m', memory: '128Mi' }, { cpu: '100m', memory: '128Mi' }).describe('Agent container resources (the seeds\' 100m / 128Mi)'),
        node_selector: labelMap.default({}).describe('Nodes the agent runs on (default every node)'),
        tolerations: z
          .array(toleration)
          .default([{ operator: 'Exists' }])
          .describe('Taints the agent tolerates; the default tolerates every taint, so every node\'s logs are collected'),
        positions_dir: z
          .string()
          .regex(/^\/[^\s]*$/, 'an absolute host path')
          .default('/var/lib/logwharf-agent')
          .describe('Host directory of the agent\'s positions, so a restarted or upgraded agent resumes where it stopped'),
      })
      .strict()
      .prefault({}),
    tls: z
      .object({
        secret: dnsSubdomain
          .optional()
          .describe('A kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt: what cert-manager writes) naming logwharf.<namespace>.svc; the server then speaks HTTPS only and the agents and Grafana verify it with ca.crt. Unset = plain HTTP'),
        cert_manager_issuer: z
          .object({
            name: dnsSubdomain.describe('The Issuer or ClusterIssuer that signs the certificate'),
            kind: z.enum(['Issuer', 'ClusterIssuer']).default('ClusterIssuer'),
          })
          .strict()
          .optional()
          .describe('Render a cert-manager Certificate that writes tls.secret (needs tls.secret); unset = bring the Secret yourself'),
      })
      .strict()
      .refine((t) => t.cert_manager_issuer === undefined || t.secret !== undefined, { message: 'cert_manager_issuer needs tls.secret, the Secret the Certificate writes', path: ['cert_manager_issuer'] })
      .prefault({}),
    tokens: z
      .object({
        enabled: z.boolean().default(false).describe('The server\'s auth.tokens_enabled: every route but /ready and /metrics needs a token'),
        agent_secret: dnsSubdomain.default('logwharf-agent-token').describe('Secret whose key `token` holds a write token for the agents'),
        grafana_secret: dnsSubdomain.default('logwharf-grafana-token').describe('Secret whose key `token` holds a read token for Grafana (the datasource reads it from LOGWHARF_TOKEN in Grafana\'s environment)'),
      })
      .strict()
      .prefault({}),
    grafana: z
      .object({
        enabled: z.boolean().default(true).describe('Render the Grafana datasource (Kubernetes: a ConfigMap for Grafana\'s sidecar; Compose: the `grafana` profile) and admit Grafana in the NetworkPolicy'),
        datasource_url: z
          .string()
          .regex(/^https?:\/\/[^\s/]+/i, 'an http:// or https:// URL')
          .optional()
          .describe('URL Grafana reaches the server at (default: the Service in Kubernetes, http://logwharf:3100 in Compose)'),
        sidecar_label: labelMap.default({ grafana_datasource: '1' }).describe('Label the Grafana sidecar looks for (the Grafana Helm chart\'s default)'),
      })
      .strict()
      .prefault({}),
    alertmanager_url: z
      .string()
      .regex(/^(https?:\/\/[^\s,]+)(,https?:\/\/[^\s,]+)*$/i, 'http(s) URL(s), comma-separated')
      .optional()
      .describe('The server\'s ruler.alertmanager_url (unset = the built-in notifier)'),
    collector: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe('Collect with the OpenTelemetry Collector DaemonSet instead of the logwharf agent (the seeds\' original design, for users who standardise on the Collector); it ships OTLP to the server'),
        image: z.string().regex(/^[^\s]+$/, 'an image reference without spaces').default('otel/opentelemetry-collector-contrib:0.111.0').describe('A Collector distribution with the filelog receiver, the container operator and the k8sattributes processor (contrib or k8s)'),
      })
      .strict()
      .prefault({}),
    prometheus: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Render a Prometheus scrape configuration for the server, the agents and your services (Kubernetes: the ConfigMap logwharf-prometheus; Compose: the `prometheus` profile)'),
        metrics_token: z
          .object({
            enabled: z.boolean().default(false).describe('Guard the server\'s /metrics with a token (its auth.metrics_token_file); the scrape configuration sends it from authorization.credentials_file'),
            secret: dnsSubdomain.default('logwharf-metrics-token').describe('Kubernetes: Secret whose key `token` holds it, mounted by the server and (as docs/deploy.md says) by Prometheus. Compose reads the file ./metrics-token instead'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    network_policy: z
      .object({
        enabled: z.boolean().default(true).describe('Render a NetworkPolicy that admits only the agents, Grafana and allowed_namespaces to the server'),
        allowed_namespaces: z.array(dnsLabel).default([]).describe('Namespaces whose pods may reach the server (e.g. where Prometheus or your applications run)'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type DeployValues = z.infer<typeof deployValuesSchema>;

/** The image `docker build -t logwharf/logwharf:<version> .` makes, when `image` is unset. */
export function defaultImage(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `logwharf/logwharf:${pkg.version}`;
}

/** Validates values from anywhere (a parsed file, a test); every problem is named by its key path. */
export function parseDeployValues(raw: unknown, file?: string): DeployValues {
  return validateConfig(deployValuesSchema, raw ?? {}, file);
}

/** Reads `--values FILE`: a missing file, bad YAML, a non-mapping or any invalid key is a clear error. */
export function loadDeployValues(file: string | undefined): DeployValues {
  return parseDeployValues(file ? readYamlMapping(file) : {}, file);
}
