/**
 * The server role's configuration: one strict schema (unknown keys are rejected), defaults here,
 * merged file → environment → flags. Keys are snake_case like Loki's YAML so a Loki user recognises
 * them. docs/configuration.md is generated from this schema (scripts/gen-config-docs.ts).
 */
import { z } from 'zod';
import { env } from './env.js';
import { readYamlMapping, validateConfig } from './file.js';
import { parseDurationMs } from './duration.js';
import { checkAuthSection, metricsTokenFileSchema, proxyAuthSchema } from './auth.js';

// In ./listen.ts so that the agent can have them without loading this schema (issue #17).
import { DURATION_PATTERN } from './listen.js';
export { DURATION_PATTERN, parseListen } from './listen.js';
/** memory_soft_limit_mb's default: room under issue #12's 256 MB budget for what one check interval allocates and the query workers' heaps. */
export const MEMORY_SOFT_LIMIT_MB = 200;

const duration = z.string().regex(DURATION_PATTERN, 'a duration such as 30s, 15m, 7d');

export const retentionRule = z
  .object({
    selector: z.string().describe('A stream selector, e.g. {service="postgres"}'),
    period: duration.describe('How long matching streams are kept, e.g. 90d'),
    priority: z.number().int().default(0).describe('Higher wins when several rules match'),
  })
  .strict();

