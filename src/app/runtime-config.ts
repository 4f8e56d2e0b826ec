/**
 * The one owner of the runtime-config file (issue #11, Loki's `runtime_config`): it loads and
 * validates the file at start (a bad file stops the start), watches it (../util/watch-files.ts:
 * the directory, and every `period`), and publishes each version that validates to its
 * subscribers — ingest limits, store retention — while query limits read `limitsFor` per query.
 * A rewrite that does not validate is refused: the overrides in force stay, the error is logged
 * with file, line and key, and `logwharf_runtime_config_last_reload_successful` drops to 0 until a
 * good version loads.
 *
 * Invariants: `state` always holds a file that validated (or no overrides when no file is
 * configured), and subscribers have been given exactly that; `lastSeen` is the hash of the bytes
 * read last, good or bad, so each distinct version is judged (and counted, and logged) once.
 */
import { readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';
import { LogwharfError } from '../api/errors.js';
import { limitOverrides, parseRuntimeConfig, runtimeConfigHash, tenantLimits, tenantRetention, type LimitsSection, type RetentionSection, type TenantOverrides } from '../config/runtime-config.js';
import { parseDurationMs } from '../config/duration.js';
import type { LimitsConfig } from '../ingest/limits.js';
import type { PushService } from '../ingest/push-service.js';
import { parseMatchers } from '../logql/syntax/index.js';
import type { EmbeddedStore, RetentionConfig } from '../store/index.js';
import { isValidTenantId } from '../http/server.js';
import type { Logger } from '../util/logger.js';
import { watchFiles, type FileWatch } from '../util/watch-files.js';

export interface RuntimeConfigOptions {
  /** The file; '' = no overrides, nothing watched. */
  file: string;
  /** The periodic check besides the directory watch. */
  periodMs: number;
  /** The server's `limits` section, which a tenant's overrides are laid on. */
  limits: LimitsSection;
  log: Logger;
  registry: Registry;
}

export interface RuntimeConfig {
  /** Every tenant's overrides as in the file in force. */
  overrides(): Readonly<Record<string, TenantOverrides>>;
  /** A tenant's limits section: the server's, with its overrides on top. */
  limitsFor(tenant: string): LimitsSection;
  /** `fn` gets the overrides in force now, and again after every reload that applies. */
  subscribe(fn: (overrides: Readonly<Record<string, TenantOverrides>>) => void): void;
  /** Reads the file now (what a change or the periodic check does). */
  check(): void;
  /** Starts watching the file. */
  start(): void;
  close(): void;
}

interface State {
  overrides: Readonly<Record<string, TenantOverrides>>;
  /** Effective limits of each tenant with overrides, built once per version. */
  limits: Map<string, LimitsSection>;
}

function createMetrics(registry: Registry) {
  const registers = [registry];
  return {
    successful: new Gauge({ name: 'logwharf_runtime_config_last_reload_successful', help: 'Whether the last version of the runtime-config file read was valid and applied (1) or refused (0)', registers }),
    reloads: new Counter({ name: 'logwharf_runtime_config_reloads_total', help: 'Versions of the runtime-config file applied (success) or refused (failure), the one read at start included', labelNames: ['result'] as const, registers }),
    hash: new Gauge({ name: 'logwharf_runtime_config_hash', help: 'SHA-256 of the runtime-config file in force (1 for that hash), as Loki\'s runtime_config_hash', labelNames: ['sha256'] as const, registers }),
    lastSuccess: new Gauge({ name: 'logwharf_runtime_config_last_reload_success_timestamp_seconds', help: 'When the runtime-config file in force was applied, in Unix seconds', registers }),
  };
}

export function createRuntimeConfig(opts: RuntimeConfigOptions): RuntimeConfig {
  const metrics = createMetrics(opts.registry);
  metrics.reloads.inc({ result: 'success' }, 0);
  metrics.reloads.inc({ result: 'failure' }, 0);
  const subscribers: Array<(o: Readonly<Record<string, TenantOverrides>>) => void> = [];
  let watch: FileWatch | undefined;
  let hashInForce = '';
  let lastSeen = '';

  const build = (overrides: Record<string, TenantOverrides>): State => {
    const limits = new Map<string, LimitsSection>();
    for (const [tenant, o] of Object.entries(overrides)) limits.set(tenant, tenantLimits(opts.limits, o));
    return { overrides: Object.freeze(overrides), limits };
  };

  const read = (): string => {
    try {
      return readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new LogwharfError('bad_request', `cannot read runtime config file ${opts.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };

  const applied = (hash: string): void => {
    metrics.hash.reset();
    metrics.hash.set({ sha256: hash }, 1);
    hashInForce = hash;
    metrics.successful.set(1);
    metrics.reloads.inc({ result: 'success' });
    metrics.lastSuccess.set(Date.now() / 1000);
  };

  let state: State = build({});
  if (opts.file !== '') {
    // At start a bad file is an error the caller reports (the server does not start).
    const text = read();
    state = build(parseRuntimeConfig(text, opts.file, isValidTenantId).overrides);
    lastSeen = runtimeConfigHash(text);
    applied(lastSeen);
    opts.log.info({ file: opts.file, tenants: Object.keys(state.overrides).length, sha256: lastSeen }, 'runtime config loaded');
  } else {
    metrics.successful.set(1);
  }

  function check(): void {
    if (opts.file === '') return;
    let text: string;
    try {
      text = read();
    } catch (e) {
      // A file that went missing (or unreadable) is judged like a bad version: once per distinct error.
      const err = (e as Error).message;
      if (lastSeen !== `error:${err}`) refuse(`error:${err}`, err);
      return;
    }
    const hash = runtimeConfigHash(text);
    if (hash === lastSeen) return;
    let next: State;
    try {
      next = build(parseRuntimeConfig(text, opts.file, isValidTenantId).overrides);
    } catch (e) {
      refuse(hash, (e as Error).message);
      return;
    }
    lastSeen = hash;
    state = next;
    applied(hash);
    for (const fn of subscribers) fn(state.overrides);
    opts.log.info({ file: opts.file, tenants: Object.keys(state.overrides).length, sha256: hash }, 'runtime config reloaded');
  }

  /** Refuses the version `seen` (its hash, or the read error): counted and logged once, the overrides in force stay. */
  function refuse(seen: string, err: string): void {
    lastSeen = seen;
    metrics.successful.set(0);
    metrics.reloads.inc({ result: 'failure' });
    opts.log.error({ file: opts.file, err, sha256_in_force: hashInForce }, 'runtime config refused; the overrides in force stay');
  }

  return {
    overrides: () => state.overrides,
    limitsFor: (tenant) => state.limits.get(tenant) ?? opts.limits,
    subscribe(fn) {
      subscribers.push(fn);
      fn(state.overrides);
    },
    check,
    start() {
      if (opts.file === '' || watch) return;
      watch = watchFiles({ files: [opts.file], check, pollMs: opts.periodMs, log: opts.log, what: 'runtime config' });
    },
    close() {
      watch?.close();
      watch = undefined;
    },
  };
}

/** The store's form of a retention section (durations in ms, parsed selectors). */
export function storeRetention(r: RetentionSection): RetentionConfig {
  return { periodMs: parseDurationMs(r.period), streams: r.streams.map((s) => ({ matchers: parseMatchers(s.selector), periodMs: parseDurationMs(s.period), priority: s.priority })) };
}

/**
 * Gives ingest and the store each version of the overrides that validates: the push service its
 * tenants' limits, the store its tenants' retention (`retention_period` and `retention_stream` over
 * the server's `retention`).
 */
export function publishOverrides(runtime: RuntimeConfig, to: { push: Pick<PushService, 'setOverrides'>; store: Pick<EmbeddedStore, 'setTenantRetention'>; retention: RetentionSection }): void {
  runtime.subscribe((overrides) => {
    const limits: Record<string, LimitsConfig> = {};
    const retention: Record<string, RetentionConfig> = {};
    for (const [tenant, o] of Object.entries(overrides)) {
      limits[tenant] = limitOverrides(o);
      retention[tenant] = storeRetention(tenantRetention(to.retention, o));
    }
    to.push.setOverrides(limits);
    to.store.setTenantRetention(retention);
  });
}
