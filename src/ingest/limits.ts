/**
 * Ingestion limits with Loki's defaults (limits_config, pkg/validation/limits.go), in one place.
 * The configuration speaks Loki's snake_case names and units (MB, durations); `resolveLimits` turns
 * it into bytes and milliseconds for the code that enforces it.
 */

import { durationNsToMs } from '../api/time-units.js';
import { tryParseDuration } from '../logql/syntax/duration.js';

const MB = 1024 * 1024;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Loki: max_line_size 256KB (0 = unlimited). */
export const DEFAULT_MAX_LINE_SIZE = 256 * 1024;
/** Loki: max_line_size_truncate false. */
export const DEFAULT_MAX_LINE_SIZE_TRUNCATE = false;
/** Loki: max_label_names_per_series 15. */
export const DEFAULT_MAX_LABEL_NAMES_PER_SERIES = 15;
/** Loki: max_label_name_length 1024. */
export const DEFAULT_MAX_LABEL_NAME_LENGTH = 1024;
/** Loki: max_label_value_length 2048. */
export const DEFAULT_MAX_LABEL_VALUE_LENGTH = 2048;
/** Loki: ingestion_rate_mb 4. */
export const DEFAULT_INGESTION_RATE_MB = 4;
/** Loki: ingestion_burst_size_mb 6. */
export const DEFAULT_INGESTION_BURST_SIZE_MB = 6;
/** Loki: per_stream_rate_limit 3MB. */
export const DEFAULT_PER_STREAM_RATE_LIMIT_MB = 3;
/** Loki: per_stream_rate_limit_burst 15MB (5 × the rate). */
export const DEFAULT_PER_STREAM_RATE_LIMIT_BURST_MB = 15;
/** Loki: max_global_streams_per_user 5000 (0 = unlimited). */
export const DEFAULT_MAX_GLOBAL_STREAMS_PER_USER = 5000;
/** Loki: reject_old_samples true. */
export const DEFAULT_REJECT_OLD_SAMPLES = true;
/** Loki: reject_old_samples_max_age 1w. */
export const DEFAULT_REJECT_OLD_SAMPLES_MAX_AGE_MS = 7 * 24 * HOUR;
/** Loki: creation_grace_period 10m. */
export const DEFAULT_CREATION_GRACE_PERIOD_MS = 10 * MINUTE;
/** Loki accepts out-of-order entries within max_chunk_age / 2 = 2h / 2 behind a stream's newest entry. */
export const DEFAULT_OUT_OF_ORDER_WINDOW_MS = 1 * HOUR;
/** Loki 3: discover_log_levels true (detected_level structured metadata at ingest, see detect-level.ts). */
export const DEFAULT_DISCOVER_LOG_LEVELS = true;
/** Loki: max_structured_metadata_size 64KB per entry. */
export const DEFAULT_MAX_STRUCTURED_METADATA_SIZE = 64 * 1024;
/** Loki: max_structured_metadata_entries_count 128 per entry. */
export const DEFAULT_MAX_STRUCTURED_METADATA_ENTRIES = 128;
/** A stream counts as active until it has received nothing for this long (Loki: chunk_idle_period 30m). */
export const DEFAULT_STREAM_IDLE_PERIOD_MS = 30 * MINUTE;
/**
 * Loki 3's discover_service_name default: when a stream has no service_name, the first of these
 * labels that it has names the service, else "unknown_service". The default of the
 * `discover_service_name` limit, as in Loki 3; an empty list turns discovery off for Loki pushes,
 * while OTLP pushes fall back to this list (a resource without service.name must still make a stream).
 */
export const DEFAULT_DISCOVER_SERVICE_NAME: readonly string[] = [
  'service',
  'app',
  'application',
  'app_name',
  'name',
  'app_kubernetes_io_name',
  'container',
  'container_name',
  'k8s_container_name',
  'component',
  'workload',
  'job',
  'k8s_job_name',
];
export const UNKNOWN_SERVICE = 'unknown_service';
/**
 * What the rate limiters charge for an entry on top of its line and structured metadata: its
 * timestamp, framing and index share. Loki charges only line bytes, so a million one-byte entries
 * passed a 6 MB burst as 1 MB while costing the server ~30 times that (issue #8); with this they
 * cost about what they weigh on the wire (~28 bytes each in JSON). Discard metrics and messages
 * still count line bytes, as Loki's do.
 */
export const ENTRY_OVERHEAD_BYTES = 32;

