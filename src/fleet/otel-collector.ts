/**
 * The OpenTelemetry Collector configuration builder (issue #13): for users who run the Collector
 * (contrib or k8s distribution) instead of our agent, the same settings an agent configuration holds
 * rendered as a Collector configuration that ships to this server. The fleet controller offers it
 * over OpAMP to agents that are not ours; `logwharf fleet render-otel` prints it; the Kubernetes
 * deployment's Collector DaemonSet (src/deploy/k8s-collector.ts) is rendered by it too.
 *
 * Shape: one `filelog` receiver per kind of source (pod logs with the `container` operator, each
 * `files` entry, Docker's json-file logs when docker.enabled is true, or auto off Kubernetes), the
 * pipeline rules the receiver can decide (drop rules on what it knows, timestamp and multiline rules)
 * as its operators, then memory_limiter → k8sattributes → transform (the app label, relabel) →
 * resource (external labels) → filter
 * (relabel keep/drop, drop rules that need processor-stage attributes) → batch → otlphttp to
 * `<server>/otlp` (the Collector appends /v1/logs; the server serves /otlp/v1/logs).
 *
 * Order matters as in the agent (docs/agent-pipeline.md): drop rules run before multiline joining,
 * so a drop rule the receiver can decide is a `filter` operator ahead of the `recombine`; one that
 * needs node, relabelled or other processor-stage labels runs in the filter processor, after joining,
 * and says so in a warning. Everything that cannot be rendered faithfully is a warning and a comment
 * at the top of the YAML.
 *
 * Strings written here are literal: every `$` of the user's text is doubled, because the Collector
 * expands `${...}` in its configuration and reads `$$` as `$`; only the token reference
 * (`${file:…}`, `${env:…}`) is meant to be expanded.
 */
import { Document } from 'yaml';
import type { AgentConfig } from '../config/agent.js';
import { LogwharfError } from '../api/errors.js';
import { compileRe2 } from '../logql/regex.js';
import type { Matcher } from '../logql/syntax/index.js';
import { and, locate, NOT_PRODUCED, parseRuleSelector, regexTest, selectorCondition, type ConditionContext } from './otel-attributes.js';
import { translateRelabel } from './otel-relabel.js';
import { containerCleanupOps, multilineSourceOps, recombineOp, routed, timestampOps, type Op } from './otel-operators.js';
import { exporterConfig } from './otel-exporter.js';
import { pushAll } from '../util/arrays.js';

/** Where the Collector ships, and with which credentials. Unset fields fall back to the agent settings' `client`. */
export interface CollectorTarget {
  /** Base URL of this server (http(s)://host:port); a push URL ending in /loki/api/v1/push or /otlp/v1/logs is cut back to its base. */
  server?: string;
  /** File holding the bearer token (read by the Collector: `${file:PATH}`). */
  tokenFile?: string;
  /** Environment variable holding the bearer token (`${env:NAME}`). */
  tokenEnv?: string;
  /** PEM file of the CA that signed the server's certificate. */
  caFile?: string;
  /** Sent as X-Scope-OrgID. */
  tenant?: string;
}

/** How the Collector itself runs (the deployment sets these; the CLI and the fleet leave them unset). */
export interface CollectorRenderOptions {
  /** Directory of the file_storage extension: read offsets survive a restart. Unset: offsets in memory only. */
  checkpointDir?: string;
  /** host:port of the health_check extension (for probes). */
  healthCheckEndpoint?: string;
  /** Glob patterns the pod log receiver leaves out (the Collector's own logs). */
  excludePodLogs?: string[];
  /** Environment variable naming this node, for k8sattributes (default NODE_NAME, as the agent reads). */
  nodeEnvVar?: string;
}

/** The agent settings as a fleet configuration holds them: an agent config parsed by its schema. */
export type CollectorAgentSettings = AgentConfig;

export interface RenderedCollectorConfig {
  yaml: string;
  warnings: string[];
  /** The configuration as an object (what `yaml` holds, without the comments). */
  config: Record<string, unknown>;
}

const DOCKER_LOGS = '/var/lib/docker/containers/*/*-json.log';
/** Pod labels that name the application, most specific first (the agent's APP_LABELS, src/agent/discovery/kubernetes.ts; the tests check they agree). */
export const APP_LABELS = ['app.kubernetes.io/name', 'app', 'k8s-app', 'name'] as const;
const APP_TEMP_PREFIX = 'logwharf.app.';

