/**
 * The agent role's configuration (issue #4): one strict schema, defaults here, merged file →
 * environment → flags like the server's. Names follow Promtail/Alloy where a Loki user would look
 * for them (batch_wait, batch_size, tenant_id, relabel_configs-style rules).
 * docs/configuration.md is generated from this schema too.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { DURATION_PATTERN } from './listen.js';
import { env } from './env.js';
import { readYamlMapping, validateConfig } from './file.js';
import { LogwharfError } from '../api/errors.js';

const duration = z.string().regex(DURATION_PATTERN, 'a duration such as 30s, 15m, 7d');
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name ([a-zA-Z_][a-zA-Z0-9_]*)');

/**
 * auto | true | false. YAML reads an unquoted `true` as a boolean, which users write (issue #8): a
 * boolean is taken as its string, so `enabled: true` and `enabled: "true"` mean the same.
 */
const autoSwitch = z.preprocess((v) => (typeof v === 'boolean' ? String(v) : v), z.enum(['auto', 'true', 'false']));

const clientSchema = z
  .object({
    url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/i, 'an http:// or https:// URL')
      .optional()
      .describe('Base URL of a Loki-compatible server (logwharf or Loki); a full push URL ending in /loki/api/v1/push (or /otlp/v1/logs) is used as it is. Required by `logwharf agent` (or `--server`, LOGWHARF_SERVER), as Promtail requires a client URL; `up` ships to its own server'),
    tenant_id: z.string().optional().describe('Sent as X-Scope-OrgID'),
    basic_auth: z
      .object({
        username: z.string(),
        password: z.string().optional(),
        password_file: z.string().optional().describe('Read the password from this file'),
      })
      .strict()
      .optional()
      .describe('HTTP basic authentication'),
    bearer_token: z.string().optional().describe('Sent as Authorization: Bearer'),
    bearer_token_file: z.string().optional().describe('Read the bearer token from this file'),
    tls: z
      .object({
        ca_file: z.string().optional().describe('PEM file of the CA that signed the server certificate (instead of the system\'s CAs). Every certificate in it is trusted as an anchor, as Promtail (Go) trusts its CA pool: an intermediate CA, or the server\'s own certificate, works too'),
        server_name: z.string().optional().describe('Host name the server certificate must name, when it is not the host of client.url (Promtail\'s tls_config.server_name); also sent as SNI'),
        insecure_skip_verify: z.boolean().default(false).describe('Do not verify the server certificate (testing only)'),
        cert_file: z.string().optional().describe('PEM file of this agent\'s client certificate, presented to a server that asks for one (mTLS: the server\'s tls.client_auth). It, key_file and ca_file are re-read every 10s and after a failed request: a renewed certificate is used without a restart'),
        key_file: z.string().optional().describe('PEM file of the private key of cert_file'),
      })
      .strict()
      .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), { message: 'client.tls.cert_file and client.tls.key_file go together: set both, or neither' })
      .prefault({}),
    output: z.enum(['loki', 'otlp']).default('loki').describe('loki: Loki push API; otlp: OTLP/HTTP logs (protobuf)'),
    encoding: z.enum(['protobuf', 'json']).default('protobuf').describe('Loki push body: protobuf+snappy (as Promtail) or JSON'),
    compression: z.enum(['none', 'gzip']).default('none').describe('Content-Encoding on top of the body (protobuf is always snappy inside)'),
    batch_size: z.number().int().positive().default(1024 * 1024).describe('Bytes of log lines per push request, at most'),
    batch_wait: duration.default('500ms').describe('Longest a line waits for its batch to fill'),
    timeout: duration.default('10s').describe('Timeout of one push request'),
    min_backoff: duration.default('500ms').describe('First retry delay after a 429, 5xx or network error'),
    max_backoff: duration.default('30s').describe('Longest retry delay; retries go on until the server accepts (nothing is dropped)'),
    external_labels: z.record(labelName, z.string()).default({}).describe('Labels added to every stream'),
  })
  .strict();