export const serverConfigSchema = z
  .object({
    listen: z.string().default('127.0.0.1:3100').describe('host:port to listen on (port 0 picks a free port)'),
    data: z.string().default('./data').describe('Data directory of the embedded store'),
    auth_enabled: z
      .boolean()
      .default(false)
      .describe('Require X-Scope-OrgID on every request; when false every request is tenant "fake", as in Loki'),
    auth: z
      .object({
        tokens_enabled: z
          .boolean()
          .default(false)
          .describe('Require a token (Authorization: Bearer, or Basic with the token as password, or a client certificate bound to a token, or a trusted proxy\'s user header) on every route but /ready, /metrics, buildinfo and the UI\'s pages and assets; the tenant then comes from the token, and X-Scope-OrgID may only narrow it to tenants the token holds. When false, auth_enabled decides as in Loki'),
        proxy: proxyAuthSchema,
        metrics_token_file: metricsTokenFileSchema,
      })
      .strict()
      .superRefine(checkAuthSection)
      .prefault({})
      .describe('Authentication and authorisation (docs/security.md)'),
    log_level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Level of our own JSON logs'),
    max_body_bytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024)
      .describe('Largest request body accepted, as sent and after decompression (413 above). Parsing the largest JSON body must not stall other requests: 16 MiB parses in well under 100 ms here; Promtail and Alloy send about 1 MiB'),
    max_push_entries: z
      .number()
      .int()
      .positive()
      .default(50_000)
      .describe('Most streams plus entries one push request may carry (413 above; OTLP counts resources, scopes, records and attributes against 4x this). Bounds the time and memory one request takes: 50,000 one-byte OTLP/JSON records, the costliest kind, hold the event loop under 200 ms here. Promtail and Alloy batches (1 MiB) and the OTel Collector\'s (8,192 records) stay well below'),
    max_inflight_body_bytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe('Request bodies being read or handled at once, in bytes, over all requests; beyond it a request gets 503 with Retry-After (at least max_body_bytes)'),
    memory_soft_limit_mb: z
      .number()
      .int()
      .refine((mb) => mb === 0 || mb >= 64, 'must be 0 (off) or at least 64: the idle server alone is resident in about 100 MB')
      .default(MEMORY_SOFT_LIMIT_MB)
      .describe('Soft limit of the server process\' resident memory, MB, like Go\'s GOMEMLIMIT: above it, once no push is in flight and allocation is calm, the main thread asks V8 for a full garbage collection (at most one a second, and only when its heap and buffers can give back 32 MB), so the garbage of a burst of pushes is returned before the queries that follow it allocate (docs/deploy.md, "Server memory"). logwharf_memory_governor_gcs_total counts the collections. 0 = off; else at least 64'),
    limits: z
      .object({
        max_line_size: z.number().int().nonnegative().optional().describe('Bytes; 0 = unlimited (Loki default 256KB)'),
        max_line_size_truncate: z.boolean().optional().describe('Truncate long lines instead of rejecting them'),
        max_label_names_per_series: z.number().int().positive().optional().describe('Loki default 15'),
        max_label_name_length: z.number().int().positive().optional().describe('Loki default 1024'),
        max_label_value_length: z.number().int().positive().optional().describe('Loki default 2048'),
        ingestion_rate_mb: z.number().positive().optional().describe('Per-tenant ingestion rate, MB/s (Loki default 4)'),
        ingestion_burst_size_mb: z.number().positive().optional().describe('Per-tenant burst, MB (Loki default 6)'),
        per_stream_rate_limit_mb: z.number().positive().optional().describe('Per-stream rate, MB/s (Loki default 3)'),
        per_stream_rate_limit_burst_mb: z.number().positive().optional().describe('Per-stream burst, MB (Loki default 15)'),
        max_global_streams_per_user: z.number().int().nonnegative().optional().describe('Active streams per tenant (Loki default 5000; 0 = unlimited)'),
        reject_old_samples: z.boolean().optional().describe('Reject entries older than reject_old_samples_max_age (Loki default true)'),
        reject_old_samples_max_age: duration.optional().describe('Loki default 1w (168h)'),
        creation_grace_period: duration.optional().describe('How far in the future entries may be (Loki default 10m)'),
        out_of_order_window: duration.optional().describe('How far behind a stream\'s newest entry an entry may be (Loki: max_chunk_age/2 = 1h)'),
        max_structured_metadata_size: z.number().int().nonnegative().optional().describe('Bytes of structured metadata per entry (Loki default 64KB)'),
        max_structured_metadata_entries_count: z.number().int().nonnegative().optional().describe('Structured metadata pairs per entry (Loki default 128)'),
        stream_idle_period: duration.optional().describe('A stream stops counting as active after this long without entries (default 30m)'),
        discover_service_name: z
          .array(z.string())
          .optional()
          .describe('Labels from which a stream without service_name gets one, first present wins, else "unknown_service" (Loki 3 default: service, app, application, app_name, name, app_kubernetes_io_name, container, container_name, k8s_container_name, component, workload, job, k8s_job_name); [] turns it off for Loki pushes (OTLP always discovers it)'),
        discover_log_levels: z
          .boolean()
          .optional()
          .describe('Add detected_level structured metadata to every entry at ingest, from a level label or metadata, OTLP severity, a JSON or logfmt level field, or keywords in the line (Loki 3 default true)'),
        max_entries_limit_per_query: z.number().int().positive().default(5000).describe('Largest `limit` a log query may ask for'),
        max_query_series: z.number().int().positive().default(500).describe('Largest number of series a metric query may return'),
      })
      .strict()
      .prefault({})
      .describe('Ingestion and query limits, with Loki\'s defaults'),
    storage: z
      .object({
        block_target_bytes: z.number().int().positive().default(256 * 1024).describe('Raw bytes per compressed block'),
        max_block_age: duration
          .default('5m')
          .describe('A stream\'s open block (its head, in memory and in the WAL) is sealed into a block this long after its first entry arrived (or at block_target_bytes, or after 15m without entries). WAL segments roll at half of this and are deleted once sealed, so the WAL keeps about 1.5 × this of data; the 5m default has lines on disk as blocks (~0.2 bytes per raw byte instead of the WAL\'s ~1.2) within 10 minutes of ingest. Quiet streams then make small blocks, which the compaction merges (docs/storage.md, "Seal policy and the WAL\'s size"). Loki\'s max_chunk_age is 2h'),
        compaction_interval: duration.default('10m').describe('How often retention and compaction run'),
        cold_after: duration
          .default('2h')
          .describe('Blocks whose newest entry is older than this are merged per stream and recompressed (the cold tier); 0s keeps every block hot'),
        cold_compression_level: z.number().int().min(1).max(22).default(16).describe('zstd level of cold blocks (16 measured smallest and cheapest for the line-columns layout here; 17 for the text layout)'),
        cold_block_bytes: z.number().int().positive().default(2 * 1024 * 1024).describe('Raw bytes per cold block (2 MiB: docs/storage.md has the trade-off against disk and query memory)'),
        cold_line_columns: z
          .boolean()
          .default(true)
          .describe('Cold blocks store lines as templates and per-field columns (docs/storage.md): ~8% less disk and ~35% less compaction CPU than the text layout (false); query workers decode both a piece at a time. Blocks of either layout stay readable whatever this says'),
        cold_bloom_long_hex: z
          .boolean()
          .default(false)
          .describe('Cold blooms keep hex tokens of 16 or more characters (trace, span and request ids), so a search for such an id alone skips cold blocks too; ~0.0035 more bytes per raw byte on the bench corpus (docs/storage.md "Cold blooms"). Blocks compacted before a change keep their blooms'),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        period: duration.default('7d').describe('Global retention period'),
        streams: z.array(retentionRule).default([]).describe('Per-stream rules in the style of Loki\'s retention_stream'),
      })
      .strict()
      .prefault({}),
    runtime_config: z
      .object({
        file: z
          .string()
          .default('')
          .describe('YAML file of per-tenant overrides, Loki\'s runtime-config format: `overrides: {<tenant>: {<limit>: value}}` with the names of `limits` plus retention_period and retention_stream (docs/security.md). Read at start (a bad file stops the start) and reloaded when it changes, without a restart; a bad rewrite keeps the overrides in force. Empty = none'),
        period: duration.default('10s').describe('How often the file is checked besides watching its directory (Loki\'s default 10s)'),
      })
      .strict()
      .prefault({})
      .describe('Per-tenant overrides reloaded at run time, as Loki\'s runtime_config'),
    deletion: z
      .object({
        cancel_period: duration
          .default('24h')
          .describe('How long a delete request (POST /loki/api/v1/delete) can be cancelled before it is applied, as Loki\'s delete_request_cancel_period; 0s applies it at once'),
      })
      .strict()
      .prefault({})
      .describe('Loki\'s log deletion API (docs/lifecycle.md): requests are kept in <data>/deletes/requests.json and applied after the cancel period'),
    registry: z
      .object({
        stale_after: duration
          .default('30s')
          .describe('An agent that has not reported sources for this long is marked stale in GET /api/v1/sources (three of the agent\'s report intervals)'),
      })
      .strict()
      .prefault({})
      .describe('The sources registry (registry.db in the data directory): what each agent collects, and coverage'),
    fleet: z
      .object({
        stale_after: duration
          .default('90s')
          .describe('A connected agent that has sent no OpAMP message (heartbeat) for this long is stale: a canary that goes stale rolls its rollout back (three of OpAMP\'s default 30s heartbeats)'),
        default_window: duration.default('30s').describe('The health window of a rollout that names none (`--window`): every canary must stay healthy and heartbeating this long before the rest get the version'),
        apply_timeout: duration.default('2m').describe('How long an agent offered a version has to report it applied before the rollout rolls back'),
        collector: z
          .object({
            server_url: z
              .string()
              .regex(/^https?:\/\/[^\s/]+/i, 'an http:// or https:// URL')
              .optional()
              .describe('Base URL OpenTelemetry Collectors managed by the fleet ship to (they post to <url>/otlp/v1/logs): the address they reach this server at, which the server cannot know itself. Without it, a configuration for Collectors must set client.url, or it is refused at apply'),
            token_file: z.string().min(1).optional().describe('File on the Collector\'s machine holding its bearer token (rendered as Authorization: Bearer ${file:PATH})'),
            token_env: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
              .optional()
              .describe('Environment variable of the Collector holding its bearer token (${env:NAME}); token_file wins when both are set'),
            tenant: z.string().min(1).optional().describe('Sent by Collectors as X-Scope-OrgID, unless the configuration sets client.tenant_id'),
            ca_file: z.string().min(1).optional().describe('PEM file on the Collector\'s machine of the CA that signed this server\'s certificate'),
          })
          .strict()
          .prefault({})
          .describe('Where the OpenTelemetry Collectors the fleet manages ship their logs (docs/fleet.md, "Collectors"): rendered into every configuration for Collectors at apply'),
      })
      .strict()
      .prefault({})
      .describe('The control plane (docs/fleet.md): agent configurations and their rollouts, in fleet.db in the data directory'),
    audit: z
      .object({
        tenant: z
          .string()
          .regex(/^[A-Za-z0-9!\-_.*'()]{1,150}$/, "a tenant id: 1-150 characters of [A-Za-z0-9!-_.*'()]")
          .refine((t) => t !== '.' && t !== '..' && t !== 'fake', 'must not be ".", ".." or "fake" (the tenant of every request when auth_enabled is false)')
          .default('logwharf-audit')
          .describe('The reserved tenant the audit log is written to (admin actions, refused requests, token changes): read it with LogQL, {log_type="audit"}; nobody can push to it. With tokens, reading it needs an admin token holding it'),
        denied_burst: z
          .number()
          .int()
          .positive()
          .default(10)
          .describe('Refused requests recorded one by one per client address and denied_interval; beyond it they are counted into one summary record per address'),
        denied_interval: duration
          .default('1m')
          // The pattern's own issue names a malformed value; this one only a well-formed short one.
          .refine((d) => !DURATION_PATTERN.test(d) || parseDurationMs(d) >= 1000, 'at least 1s')
          .describe('The window of denied_burst (and of the server-wide bound of 100 records one by one)'),
      })
      .strict()
      .prefault({})
      .describe('The durable audit log (docs/security.md, "Audit log")'),
    health: z
      .object({
        record_interval: duration
          .default('30s')
          .refine((d) => !DURATION_PATTERN.test(d) || parseDurationMs(d) === 0 || parseDurationMs(d) >= 1000, '0s (off) or at least 1s')
          .describe('How often the health monitor (GET /api/v1/status) writes each component\'s status as JSON lines into the audit tenant\'s stream {log_type="health"}, which the default rules read; 0s writes none (and the default rules then have nothing to see)'),
        default_rules: z
          .boolean()
          .default(true)
          .describe('Ship the self-monitoring alert rules (agent stale, sources failing, coverage below 100 %, disk nearly full, any component critical) as namespace "logwharf" of the audit tenant, overridable through the ruler API (docs/alerting.md, "Health and status"); needs ruler.enabled and record_interval'),
        disk_warning_percent: z.number().min(0).max(100).default(85).describe('The store\'s filesystem this full (used, in %) makes the store component warning'),
        disk_critical_percent: z.number().min(0).max(100).default(95).describe('The store\'s filesystem this full (used, in %) makes the store component critical'),
      })
      .strict()
      .prefault({})
      .describe('The health monitor: GET /api/v1/status, `logwharf status`, health records and the default self-monitoring rules (docs/alerting.md, "Health and status")'),
    ui: z
      .object({
        enabled: z.boolean().default(true).describe('Serve the web UI at / (Explore, Overview, Sources, Alerts); false answers 404 there and keeps only the APIs'),
      })
      .strict()
      .prefault({})
      .describe('The built-in web UI (docs/ui.md)'),
    http: z
      .object({
        header_timeout: duration
          .default('10s')
          .describe('A client must send its complete request headers within this long, or gets 408 and is disconnected (slow-header clients)'),
        request_timeout: duration
          .default('2m')
          .describe('A client must send its whole request, body included, within this long (0s = no limit; at least header_timeout). Handling time is not counted: long queries and tails are not cut'),
        idle_timeout: duration.default('65s').describe('A keep-alive connection with no request in flight is closed after this long (above the 60s idle timeout of common load balancers)'),
        socket_timeout: duration
          .default('2m')
          .describe('A connection on which nothing moves for this long while no handler runs (e.g. a client that stops reading its response) is closed (0s = never)'),
      })
      .strict()
      .prefault({})
      .describe('Connection timeouts against slow or stalled clients'),
    tls: z
      .object({
        cert_file: z.string().optional().describe('PEM file of the server certificate (with its intermediates); with key_file the server speaks HTTPS only. Reloaded when it changes on disk, without a restart'),
        key_file: z.string().optional().describe('PEM file of the private key of cert_file'),
        client_ca_file: z.string().optional().describe('PEM file of the CA(s) that sign client certificates (mTLS), e.g. the agents\''),
        client_auth: z
          .enum(['none', 'request', 'require'])
          .default('none')
          .describe('none: ask for no client certificate; request: ask, and let a client without one (or with one client_ca_file did not sign) connect as certificate-less; require: refuse every connection without a certificate client_ca_file signed (needs client_ca_file)'),
        min_version: z
          .enum(['TLS1.2', 'TLS1.3'])
          .default('TLS1.2')
          .describe('Oldest protocol version accepted; TLS 1.0 and 1.1 are never accepted'),
      })
      .strict()
      .prefault({})
      .describe('HTTPS and client certificates (docs/security.md); off while cert_file is unset'),
    query: z
      .object({
        workers: z.number().int().nonnegative().default(2).describe('Worker threads that run every query\'s block scans and range aggregations, so no query holds the server and query.timeout can stop one (0 = on the main thread, where neither holds)'),
        timeout: duration.default('60s').describe('Longest a query may run; then it answers 504 and the workers running it are replaced'),
        worker_heap_mb: z
          .number()
          .int()
          .min(16)
          .default(64)
          .describe('Each query worker\'s V8 heap (old generation), MB: what one query\'s decoded blocks, head entries and partial results may hold in a worker at once. A query that needs more answers 400 "query exceeds its memory budget" and its worker is replaced; the server and other queries go on. With query.workers it bounds the workers\' heaps (2 × 64 MB by default; the server\'s whole budget: docs/deploy.md, "Server memory"). Range jobs carry at most an eighth of it in head entries'),
        worker_young_generation_mb: z
          .number()
          .int()
          .min(3)
          .default(12)
          .describe('Each query worker\'s V8 young generation, MB (three times its semi-space): where a query\'s short-lived strings are made and dropped. Workers decode blocks a piece of lines at a time, so 12 (4 MB semi-spaces) costs no query CPU against 24 and keeps ~25 MB less resident while querying (docs/benchmarks.md, "Query-time memory"); a smaller one makes queries over whole-block decodes (the opt-in cold line columns) slower'),
        worker_idle_timeout: duration
          .default('30s')
          .describe('A query worker without jobs this long is stopped, giving its heap back to the system (a V8 heap does not shrink on its own); the next query starts it again (about 30 ms). 0s keeps the workers'),
        multi_tenant_queries_enabled: z
          .boolean()
          .default(false)
          .describe('With auth_enabled (behind a gateway): accept X-Scope-OrgID naming several tenants (`a|b`) on the query, labels and series routes, as Loki\'s querier.multi_tenant_queries_enabled. With auth.tokens_enabled it is not needed: a token may query across the tenants it holds'),
      })
      .strict()
      .prefault({}),
    ruler: z
      .object({
        enabled: z.boolean().default(true).describe('Evaluate alerting and recording rules and serve the ruler API (/loki/api/v1/rules, /prometheus/api/v1/rules and /alerts)'),
        evaluation_interval: duration.default('1m').describe('How often a group is evaluated when it sets no interval of its own (Loki\'s default 1m; `logwharf up` uses 10s so a single host hears of a problem within seconds)'),
        rules_dir: z
          .string()
          .default('')
          .describe('A directory of read-only rule files, <dir>/<tenant>/<namespace>.yaml (for rules kept in git), reloaded when they change; empty = none'),
        alertmanager_url: z
          .string()
          .default('')
          .describe('Alertmanager base URL(s), comma-separated, as in Loki (alerts are posted to <url>/api/v2/alerts); empty = the built-in notifier (notify.*)'),
        alertmanager_timeout: duration.default('10s').describe('Longest one send to an Alertmanager may take'),
        external_url: z
          .string()
          .default('')
          .describe('Base URL of this server as users reach it, for alerts\' generatorURL (empty = the listen address)'),
        external_labels: z.record(z.string(), z.string()).default({}).describe('Labels added to every alert and recorded series, e.g. {cluster: eu-1}'),
        resend_delay: duration.default('1m').describe('A firing alert is re-sent to the Alertmanager this often (Prometheus\' default 1m)'),
        max_rules_per_group: z.number().int().positive().default(2000).describe('Most rules one group may hold (a larger group is rejected at write time)'),
        max_groups_per_tenant: z.number().int().positive().default(1000).describe('Most rule groups one tenant may store through the API'),
        remote_write: z
          .object({
            url: z.string().default('').describe('Prometheus remote-write endpoint for recording rules\' samples (e.g. http://prometheus:9090/api/v1/write); empty = recording rules are evaluated but not written'),
            timeout: duration.default('30s').describe('Longest one remote-write request may take'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({})
      .describe('The ruler: LogQL alerting and recording rules, as in Loki'),
    notify: z
      .object({
        route: z
          .object({
            receiver: z.string().default('').describe('The receiver every alert goes to (one of notify.receivers); empty = alerts are kept and served on /alertmanager/api/v2 but sent nowhere'),
            group_by: z.array(z.string()).default(['alertname']).describe('Labels that group alerts into one notification (["..."] = every label, as in Alertmanager)'),
            group_wait: duration.default('30s').describe('How long a new group waits for more alerts before its first notification (Alertmanager\'s default; `logwharf up` uses 5s)'),
            group_interval: duration.default('5m').describe('How long to wait before notifying about new or resolved alerts of a group already notified'),
            repeat_interval: duration.default('4h').describe('How long to wait before re-sending a notification that has not changed'),
          })
          .strict()
          .prefault({}),
        receivers: z
          .array(
            z
              .object({
                name: z.string().min(1),
                webhook_configs: z
                  .array(
                    z
                      .object({
                        url: z.string().url().describe('Receives Alertmanager\'s webhook JSON (version 4)'),
                        send_resolved: z.boolean().default(true),
                        max_alerts: z.number().int().nonnegative().default(0).describe('Most alerts in one message (0 = all; the rest are counted in truncatedAlerts)'),
                      })
                      .strict(),
                  )
                  .default([]),
                slack_configs: z
                  .array(
                    z
                      .object({
                        api_url: z.string().url().describe('A Slack (or compatible) incoming-webhook URL'),
                        channel: z.string().default(''),
                        username: z.string().default('logwharf'),
                        send_resolved: z.boolean().default(false),
                        title: z.string().default('').describe('Template; empty = "[FIRING:n] group labels"'),
                        text: z.string().default('').describe('Template; empty = one line per alert from its summary or description annotation'),
                      })
                      .strict(),
                  )
                  .default([]),
              })
              .strict(),
          )
          .default([])
          .describe('Receivers in Alertmanager\'s configuration format (webhook_configs, slack_configs), so the block can be copied to a real Alertmanager'),
      })
      .strict()
      .prefault({})
      .describe('The built-in notifier, used when ruler.alertmanager_url is empty: a subset of Alertmanager (one route, webhook and Slack receivers, silences) that serves Alertmanager\'s v2 API under /alertmanager/api/v2'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.max_inflight_body_bytes < c.max_body_bytes) {
      ctx.addIssue({ code: 'custom', path: ['max_inflight_body_bytes'], message: `must be at least max_body_bytes (${c.max_body_bytes})` });
    }
    const tls = c.tls;
    if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tls', tls.cert_file === undefined ? 'cert_file' : 'key_file'], message: 'tls.cert_file and tls.key_file go together: set both for HTTPS, or neither' });
    }
    if (tls.client_auth === 'require' && tls.client_ca_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'client_ca_file'], message: 'tls.client_auth: require needs tls.client_ca_file, the CA that signs the client certificates' });
    }
    if (tls.cert_file === undefined && (tls.client_ca_file !== undefined || tls.client_auth !== 'none')) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'cert_file'], message: 'client certificates (tls.client_ca_file, tls.client_auth) need HTTPS: set tls.cert_file and tls.key_file' });
    }
    // node:http refuses a header timeout longer than a non-zero request timeout.
    const req = parseDurationMs(c.http.request_timeout);
    if (req > 0 && parseDurationMs(c.http.header_timeout) > req) {
      ctx.addIssue({ code: 'custom', path: ['http', 'request_timeout'], message: `must be 0s or at least http.header_timeout (${c.http.header_timeout})` });
    }
    if (c.health.disk_warning_percent > c.health.disk_critical_percent) {
      ctx.addIssue({ code: 'custom', path: ['health', 'disk_warning_percent'], message: `must not be above health.disk_critical_percent (${c.health.disk_critical_percent})` });
    }
    const names = new Set(c.notify.receivers.map((r) => r.name));
    if (c.notify.route.receiver !== '' && !names.has(c.notify.route.receiver)) {
      ctx.addIssue({ code: 'custom', path: ['notify', 'route', 'receiver'], message: `undefined receiver "${c.notify.route.receiver}" used in route` });
    }
    if (names.size !== c.notify.receivers.length) {
      ctx.addIssue({ code: 'custom', path: ['notify', 'receivers'], message: 'receiver names must be unique' });
    }
  });