interface ReceiverPlan {
  name: string;
  /** Labels with a value known now (a files entry's labels). */
  staticLabels: Record<string, string>;
  /** Container runtime records: stdout and stderr apart when joining lines. */
  container: boolean;
  base: Record<string, unknown>;
  leadingOps: Op[];
  /** Labels the receiver itself sets on this source's records. */
  own: Set<string>;
  /** Labels a processor adds to this source's records (k8sattributes: node, pod labels). */
  laterLabels: Set<string>;
}

/**
 * Renders the Collector configuration for these agent settings and target. Over OpAMP, `yaml` is the
 * whole configuration a Collector (opamp extension or supervisor) takes as its remote config.
 * Throws a bad_request LogwharfError when the settings hold an invalid selector or regex (the agent
 * would refuse them too), collect nothing, or no server is known.
 */
export function renderCollectorConfig(agentSettings: CollectorAgentSettings, target: CollectorTarget = {}, options: CollectorRenderOptions = {}): RenderedCollectorConfig {
  const a = agentSettings;
  const warnings: string[] = [];
  const notes: string[] = [];
  const server = target.server ?? a.client.url;
  if (!server) throw new LogwharfError('bad_request', 'no server to ship to: pass --server URL (or set client.url in the agent configuration)');
  if (!/^https?:\/\/[^\s/]+/i.test(server)) throw new LogwharfError('bad_request', `server ${JSON.stringify(server)} is not an http:// or https:// URL`);

  const relabel = translateRelabel(a.pipeline.relabel);
  pushAll(warnings, relabel.warnings);
  const changed = (label: string) => relabel.changed.has(label);
  const external = a.client.external_labels;

  // ---- receivers
  const kubernetes = a.kubernetes.enabled !== 'false';
  const receivers: ReceiverPlan[] = [];
  if (kubernetes) {
    const base: Record<string, unknown> = {
      include: [`${a.kubernetes.pods_dir.replace(/\/+$/, '')}/*/*/*.log`],
      ...(options.excludePodLogs?.length ? { exclude: options.excludePodLogs } : {}),
    };
    const later = a.kubernetes.api_url === '' ? [] : ['node', 'app', ...a.kubernetes.pod_labels.map(sanitizeLabelName)];
    receivers.push({ name: 'filelog', staticLabels: {}, container: true, base, leadingOps: [{ type: 'container', id: 'container-parser' }], own: new Set(['namespace', 'pod', 'container', 'stream']), laterLabels: new Set(later) });
  }
  a.files.forEach((f, i) => {
    // The agent labels a file's streams with `host` (a file's own labels win) and `filename`.
    const own: Record<string, string> = { ...(a.host ? { host: a.host } : {}), ...f.labels };
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(own)) labels[locate(k).key] = v;
    const base: Record<string, unknown> = { include: f.paths, ...(f.exclude.length ? { exclude: f.exclude } : {}), ...(Object.keys(labels).length ? { resource: labels } : {}) };
    receivers.push({ name: `filelog/files_${i}`, staticLabels: own, container: false, base, leadingOps: [], own: new Set(['filename']), laterLabels: new Set() });
  });
  if (a.files.some((f) => f.labels.host === undefined) && !a.host) {
    warnings.push('files: their streams have no host label (the agent names this machine); set host in the agent configuration to send it as host.name');
  }
  const dockerRead = a.docker.enabled === 'true' || (a.docker.enabled === 'auto' && !kubernetes);
  // docker.enabled auto: the agent reads Docker when its socket exists; the Collector cannot look, so
  // auto reads Docker's log files on a host that is not a Kubernetes node (there the pod logs are
  // the same lines again).
  if (dockerRead) {
    const host: Record<string, string> = a.host ? { host: a.host } : {};
    const base = { include: [DOCKER_LOGS], ...(a.host ? { resource: { 'host.name': a.host } } : {}) };
    receivers.push({ name: 'filelog/docker', staticLabels: host, container: true, base, leadingOps: [{ type: 'container', id: 'container-parser', format: 'docker', add_metadata_from_filepath: false }], own: new Set(['stream']), laterLabels: new Set() });
    warnings.push(`docker: the filelog receiver reads Docker's json-file logs without the Engine API, so streams have no container, container_id, compose_service or image labels${a.host ? '' : ', nor host (set host in the agent configuration to send it as host.name)'} (selectors on them match as for a missing label); on Kubernetes prefer the pod logs`);
    if (a.docker.container_labels.length) warnings.push('docker.container_labels: not translated (container labels come from the Docker Engine API)');
  } else if (a.docker.enabled === 'auto') {
    notes.push('docker.enabled is auto and pod logs are read: Docker\'s own log files are not (set docker.enabled to true to read them too)');
  }
  if (receivers.length === 0) throw new LogwharfError('bad_request', 'nothing to collect: kubernetes and docker are off and files is empty (a Collector needs at least one receiver)');

  // ---- drop rules: in the receiver when it can decide them, else in the filter processor
  const dropSelectors = a.pipeline.drop.map((r, i) => {
    if (r.selector === undefined && r.line === undefined) throw new LogwharfError('bad_request', `invalid agent pipeline configuration: pipeline.drop[${i}]: needs a selector, a line regex or both`);
    if (r.line !== undefined) checkRegex(r.line, `pipeline.drop[${i}].line`);
    return r.selector === undefined ? [] : parseRuleSelector(r.selector, `pipeline.drop[${i}].selector`);
  });
  const multiline = a.pipeline.multiline.map((r, i) => {
    checkRegex(r.first_line, `pipeline.multiline[${i}].first_line`);
    return { rule: r, matchers: parseRuleSelector(r.selector, `pipeline.multiline[${i}].selector`) };
  });
  const timestamps = a.pipeline.timestamp.map((r, i) => ({ rule: r, matchers: parseRuleSelector(r.selector, `pipeline.timestamp[${i}].selector`) }));
  const producedWarning = (matchers: Matcher[], where: string) => {
    for (const m of matchers) {
      if (NOT_PRODUCED.has(m.name) && !changed(m.name) && !Object.hasOwn(external, m.name) && !(m.name === 'host' && a.host)) {
        warnings.push(`${where}: label "${m.name}" is derived by the agent but not by the Collector, so the selector sees it missing`);
      }
    }
  };

  // A drop rule goes to the receiver only if every receiver can decide its selector there.
  const processorDrops: string[] = [];
  const receiverDrops = new Set<number>();
  dropSelectors.forEach((matchers, i) => {
    const where = `pipeline.drop[${i}]`;
    producedWarning(matchers, where);
    const inReceiver = receivers.every((rcv) => selectorCondition(matchers, receiverContext(rcv, external, changed)).kind !== 'unsupported');
    if (inReceiver && receivers.length > 0) {
      receiverDrops.add(i);
      return;
    }
    const sel = selectorCondition(matchers, processorContext(changed));
    const line = a.pipeline.drop[i]!.line;
    const cond = and([sel, line === undefined ? { kind: 'const', value: true } : { kind: 'expr', text: regexTest('body', line, 'ottl') }]);
    if (cond.kind === 'expr') processorDrops.push(cond.text);
    else if (cond.kind === 'const' && cond.value) processorDrops.push('true');
    if (multiline.length > 0 && cond.kind !== 'const') warnings.push(`${where}: its selector needs labels the filelog receiver does not have, so it runs in the filter processor, after multiline joining (the agent drops before joining)`);
  });
  if (a.pipeline.drop_healthchecks) warnings.push('pipeline.drop_healthchecks: not translated (the agent\'s health-check recogniser has no Collector equivalent); add drop rules for your probes\' access lines');

  // ---- receiver operators
  const receiverConfigs: Record<string, unknown> = {};
  for (const rcv of receivers) {
    const ctx = receiverContext(rcv, external, changed);
    const ops: Op[] = [...rcv.leadingOps];
    for (const i of receiverDrops) {
      const sel = selectorCondition(dropSelectors[i]!, ctx);
      const line = a.pipeline.drop[i]!.line;
      const cond = and([sel, line === undefined ? { kind: 'const', value: true } : { kind: 'expr', text: regexTest('body', line, 'stanza') }]);
      if (cond.kind === 'const' && !cond.value) continue;
      ops.push({ type: 'filter', id: `drop-${i}`, expr: cond.kind === 'expr' ? cond.text : 'true' });
    }
    pushAll(ops, routed(`timestamp`, timestamps.map((t, i) => ({ cond: selectorCondition(t.matchers, ctx), where: `pipeline.timestamp[${i}]`, ops: (id: string, next: string) => timestampOps(t.rule, id, next) })), warnings, rcv.name));
    if (multiline.length > 0) {
      const mlOps = routed('multiline', multiline.map((m, i) => ({ cond: selectorCondition(m.matchers, ctx), where: `pipeline.multiline[${i}]`, ops: (id: string, next: string) => [recombineOp(m.rule, a.max_line_bytes, id, next, rcv.container)] })), warnings, rcv.name);
      if (mlOps.length > 0 && rcv.container) {
        const { before, after } = multilineSourceOps();
        ops.push(before, ...mlOps, after);
      } else pushAll(ops, mlOps);
    }
    if (rcv.container) pushAll(ops, containerCleanupOps());
    receiverConfigs[rcv.name] = {
      ...rcv.base,
      start_at: 'end',
      include_file_path: true,
      include_file_name: false,
      poll_interval: a.poll_interval,
      ...(options.checkpointDir ? { storage: 'file_storage' } : {}),
      ...(ops.length ? { operators: ops } : {}),
    };
  }
  for (const [i, t] of timestamps.entries()) producedWarning(t.matchers, `pipeline.timestamp[${i}]`);
  for (const [i, m] of multiline.entries()) producedWarning(m.matchers, `pipeline.multiline[${i}]`);
  if (timestamps.length > 0) {
    warnings.push('pipeline.timestamp: max_skew is not translated (the Collector keeps a parsed time however far it is from the read time); the field is found by a pattern, so a nested or repeated key of the same name may be taken where the agent takes the top-level (last) one');
    if (timestamps.some((t) => t.rule.format.startsWith('Unix'))) warnings.push('pipeline.timestamp: a Unix* time with a decimal fraction loses the fraction in the Collector (its epoch layouts take the integer)');
  }

  // ---- processors
  const processors: Record<string, unknown> = {
    memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 },
  };
  const order = ['memory_limiter'];
  const appStatements: string[] = [];
  if (kubernetes && a.kubernetes.api_url !== '') {
    const labels = a.kubernetes.pod_labels.map((key) => ({ tag_name: sanitizeLabelName(key), key, from: 'pod' }));
    // The agent's `app` label: the first of APP_LABELS the pod has. k8sattributes copies each into a
    // temporary attribute; the transform below picks the winner and removes the rest.
    for (const key of APP_LABELS) labels.push({ tag_name: `${APP_TEMP_PREFIX}${key}`, key, from: 'pod' });
    pushAll(appStatements, [...APP_LABELS].reverse().map((key) => {
      const v = `resource.attributes[${JSON.stringify(APP_TEMP_PREFIX + key)}]`;
      return `set(resource.attributes["app"], ${v}) where ${v} != nil and ${v} != ""`;
    }));
    pushAll(appStatements, APP_LABELS.map((key) => `delete_key(resource.attributes, ${JSON.stringify(APP_TEMP_PREFIX + key)})`));
    processors.k8sattributes = {
      auth_type: 'serviceAccount',
      filter: a.kubernetes.node_name ? { node: a.kubernetes.node_name } : { node_from_env_var: options.nodeEnvVar ?? 'NODE_NAME' },
      extract: { metadata: ['k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.container.name', 'k8s.node.name'], ...(labels.length ? { labels } : {}) },
      pod_association: [{ sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] }],
    };
    order.push('k8sattributes');
    if (a.kubernetes.api_url !== undefined) notes.push('kubernetes.api_url: k8sattributes talks to the API server in the cluster (auth_type serviceAccount); a URL given here is not used');
  } else if (kubernetes) notes.push('kubernetes.api_url is "": no pod metadata (no k8sattributes)');
  if (kubernetes) {
    // The pod's uid (which k8sattributes has used by now) and the restart count come from the log
    // path; the agent ships neither, so neither becomes structured metadata here.
    appStatements.push('delete_key(resource.attributes, "k8s.pod.uid")', 'delete_key(resource.attributes, "k8s.container.restart_count")');
  }
  const statements = [...appStatements, ...relabel.statements];
  if (statements.length > 0) {
    // The agent derives `app` before relabelling, so its statements come first.
    processors['transform/labels'] = { error_mode: 'ignore', log_statements: [{ context: 'log', statements }] };
    order.push('transform/labels');
  }
  const externalAttrs = Object.entries(external).map(([k, v]) => {
    const loc = locate(k);
    if (loc.scope !== 'resource') warnings.push(`client.external_labels.${k}: set as a resource attribute, while for the agent it is the ${k} label of every stream`);
    return { key: loc.scope === 'resource' ? loc.key : k, value: v, action: 'insert' };
  });
  if (externalAttrs.length > 0) {
    // insert: a stream's own label of the same name wins, as in the agent.
    processors.resource = { attributes: externalAttrs };
    order.push('resource');
  }
  const dropConditions = [...relabel.dropConditions, ...processorDrops];
  if (dropConditions.length > 0) {
    processors.filter = { error_mode: 'ignore', logs: { log_record: dropConditions } };
    order.push('filter');
  }
  processors.batch = { timeout: a.client.batch_wait };
  order.push('batch');
  notes.push(`client.batch_size (${a.client.batch_size} bytes) is not translated: the batch processor counts records`);
  if (a.pipeline.detect_level) notes.push('pipeline.detect_level: the server detects levels at ingest (its own detect_level), so nothing is rendered for it');

  // ---- exporter
  const { exporter, headers, authorization } = exporterConfig(a, target, server, warnings);

  const extensions: Record<string, unknown> = {};
  if (options.healthCheckEndpoint) extensions.health_check = { endpoint: options.healthCheckEndpoint };
  if (options.checkpointDir) extensions.file_storage = { directory: options.checkpointDir };
  if (!options.checkpointDir) notes.push('no file_storage: read offsets are kept in memory, so a restarted Collector starts at the end of each file (add a storage extension to resume)');
  if (a.report.enabled) notes.push('report: the Collector does not report its sources to the server\'s registry (no coverage figure)');

  const config: Record<string, unknown> = {
    ...(Object.keys(extensions).length ? { extensions } : {}),
    receivers: receiverConfigs,
    processors,
    exporters: { otlphttp: exporter },
    service: {
      ...(Object.keys(extensions).length ? { extensions: Object.keys(extensions) } : {}),
      pipelines: { logs: { receivers: Object.keys(receiverConfigs), processors: order, exporters: ['otlphttp'] } },
    },
  };
  const literal = escapeDollars(config) as Record<string, unknown>;
  // Added after escaping: a ${file:…} or ${env:…} reference is for the Collector to expand.
  const exp = (literal.exporters as { otlphttp: Record<string, unknown> }).otlphttp;
  const allHeaders = escapeDollars(headers) as Record<string, string>;
  if (authorization) allHeaders.Authorization = `Bearer ${'reference' in authorization ? authorization.reference : (escapeDollars(authorization.literal) as string)}`;
  if (Object.keys(allHeaders).length) {
    // endpoint first, then headers, as a reader expects.
    const { endpoint, ...rest } = exp;
    (literal.exporters as Record<string, unknown>).otlphttp = { endpoint, headers: allHeaders, ...rest };
  }

  const doc = new Document(literal);
  const header = ['Rendered by logwharf from an agent configuration (logwharf fleet render-otel); OpenTelemetry Collector contrib or k8s distribution.'];
  for (const n of notes) header.push(`note: ${n}`);
  for (const w of warnings) header.push(`WARNING: ${w}`);
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  return { yaml: doc.toString({ lineWidth: 0 }), warnings, config: literal };
}