/** Limits as enforced: sizes in bytes, rates in bytes per second, durations in milliseconds. 0 disables a size or count limit. */
export interface Limits {
  maxLineSize: number;
  maxLineSizeTruncate: boolean;
  maxLabelNamesPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  ingestionRateBytes: number;
  ingestionBurstBytes: number;
  perStreamRateBytes: number;
  perStreamBurstBytes: number;
  maxGlobalStreamsPerUser: number;
  rejectOldSamples: boolean;
  rejectOldSamplesMaxAgeMs: number;
  creationGracePeriodMs: number;
  outOfOrderWindowMs: number;
  maxStructuredMetadataSize: number;
  maxStructuredMetadataEntries: number;
  streamIdlePeriodMs: number;
  /** service_name discovery for Loki pushes; empty = off. OTLP falls back to DEFAULT_DISCOVER_SERVICE_NAME. */
  discoverServiceName: readonly string[];
  /** Adds detected_level structured metadata to every entry. */
  discoverLogLevels: boolean;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLineSize: DEFAULT_MAX_LINE_SIZE,
  maxLineSizeTruncate: DEFAULT_MAX_LINE_SIZE_TRUNCATE,
  maxLabelNamesPerSeries: DEFAULT_MAX_LABEL_NAMES_PER_SERIES,
  maxLabelNameLength: DEFAULT_MAX_LABEL_NAME_LENGTH,
  maxLabelValueLength: DEFAULT_MAX_LABEL_VALUE_LENGTH,
  ingestionRateBytes: DEFAULT_INGESTION_RATE_MB * MB,
  ingestionBurstBytes: DEFAULT_INGESTION_BURST_SIZE_MB * MB,
  perStreamRateBytes: DEFAULT_PER_STREAM_RATE_LIMIT_MB * MB,
  perStreamBurstBytes: DEFAULT_PER_STREAM_RATE_LIMIT_BURST_MB * MB,
  maxGlobalStreamsPerUser: DEFAULT_MAX_GLOBAL_STREAMS_PER_USER,
  rejectOldSamples: DEFAULT_REJECT_OLD_SAMPLES,
  rejectOldSamplesMaxAgeMs: DEFAULT_REJECT_OLD_SAMPLES_MAX_AGE_MS,
  creationGracePeriodMs: DEFAULT_CREATION_GRACE_PERIOD_MS,
  outOfOrderWindowMs: DEFAULT_OUT_OF_ORDER_WINDOW_MS,
  maxStructuredMetadataSize: DEFAULT_MAX_STRUCTURED_METADATA_SIZE,
  maxStructuredMetadataEntries: DEFAULT_MAX_STRUCTURED_METADATA_ENTRIES,
  streamIdlePeriodMs: DEFAULT_STREAM_IDLE_PERIOD_MS,
  discoverServiceName: DEFAULT_DISCOVER_SERVICE_NAME,
  discoverLogLevels: DEFAULT_DISCOVER_LOG_LEVELS,
});

/** Duration in configuration: a number of milliseconds or text such as `30s`, `1h30m`, `7d`, `1w`. */
export type DurationInput = number | string;

/**
 * Limits as configured, with Loki's limits_config names and units. Unknown keys are ignored here
 * (the config schema rejects them); absent keys take Loki's defaults.
 */
export interface LimitsConfig {
  max_line_size?: number;
  max_line_size_truncate?: boolean;
  max_label_names_per_series?: number;
  max_label_name_length?: number;
  max_label_value_length?: number;
  ingestion_rate_mb?: number;
  ingestion_burst_size_mb?: number;
  per_stream_rate_limit_mb?: number;
  per_stream_rate_limit_burst_mb?: number;
  max_global_streams_per_user?: number;
  reject_old_samples?: boolean;
  reject_old_samples_max_age?: DurationInput;
  creation_grace_period?: DurationInput;
  out_of_order_window?: DurationInput;
  max_structured_metadata_size?: number;
  max_structured_metadata_entries_count?: number;
  stream_idle_period?: DurationInput;
  discover_service_name?: readonly string[];
  discover_log_levels?: boolean;
}

