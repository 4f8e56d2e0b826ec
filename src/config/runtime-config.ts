/**
 * The runtime-config file of per-tenant overrides (issue #11), in Loki's format:
 *
 *   overrides:
 *     <tenant>:
 *       <limit>: value          # any key of the server's `limits` section, same name and unit
 *       retention_period: 30d   # Loki's per-tenant retention
 *       retention_stream: [{selector, priority, period}]
 *
 * Strict like every config schema: an unknown key, a bad value or a selector that does not parse is
 * an error naming the file, the line and the key. Only `overrides` is read; Loki's other runtime
 * sections (`configs`, `multi_kv_config`) configure parts logwharf does not have, so they are
 * rejected rather than silently ignored. A tenant's value replaces the server's for that key only:
 * lists (`discover_service_name`, `retention_stream`) are replaced whole, as Loki does.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LogwharfError } from '../api/errors.js';
import { parseMatchers } from '../logql/syntax/index.js';
import { parseYamlMappingWithLines, validateConfig } from './file.js';
import { DURATION_PATTERN, retentionRule, serverConfigSchema, type ServerConfig } from './server.js';

export type LimitsSection = ServerConfig['limits'];
export type RetentionSection = ServerConfig['retention'];
export type RetentionStreamRule = RetentionSection['streams'][number];

/** One tenant's overrides: any limit of the `limits` section, and Loki's two retention keys. */
export type TenantOverrides = Partial<LimitsSection> & {
  retention_period?: string;
  retention_stream?: RetentionStreamRule[];
};

export interface RuntimeConfigFile {
  overrides: Record<string, TenantOverrides>;
}

/** The runtime-config keys that are retention, not limits. */
export const RETENTION_KEYS = ['retention_period', 'retention_stream'] as const;

/**
 * The limits section's fields, none with a default: a key a tenant does not set must fall back to
 * the server's value, not to the schema's default (which would silently undo a server-wide
 * `max_query_series`, say).
 */
function limitFields(): Record<string, z.ZodType> {
  const limits = (serverConfigSchema.shape.limits as unknown as { unwrap(): z.ZodObject }).unwrap();
  const out: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(limits.shape as Record<string, z.ZodType>)) {
    // (The description sits on the default's wrapper; the reference keeps it.)
    out[key] = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType).optional().describe(field.description ?? '') : field;
  }
  return out;
}

const duration = z.string().regex(DURATION_PATTERN, 'a duration such as 30s, 15m, 7d');

const streamRule = retentionRule.superRefine((r, ctx) => {
  try {
    parseMatchers(r.selector);
  } catch (e) {
    ctx.addIssue({ code: 'custom', path: ['selector'], message: `not a stream selector (${(e as Error).message}), e.g. {namespace="prod"}` });
  }
});

/** One tenant's overrides; docs/configuration.md lists its keys from here. */
export const tenantOverridesSchema = z
  .object({
    ...limitFields(),
    retention_period: duration.optional().describe('How long this tenant\'s data is kept (replaces retention.period for it; 0s = forever)'),
    retention_stream: z.array(streamRule).optional().describe('This tenant\'s per-stream retention rules (replace retention.streams for it, as a list)'),
  })
  .strict();

/** The example of docs/configuration.md and docs/security.md (a unit test checks it parses). */
export const RUNTIME_CONFIG_EXAMPLE = `overrides:
  # A noisy tenant, capped: pushes beyond 1 MB/s (2 MB bursts) get 429; 500 active streams at most.
  team-noisy:
    ingestion_rate_mb: 1
    ingestion_burst_size_mb: 2
    max_global_streams_per_user: 500
  # Kept longer than the server's retention.period, except its debug streams.
  team-compliance:
    retention_period: 400d
    retention_stream:
      - selector: '{level="debug"}'
        priority: 1
        period: 7d
    max_query_series: 2000
  # The audit log's reserved tenant is a tenant like any other here.
  logwharf-audit:
    retention_period: 365d
`;

/** `isTenantId`: which tenant names may carry overrides (the HTTP layer's rule; a name no request can carry is a typo). */
function runtimeConfigSchema(isTenantId: (t: string) => boolean) {
  return z
    .object({
      // `overrides:` with nothing under it, and a tenant with no keys, are YAML nulls: no overrides.
      overrides: z.record(z.string(), tenantOverridesSchema.nullable()).nullable().optional(),
    })
    .strict()
    .superRefine((c, ctx) => {
      for (const tenant of Object.keys(c.overrides ?? {})) {
        if (!isTenantId(tenant)) ctx.addIssue({ code: 'custom', path: ['overrides', tenant], message: "not a tenant id: use 1-150 characters of [A-Za-z0-9!-_.*'()]" });
      }
    });
}

/** SHA-256 of the file's bytes, as Loki's runtime_config_hash. */
export function runtimeConfigHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Parses and validates the text of a runtime-config file; `file` names it in errors. Throws a
 * LogwharfError ('bad_request') saying what is wrong where: `invalid configuration in FILE: line N:
 * overrides.T.key: problem; …`, or YAML's own message with line and column.
 */
export function parseRuntimeConfig(text: string, file: string, isTenantId: (t: string) => boolean = () => true): RuntimeConfigFile {
  const { value, lineOf } = parseYamlMappingWithLines(text, file);
  // A tenant id may be `__proto__`, but an object key of that name is dropped by validation: refuse it rather than ignore it.
  const raw = value.overrides;
  if (raw !== null && typeof raw === 'object' && Object.hasOwn(raw, '__proto__')) {
    throw new LogwharfError('bad_request', `invalid configuration in ${file}: line ${lineOf(['overrides', '__proto__']) ?? '?'}: overrides.__proto__: overrides cannot be given for this tenant id`);
  }
  const parsed = validateConfig(runtimeConfigSchema(isTenantId), value, file, lineOf);
  const overrides: Record<string, TenantOverrides> = {};
  for (const [tenant, o] of Object.entries(parsed.overrides ?? {})) overrides[tenant] = (o ?? {}) as TenantOverrides;
  return { overrides };
}

/** The limits part of a tenant's overrides (the keys of the `limits` section it sets). */
export function limitOverrides(o: TenantOverrides | undefined): Partial<LimitsSection> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined && !(RETENTION_KEYS as readonly string[]).includes(k)) out[k] = v;
  return out as Partial<LimitsSection>;
}

/** A tenant's limits section: the server's, with the tenant's overrides laid on top key by key. */
export function tenantLimits(defaults: LimitsSection, o: TenantOverrides | undefined): LimitsSection {
  return { ...defaults, ...limitOverrides(o) };
}

/** A tenant's retention: its `retention_period` and `retention_stream` replace the server's `retention.period` and `retention.streams`. */
export function tenantRetention(defaults: RetentionSection, o: TenantOverrides | undefined): RetentionSection {
  return { period: o?.retention_period ?? defaults.period, streams: o?.retention_stream ?? defaults.streams };
}