function checkRegex(pattern: string, where: string): void {
  try {
    compileRe2(pattern);
  } catch (e) {
    throw new LogwharfError('bad_request', `invalid agent pipeline configuration: ${where}: ${(e as Error).message}`);
  }
}

function receiverContext(rcv: ReceiverPlan, external: Record<string, string>, changed: (l: string) => boolean): ConditionContext {
  // A stream's own label wins over an external label of the same name (the agent's order). A label
  // no stage of the Collector sets for this source is missing here and at the end alike.
  const absent = (l: string) => !rcv.own.has(l) && !changed(l) && !rcv.laterLabels.has(l);
  // An external label is this source's value only where the source has no label of that name.
  const fromExternal = Object.fromEntries(Object.entries(external).filter(([k]) => !rcv.own.has(k) && !rcv.laterLabels.has(k)));
  return { lang: 'stanza', staticLabels: { ...fromExternal, ...rcv.staticLabels }, changed, receiverOnly: true, receiverLabels: rcv.own, absent };
}

/** External labels are resource attributes by then (inserted where absent), so they are tested like any other. */
function processorContext(changed: (l: string) => boolean): ConditionContext {
  return { lang: 'ottl', staticLabels: {}, changed, receiverOnly: false };
}

/** The agent's label names for pod labels (src/agent/discovery/label-name.ts; the tests check they agree). */
export function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

function escapeDollars(v: unknown): unknown {
  // A function replacer: in a replacement string, `$$` would itself mean one `$`.
  if (typeof v === 'string') return v.replaceAll('$', () => '$$');
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [escapeDollars(k), escapeDollars(x)]));
  return v;
}