const dropRule = z
  .object({
    selector: z.string().optional().describe('LogQL stream selector the entry\'s labels must match, e.g. {container="nginx"}'),
    line: z.string().optional().describe('RE2 regular expression the line must match (unanchored)'),
    reason: z.string().regex(/^[a-z0-9_]+$/).default('drop_rule').describe('Reason label of logwharf_agent_lines_dropped_total'),
  })
  .strict();

const relabelRule = z
  .object({
    action: z
      .enum(['replace', 'keep', 'drop', 'labelmap', 'labeldrop', 'labelkeep'])
      .default('replace')
      .describe('As in Prometheus relabel_configs'),
    source_labels: z.array(z.string()).default([]).describe('Labels whose values are joined with `separator` and matched against `regex`'),
    separator: z.string().default(';'),
    regex: z.string().default('(.*)').describe('RE2, anchored at both ends'),
    target_label: z.string().optional().describe('Label written by replace'),
    replacement: z.string().default('$1').describe('Value written by replace; $1, ${name} refer to regex groups'),
  })
  .strict();

const multilineRule = z
  .object({
    selector: z.string().default('{}').describe('Streams this applies to (LogQL selector; {} = all)'),
    first_line: z.string().describe('RE2 matched against a line that starts a new entry; other lines join the previous entry'),
    max_wait: duration.default('3s').describe('A pending entry is shipped after this long without a continuation line'),
    max_lines: z.number().int().positive().default(500).describe('Lines joined into one entry at most'),
  })
  .strict();

const timestampRule = z
  .object({
    selector: z.string().default('{}').describe('Streams this applies to (LogQL selector; {} = all); the first rule whose selector matches a stream applies'),
    source: z.string().min(1).describe('The field holding the time: a top-level key of a JSON line, or a logfmt key'),
    format: z
      .enum(['RFC3339', 'RFC3339Nano', 'Unix', 'UnixMs', 'UnixUs', 'UnixNs'])
      .describe('Promtail\'s names; RFC3339 accepts fractional seconds too; Unix* accept a decimal fraction'),
    max_skew: duration.default('1h').describe('A parsed time further than this from the runtime\'s timestamp is ignored (clock skew, garbage)'),
  })
  .strict();

