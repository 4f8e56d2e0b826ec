/**
 * The OpenTelemetry Collector's documented settings for the components logwharf renders, as a strict
 * schema. No Collector binary runs on these machines (there is no image registry or download), so a
 * rendered configuration is checked against what the components document instead. Each object lists the keys the component's README or config.go declares
 * (collector-contrib: receiver/filelogreceiver, pkg/stanza operators container, filter, router,
 * recombine, regex_parser, add, remove, noop; processor/k8sattributesprocessor, filterprocessor,
 * transformprocessor, resourceprocessor; collector core: batch, memory_limiter, exporter/otlphttp,
 * extensions health_check and file_storage), with the types they take. Unknown keys are errors, as
 * the Collector's own decoder makes them.
 *
 * Deliberately left out: `if` on `recombine`. Its configuration accepts it (it embeds the common
 * transformer settings) but the operator never evaluates it, so per-selector joining must route.
 */
import { z } from 'zod';

/** Go's time.ParseDuration syntax ("0s", "500ms", "1h30m"). */
const duration = z.string().regex(/^(?:0|(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+)$/, 'a Go duration');
const byteSize = z.union([z.number().int().nonnegative(), z.string().regex(/^[0-9]+(?:[kKmMgG][iI]?[bB])?$/)]);
const onError = z.enum(['send', 'send_quiet', 'drop', 'drop_quiet']);
/** A stanza field: body, attributes.x, attributes["x"], resource["x"]… */
const field = z.string().regex(/^(?:body|attributes|resource)(?:\.[A-Za-z0-9_]+|\["[^"]+"\])*$/, 'a stanza field');
const outputs = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const common = { id: z.string().min(1), output: outputs.optional() };

const timestampBlock = z
  .object({
    parse_from: field,
    layout_type: z.enum(['strptime', 'gotime', 'epoch']).optional(),
    layout: z.string().min(1),
    location: z.string().optional(),
  })
  .strict();

const operator = z.discriminatedUnion('type', [
  z.object({ type: z.literal('container'), ...common, format: z.enum(['docker', 'crio', 'containerd']).optional(), add_metadata_from_filepath: z.boolean().optional(), max_log_size: byteSize.optional(), parse_from: field.optional(), parse_to: field.optional(), on_error: onError.optional(), if: z.string().optional() }).strict(),
  z.object({ type: z.literal('filter'), ...common, expr: z.string().min(1), drop_ratio: z.number().min(0).max(1).optional() }).strict(),
  z.object({ type: z.literal('router'), id: z.string().min(1), routes: z.array(z.object({ output: outputs, expr: z.string().min(1), attributes: z.record(z.string(), z.string()).optional() }).strict()).min(1), default: outputs.optional() }).strict(),
  z
    .object({
      type: z.literal('recombine'),
      ...common,
      on_error: onError.optional(),
      is_first_entry: z.string().optional(),
      is_last_entry: z.string().optional(),
      combine_field: field,
      combine_with: z.string().optional(),
      max_batch_size: z.number().int().nonnegative().optional(),
      max_unmatched_batch_size: z.number().int().nonnegative().optional(),
      overwrite_with: z.enum(['oldest', 'newest']).optional(),
      force_flush_period: duration.optional(),
      source_identifier: field.optional(),
      max_sources: z.number().int().positive().optional(),
      max_log_size: byteSize.optional(),
    })
    .strict()
    .refine((o) => (o.is_first_entry === undefined) !== (o.is_last_entry === undefined), 'exactly one of is_first_entry and is_last_entry'),
  z.object({ type: z.literal('regex_parser'), ...common, regex: z.string().min(1), parse_from: field.optional(), parse_to: field.optional(), on_error: onError.optional(), if: z.string().optional(), timestamp: timestampBlock.optional(), cache: z.object({ size: z.number().int() }).strict().optional() }).strict(),
  z.object({ type: z.literal('add'), ...common, field, value: z.string(), on_error: onError.optional(), if: z.string().optional() }).strict(),
  z.object({ type: z.literal('remove'), ...common, field, on_error: onError.optional(), if: z.string().optional() }).strict(),
  z.object({ type: z.literal('noop'), ...common }).strict(),
]);
export type CollectorOperator = z.infer<typeof operator>;

export const filelogReceiver = z
  .object({
    include: z.array(z.string().min(1)).min(1),
    exclude: z.array(z.string().min(1)).optional(),
    exclude_older_than: duration.optional(),
    start_at: z.enum(['beginning', 'end']).optional(),
    multiline: z.object({ line_start_pattern: z.string().optional(), line_end_pattern: z.string().optional(), omit_pattern: z.boolean().optional() }).strict().optional(),
    force_flush_period: duration.optional(),
    encoding: z.string().optional(),
    preserve_leading_whitespaces: z.boolean().optional(),
    preserve_trailing_whitespaces: z.boolean().optional(),
    include_file_name: z.boolean().optional(),
    include_file_path: z.boolean().optional(),
    include_file_name_resolved: z.boolean().optional(),
    include_file_path_resolved: z.boolean().optional(),
    include_file_owner_name: z.boolean().optional(),
    include_file_owner_group_name: z.boolean().optional(),
    include_file_record_number: z.boolean().optional(),
    poll_interval: duration.optional(),
    fingerprint_size: byteSize.optional(),
    initial_buffer_size: byteSize.optional(),
    max_log_size: byteSize.optional(),
    max_concurrent_files: z.number().int().positive().optional(),
    max_batches: z.number().int().nonnegative().optional(),
    delete_after_read: z.boolean().optional(),
    acquire_fs_lock: z.boolean().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    resource: z.record(z.string(), z.string()).optional(),
    operators: z.array(operator).optional(),
    storage: z.string().optional(),
    retry_on_failure: z.object({ enabled: z.boolean().optional(), initial_interval: duration.optional(), max_interval: duration.optional(), max_elapsed_time: duration.optional() }).strict().optional(),
  })
  .strict();

const K8S_METADATA = [
  'k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.pod.hostname', 'k8s.pod.start_time', 'k8s.pod.ip',
  'k8s.deployment.name', 'k8s.deployment.uid', 'k8s.replicaset.name', 'k8s.replicaset.uid', 'k8s.daemonset.name', 'k8s.daemonset.uid',
  'k8s.statefulset.name', 'k8s.statefulset.uid', 'k8s.job.name', 'k8s.job.uid', 'k8s.cronjob.name', 'k8s.node.name', 'k8s.node.uid',
  'k8s.container.name', 'container.id', 'container.image.name', 'container.image.tag', 'container.image.repo_digests', 'k8s.cluster.uid',
] as const;
const fieldExtract = z.object({ tag_name: z.string().optional(), key: z.string().optional(), key_regex: z.string().optional(), from: z.enum(['pod', 'namespace', 'node']).optional() }).strict().refine((f) => !(f.key && f.key_regex), 'key or key_regex, not both');
const fieldFilter = z.object({ key: z.string(), value: z.string().optional(), op: z.string().optional() }).strict();

const k8sattributes = z
  .object({
    auth_type: z.enum(['none', 'serviceAccount', 'kubeConfig', 'tls']).optional(),
    context: z.string().optional(),
    passthrough: z.boolean().optional(),
    extract: z.object({ metadata: z.array(z.enum(K8S_METADATA)).optional(), labels: z.array(fieldExtract).optional(), annotations: z.array(fieldExtract).optional(), otel_annotations: z.boolean().optional() }).strict().optional(),
    filter: z.object({ node: z.string().optional(), node_from_env_var: z.string().optional(), namespace: z.string().optional(), fields: z.array(fieldFilter).optional(), labels: z.array(fieldFilter).optional() }).strict().optional(),
    pod_association: z.array(z.object({ sources: z.array(z.object({ from: z.enum(['resource_attribute', 'connection']), name: z.string().optional() }).strict()).min(1) }).strict()).optional(),
    exclude: z.object({ pods: z.array(z.object({ name: z.string() }).strict()) }).strict().optional(),
    wait_for_metadata: z.boolean().optional(),
    wait_for_metadata_timeout: duration.optional(),
  })
  .strict();

const errorMode = z.enum(['ignore', 'silent', 'propagate']);

export const processorSchemas: Record<string, z.ZodType> = {
  memory_limiter: z.object({ check_interval: duration, limit_mib: z.number().int().optional(), spike_limit_mib: z.number().int().optional(), limit_percentage: z.number().int().min(1).max(100).optional(), spike_limit_percentage: z.number().int().min(0).max(100).optional() }).strict(),
  k8sattributes,
  transform: z.object({ error_mode: errorMode.optional(), log_statements: z.array(z.object({ context: z.enum(['resource', 'scope', 'log']), statements: z.array(z.string().min(1)).min(1), conditions: z.array(z.string()).optional() }).strict()).optional(), trace_statements: z.array(z.unknown()).optional(), metric_statements: z.array(z.unknown()).optional() }).strict(),
  resource: z.object({ attributes: z.array(z.object({ key: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean()]).optional(), action: z.enum(['insert', 'update', 'upsert', 'delete', 'hash', 'extract', 'convert']), from_attribute: z.string().optional(), pattern: z.string().optional(), converted_type: z.string().optional(), from_context: z.string().optional() }).strict()).min(1) }).strict(),
  filter: z.object({ error_mode: errorMode.optional(), logs: z.object({ log_record: z.array(z.string().min(1)).optional(), resource: z.array(z.string()).optional(), include: z.unknown().optional(), exclude: z.unknown().optional() }).strict() }).strict(),
  batch: z.object({ timeout: duration.optional(), send_batch_size: z.number().int().nonnegative().optional(), send_batch_max_size: z.number().int().nonnegative().optional(), metadata_keys: z.array(z.string()).optional(), metadata_cardinality_limit: z.number().int().optional() }).strict(),
};

const tls = z
  .object({
    ca_file: z.string().optional(), ca_pem: z.string().optional(), cert_file: z.string().optional(), cert_pem: z.string().optional(), key_file: z.string().optional(), key_pem: z.string().optional(),
    insecure: z.boolean().optional(), insecure_skip_verify: z.boolean().optional(), server_name_override: z.string().optional(),
    min_version: z.string().optional(), max_version: z.string().optional(), reload_interval: duration.optional(), include_system_ca_certs_pool: z.boolean().optional(),
  })
  .strict();

export const otlphttpExporter = z
  .object({
    endpoint: z.string().url(),
    logs_endpoint: z.string().url().optional(),
    traces_endpoint: z.string().url().optional(),
    metrics_endpoint: z.string().url().optional(),
    tls: tls.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    timeout: duration.optional(),
    compression: z.enum(['gzip', 'zstd', 'snappy', 'zlib', 'deflate', 'lz4', 'none', '']).optional(),
    encoding: z.enum(['proto', 'json']).optional(),
    retry_on_failure: z.object({ enabled: z.boolean().optional(), initial_interval: duration.optional(), max_interval: duration.optional(), max_elapsed_time: duration.optional(), multiplier: z.number().optional(), randomization_factor: z.number().optional() }).strict().optional(),
    sending_queue: z.object({ enabled: z.boolean().optional(), num_consumers: z.number().int().optional(), queue_size: z.number().int().optional(), storage: z.string().optional() }).strict().optional(),
    proxy_url: z.string().optional(),
    read_buffer_size: z.number().int().optional(),
    write_buffer_size: z.number().int().optional(),
  })
  .strict();

export const extensionSchemas: Record<string, z.ZodType> = {
  health_check: z.object({ endpoint: z.string().regex(/^[^\s:]*:[0-9]+$/), path: z.string().optional() }).strict(),
  file_storage: z.object({ directory: z.string().min(1), timeout: duration.optional(), create_directory: z.boolean().optional(), fsync: z.boolean().optional() }).strict(),
};

/** Component ids are `type` or `type/name`. */
const componentId = z.string().regex(/^[a-z0-9_]+(?:\/[A-Za-z0-9_.-]+)?$/);

export const collectorConfig = z
  .object({
    extensions: z.record(componentId, z.unknown()).optional(),
    receivers: z.record(componentId, filelogReceiver),
    processors: z.record(componentId, z.unknown()),
    exporters: z.object({ otlphttp: otlphttpExporter }).strict(),
    service: z
      .object({
        extensions: z.array(componentId).optional(),
        pipelines: z.object({ logs: z.object({ receivers: z.array(componentId).min(1), processors: z.array(componentId), exporters: z.array(componentId).min(1) }).strict() }).strict(),
      })
      .strict(),
  })
  .strict();

/** Validates a whole configuration: every component against its type's schema, every reference resolved. Returns the problems. */
export function collectorProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const top = collectorConfig.safeParse(raw);
  if (!top.success) return top.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const cfg = top.data;
  for (const [id, p] of Object.entries(cfg.processors)) {
    const schema = processorSchemas[id.split('/')[0]!];
    if (!schema) {
      problems.push(`processors.${id}: not a component this schema knows`);
      continue;
    }
    const r = schema.safeParse(p);
    if (!r.success) problems.push(...r.error.issues.map((i) => `processors.${id}.${i.path.join('.')}: ${i.message}`));
  }
  for (const [id, e] of Object.entries(cfg.extensions ?? {})) {
    const schema = extensionSchemas[id.split('/')[0]!];
    if (!schema) problems.push(`extensions.${id}: not a component this schema knows`);
    else {
      const r = schema.safeParse(e);
      if (!r.success) problems.push(...r.error.issues.map((i) => `extensions.${id}.${i.path.join('.')}: ${i.message}`));
    }
  }
  for (const id of Object.keys(cfg.receivers)) if (id.split('/')[0] !== 'filelog') problems.push(`receivers.${id}: only filelog is rendered`);
  const pipe = cfg.service.pipelines.logs;
  for (const [kind, ids] of [['receivers', pipe.receivers], ['processors', pipe.processors], ['exporters', pipe.exporters]] as const) {
    for (const id of ids) if (!(id in (cfg[kind] as object))) problems.push(`service.pipelines.logs.${kind}: ${id} is not configured`);
    for (const id of Object.keys(cfg[kind] as object)) if (!(ids as string[]).includes(id)) problems.push(`${kind}.${id}: configured but in no pipeline`);
  }
  for (const id of cfg.service.extensions ?? []) if (!cfg.extensions?.[id]) problems.push(`service.extensions: ${id} is not configured`);
  // The Collector refuses a memory_limiter that is not first.
  if (pipe.processors.includes('memory_limiter') && pipe.processors[0] !== 'memory_limiter') problems.push('memory_limiter must be the first processor');
  // Operators: unique ids; every output, route and default names one of them.
  for (const [rid, rcv] of Object.entries(cfg.receivers)) {
    const ops = rcv.operators ?? [];
    const ids = new Set<string>();
    for (const op of ops) {
      if (ids.has(op.id)) problems.push(`receivers.${rid}: operator id ${op.id} twice`);
      ids.add(op.id);
    }
    const targets = (o: string | string[] | undefined) => (o === undefined ? [] : Array.isArray(o) ? o : [o]);
    ops.forEach((op, i) => {
      const outs = op.type === 'router' ? [...op.routes.flatMap((r) => targets(r.output)), ...targets(op.default)] : targets(op.output);
      for (const o of outs) if (!ids.has(o)) problems.push(`receivers.${rid}.operators[${i}] (${op.id}): output ${o} is no operator`);
      // An entry no route takes is dropped by the router: every router here must have a default.
      if (op.type === 'router' && op.default === undefined) problems.push(`receivers.${rid}.operators[${i}]: router without default drops unmatched entries`);
    });
  }
  return problems;
}