export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** Flags the CLI passes; they override the file and the environment. */
export interface ServerFlags {
  listen?: string;
  data?: string;
  config?: string;
  logLevel?: string;
  authEnabled?: boolean;
}

/**
 * Defaults `logwharf up` changes for a single host, under whatever the user sets: a problem should
 * reach a receiver within seconds (issue #9's detection-time target: p99 ≤ 30 s, measured by
 * bench/mttd.bench.ts), where a large install keeps Loki's 1m and Alertmanager's 30s.
 */
export const UP_SERVER_DEFAULTS: Readonly<Record<string, unknown>> = {
  ruler: { evaluation_interval: '10s' },
  notify: { route: { group_wait: '5s' } },
};

/** `base` with `over` laid on top, mapping by mapping (arrays and scalars are replaced). */
function layer(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isMap(b) && isMap(v) ? layer(b, v) : v;
  }
  return out;
}

/**
 * Loads and validates the configuration: role defaults → YAML file → LOGWHARF_* environment → flags.
 * `roleDefaults` (e.g. UP_SERVER_DEFAULTS) replace schema defaults for a role; anything the user sets wins.
 */
export function loadServerConfig(flags: ServerFlags = {}, roleDefaults: Readonly<Record<string, unknown>> = {}): ServerConfig {
  const file = flags.config ?? env('LOGWHARF_CONFIG');
  const raw = layer(roleDefaults, file ? readYamlMapping(file) : {});
  const overrides: Record<string, unknown> = {};
  const envListen = env('LOGWHARF_LISTEN');
  const envData = env('LOGWHARF_DATA');
  const envLevel = env('LOGWHARF_LOG_LEVEL');
  if (envListen) overrides.listen = envListen;
  if (envData) overrides.data = envData;
  if (envLevel) overrides.log_level = envLevel;
  if (flags.listen !== undefined) overrides.listen = flags.listen;
  if (flags.data !== undefined) overrides.data = flags.data;
  if (flags.logLevel !== undefined) overrides.log_level = flags.logLevel;
  if (flags.authEnabled !== undefined) overrides.auth_enabled = flags.authEnabled;
  return validateConfig(serverConfigSchema, { ...raw, ...overrides }, file);
}