const fileTarget = z
  .object({
    paths: z.array(z.string()).min(1).describe('Glob patterns of files to tail, e.g. /var/log/*.log'),
    exclude: z.array(z.string()).default([]).describe('Glob patterns to leave out'),
    labels: z.record(labelName, z.string()).default({}).describe('Labels of these files\' streams (a filename label is always added)'),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    client: clientSchema.prefault({}).describe('Where and how to ship'),
    data: z.string().default('./agent-data').describe('Directory of the positions file and the optional disk buffer'),
    host: z.string().default('').describe('Value of the `host` label (and the node name when kubernetes.node_name is unset); "" means this machine\'s host name'),
    log_level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Level of the agent\'s own JSON logs'),
    metrics_listen: z
      .string()
      .default('127.0.0.1:3101')
      .describe('host:port of the agent\'s /metrics and /ready ("" turns it off; `logwharf up` serves them on the server port)'),
    max_line_bytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024)
      .describe('Partial lines (Docker 16 KiB splits, CRI P records) are joined up to this size; longer lines are split, the pieces marked with `truncated` metadata'),
    max_inflight_bytes: z
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024)
      .describe('Read ahead of the server\'s acknowledgements at most this much; beyond it reading pauses and the log files are the buffer'),
    positions_sync: duration.default('1s').describe('How often acknowledged positions are written (atomically) to disk'),
    deleted_file_grace: duration.default('5s').describe('A deleted or rotated-away file is closed this long after its last line was read'),
    poll_interval: duration
      .default('250ms')
      .describe(
        'How often a file is checked for new lines, renames and truncation where its directory cannot be watched (inotify); a watched file is woken by its changes and checked only every 8 × this, for safety',
      ),
    read_coalesce: duration
      .default('1s')
      .describe(
        'A watched file that changes again sooner than this after it was read waits out the rest before it is read again (unless it brought 8 KiB or more in the last second: a busy file is read at every change): fewer, larger reads on a node of many chatty containers (at 500 containers × 5 lines/s, 9% of a core instead of 13% at 500ms and 21% without), for at most this much more latency; 0s reads at every change',
      ),
    buffer: z
      .object({
        enabled: z.boolean().default(false).describe('Keep reading while the server is down, into a disk buffer under `data`'),
        max_bytes: z.number().int().positive().default(256 * 1024 * 1024).describe('Disk buffer cap; when full, reading pauses again'),
      })
      .strict()
      .prefault({}),
    docker: z
      .object({
        enabled: autoSwitch.default('auto').describe('auto: collect Docker containers when the socket exists (YAML true/false or the strings)'),
        socket: z.string().default('/var/run/docker.sock').describe('Docker Engine API unix socket'),
        container_labels: z
          .array(z.string())
          .default([])
          .describe('Container labels to copy into stream labels (names sanitised: com.example.team → com_example_team); all are available to relabel rules as __meta_docker_container_label_<name>'),
        resource_metrics: z
          .boolean()
          .default(true)
          .describe('Expose each collected container\'s CPU, memory, network and block-IO figures on /metrics under cAdvisor\'s names (container_cpu_usage_seconds_total, …) with the labels of its logs; read from its cgroup when readable, else from the Docker API, at scrape time'),
      })
      .strict()
      .prefault({}),
    kubernetes: z
      .object({
        enabled: autoSwitch.default('auto').describe('auto: collect pods when pods_dir exists (YAML true/false or the strings)'),
        pods_dir: z.string().default('/var/log/pods').describe('The kubelet\'s pod log directory'),
        node_name: z.string().optional().describe('This node (default: NODE_NAME from the downward API, else `host`)'),
        api_url: z
          .string()
          .optional()
          .describe('Kubernetes API base URL (default: in-cluster, https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT); "" turns pod metadata off'),
        token_file: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
        ca_file: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt'),
        pod_labels: z
          .array(z.string())
          .default([])
          .describe('Pod labels to copy into stream labels (sanitised); all are available to relabel rules as __meta_kubernetes_pod_label_<name>'),
        resource_metrics: z
          .boolean()
          .default(true)
          .describe('Expose each collected pod\'s CPU, memory, network and block-IO figures on /metrics (pod level: the kubelet\'s pod cgroup under /sys/fs/cgroup, best effort) with the labels of its logs less `container`'),
      })
      .strict()
      .prefault({}),
    files: z.array(fileTarget).default([]).describe('Plain log files by glob, for hosts without containers'),
    pipeline: z
      .object({
        detect_level: z.boolean().default(true).describe('Add detected_level structured metadata, as Loki 3 names it'),
        drop_healthchecks: z
          .boolean()
          .default(false)
          .describe('Drop health-check noise: kube-probe and other probe user agents, GET /health, /healthz, /ready, /readyz, /livez and /ping access lines'),
        drop: z.array(dropRule).default([]).describe('Entries to drop, by selector and/or line regex'),
        relabel: z.array(relabelRule).default([]).describe('Prometheus-style relabel rules over the target labels (and __meta_* labels), applied in order'),
        multiline: z.array(multilineRule).default([]).describe('Join stack traces: the first rule whose selector matches a stream applies'),
        timestamp: z
          .array(timestampRule)
          .default([])
          .describe('Take an entry\'s time from a field of its line instead of the runtime\'s read time; lines without a parsable field keep the runtime\'s time'),
      })
      .strict()
      .prefault({}),
    report: z
      .object({
        enabled: z.boolean().default(true).describe('Report sources to the server\'s registry (POST /api/v1/sources); turned off by itself against a server without it, e.g. Loki'),
        interval: duration.default('10s'),
      })
      .strict()
      .prefault({}),
    control: z
      .object({
        enabled: autoSwitch
          .default('auto')
          .describe('Be an OpAMP client of the server (POST <url>/v1/opamp): report this agent and take remote configuration. auto: turned off by itself against a server without /v1/opamp (404), e.g. Loki'),
        url: z
          .string()
          .regex(/^https?:\/\/[^\s/]+/i, 'an http:// or https:// URL')
          .optional()
          .describe('Base URL of the control plane (default: the server given at start, --server or client.url of this file, never a client.url set remotely); requests use client\'s credentials and TLS'),
        heartbeat: duration.default('15s').describe('How often the agent reports to the control plane when nothing changed'),
        health_window: duration
          .default('30s')
          .describe('After applying a remote configuration, the agent watches itself this long (shipping acknowledged, sources tailing, no repeated errors); on failure it goes back to the last good configuration by itself'),
        attributes: z
          .record(z.string().min(1), z.string())
          .default({})
          .describe('Attributes reported to the control plane, which configurations select agents by, e.g. {cluster: prod-eu, role: edge}'),
      })
      .strict()
      .prefault({})
      .describe('The remote configuration client (issue #13); every key here is local-only'),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;