/** A duration from configuration (LogQL's syntax: `30s`, `1h30m`, `7d`, `1.5h`) in milliseconds. */
export function durationMs(v: DurationInput, name: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: invalid duration ${v}`);
    return v;
  }
  if (v.length === 0) throw new Error(`${name}: empty duration`);
  const ns = tryParseDuration(v);
  if (typeof ns === 'string' || ns < 0) throw new Error(`${name}: invalid duration ${JSON.stringify(v)}`);
  return durationNsToMs(ns);
}

/** Applies a configuration on top of `base` (Loki's defaults unless given). */
export function resolveLimits(cfg: LimitsConfig | undefined, base: Readonly<Limits> = DEFAULT_LIMITS): Limits {
  const l: Limits = { ...base };
  if (!cfg) return l;
  if (cfg.max_line_size !== undefined) l.maxLineSize = cfg.max_line_size;
  if (cfg.max_line_size_truncate !== undefined) l.maxLineSizeTruncate = cfg.max_line_size_truncate;
  if (cfg.max_label_names_per_series !== undefined) l.maxLabelNamesPerSeries = cfg.max_label_names_per_series;
  if (cfg.max_label_name_length !== undefined) l.maxLabelNameLength = cfg.max_label_name_length;
  if (cfg.max_label_value_length !== undefined) l.maxLabelValueLength = cfg.max_label_value_length;
  if (cfg.ingestion_rate_mb !== undefined) l.ingestionRateBytes = cfg.ingestion_rate_mb * MB;
  if (cfg.ingestion_burst_size_mb !== undefined) l.ingestionBurstBytes = cfg.ingestion_burst_size_mb * MB;
  if (cfg.per_stream_rate_limit_mb !== undefined) l.perStreamRateBytes = cfg.per_stream_rate_limit_mb * MB;
  if (cfg.per_stream_rate_limit_burst_mb !== undefined) l.perStreamBurstBytes = cfg.per_stream_rate_limit_burst_mb * MB;
  if (cfg.max_global_streams_per_user !== undefined) l.maxGlobalStreamsPerUser = cfg.max_global_streams_per_user;
  if (cfg.reject_old_samples !== undefined) l.rejectOldSamples = cfg.reject_old_samples;
  if (cfg.reject_old_samples_max_age !== undefined) l.rejectOldSamplesMaxAgeMs = durationMs(cfg.reject_old_samples_max_age, 'reject_old_samples_max_age');
  if (cfg.creation_grace_period !== undefined) l.creationGracePeriodMs = durationMs(cfg.creation_grace_period, 'creation_grace_period');
  if (cfg.out_of_order_window !== undefined) l.outOfOrderWindowMs = durationMs(cfg.out_of_order_window, 'out_of_order_window');
  if (cfg.max_structured_metadata_size !== undefined) l.maxStructuredMetadataSize = cfg.max_structured_metadata_size;
  if (cfg.max_structured_metadata_entries_count !== undefined) l.maxStructuredMetadataEntries = cfg.max_structured_metadata_entries_count;
  if (cfg.stream_idle_period !== undefined) l.streamIdlePeriodMs = durationMs(cfg.stream_idle_period, 'stream_idle_period');
  if (cfg.discover_service_name !== undefined) l.discoverServiceName = [...cfg.discover_service_name];
  if (cfg.discover_log_levels !== undefined) l.discoverLogLevels = cfg.discover_log_levels;
  return l;
}

/**
 * Loki's defaults in the configuration's names and units, for showing a tenant's effective limits
 * (GET /runtime_config): what `resolveLimits` applies when a key is absent.
 */
export const DEFAULT_LIMITS_CONFIG: Readonly<Required<LimitsConfig>> = Object.freeze({
  max_line_size: DEFAULT_MAX_LINE_SIZE,
  max_line_size_truncate: DEFAULT_MAX_LINE_SIZE_TRUNCATE,
  max_label_names_per_series: DEFAULT_MAX_LABEL_NAMES_PER_SERIES,
  max_label_name_length: DEFAULT_MAX_LABEL_NAME_LENGTH,
  max_label_value_length: DEFAULT_MAX_LABEL_VALUE_LENGTH,
  ingestion_rate_mb: DEFAULT_INGESTION_RATE_MB,
  ingestion_burst_size_mb: DEFAULT_INGESTION_BURST_SIZE_MB,
  per_stream_rate_limit_mb: DEFAULT_PER_STREAM_RATE_LIMIT_MB,
  per_stream_rate_limit_burst_mb: DEFAULT_PER_STREAM_RATE_LIMIT_BURST_MB,
  max_global_streams_per_user: DEFAULT_MAX_GLOBAL_STREAMS_PER_USER,
  reject_old_samples: DEFAULT_REJECT_OLD_SAMPLES,
  reject_old_samples_max_age: '1w',
  creation_grace_period: '10m',
  out_of_order_window: '1h',
  max_structured_metadata_size: DEFAULT_MAX_STRUCTURED_METADATA_SIZE,
  max_structured_metadata_entries_count: DEFAULT_MAX_STRUCTURED_METADATA_ENTRIES,
  stream_idle_period: '30m',
  discover_service_name: DEFAULT_DISCOVER_SERVICE_NAME,
  discover_log_levels: DEFAULT_DISCOVER_LOG_LEVELS,
});

/**
 * Per-tenant limits: the defaults, with overrides for named tenants (Loki's runtime overrides,
 * src/config/runtime-config.ts). The overrides are replaced whole when the runtime-config file is
 * reloaded; every push reads its tenant's limits afresh, so a reload applies from the next push on.
 */
export class TenantLimits {
  private readonly defaults: Limits;
  /** Resolved limits of each tenant with overrides; replaced (never edited) by setOverrides. */
  private perTenant = new Map<string, Limits>();

  constructor(defaults?: LimitsConfig, overrides?: Record<string, LimitsConfig>) {
    this.defaults = resolveLimits(defaults);
    this.setOverrides(overrides ?? {});
  }

  /** Replaces every tenant's overrides (each laid on top of the defaults, key by key). */
  setOverrides(overrides: Record<string, LimitsConfig>): void {
    const next = new Map<string, Limits>();
    for (const [tenant, cfg] of Object.entries(overrides)) next.set(tenant, resolveLimits(cfg, this.defaults));
    this.perTenant = next;
  }

  for(tenant: string): Limits {
    return this.perTenant.get(tenant) ?? this.defaults;
  }
}