/**
 * The server the agent ships to. There is no default: an agent that silently shipped to
 * 127.0.0.1:3100 sent a second copy of everything to the `up` next to it (issue #8). Promtail, too,
 * refuses to start without a client URL.
 */
export function clientUrl(client: { url?: string | undefined }): string {
  if (!client.url) {
    throw new LogwharfError('bad_request', 'no server to ship to: pass --server URL (or set LOGWHARF_SERVER, or client.url in the --config file), e.g. --server http://127.0.0.1:3100');
  }
  return client.url;
}

/** Flags the CLI passes; they override the file and the environment. */
export interface AgentFlags {
  server?: string;
  config?: string;
  data?: string;
  logLevel?: string;
  metricsListen?: string;
}

/**
 * Loads and validates the agent configuration: YAML file (`--config` or LOGWHARF_AGENT_CONFIG) →
 * environment (LOGWHARF_SERVER, LOGWHARF_AGENT_DATA, LOGWHARF_LOG_LEVEL, NODE_NAME) → flags.
 */
export function loadAgentConfig(flags: AgentFlags = {}): AgentConfig {
  const file = flags.config ?? env('LOGWHARF_AGENT_CONFIG');
  const raw = file ? readYamlMapping(file) : {};
  const merged: Record<string, unknown> = { ...raw };
  const client = { ...((raw.client as Record<string, unknown> | undefined) ?? {}) };
  const server = flags.server ?? env('LOGWHARF_SERVER');
  if (server !== undefined) client.url = server;
  merged.client = client;
  const data = flags.data ?? env('LOGWHARF_AGENT_DATA');
  if (data !== undefined) merged.data = data;
  const level = flags.logLevel ?? env('LOGWHARF_LOG_LEVEL');
  if (level !== undefined) merged.log_level = level;
  if (flags.metricsListen !== undefined) merged.metrics_listen = flags.metricsListen;
  const cfg = validateConfig(agentConfigSchema, merged, file);
  // The control plane is where the agent was told to ship at start: a remote client.url never moves it.
  cfg.control.url ??= cfg.client.url;
  cfg.host ||= hostname();
  cfg.kubernetes.node_name ??= env('NODE_NAME') ?? cfg.host;
  if (cfg.kubernetes.api_url === undefined) {
    const host = env('KUBERNETES_SERVICE_HOST');
    const port = env('KUBERNETES_SERVICE_PORT') ?? '443';
    cfg.kubernetes.api_url = host ? `https://${host.includes(':') ? `[${host}]` : host}:${port}` : '';
  }
  return cfg;
}
