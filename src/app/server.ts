/**
 * The server role: store + ingest + query + tail behind Loki's HTTP API, in one process.
 * createServer(config, deps) → { start, close }, as every role (architecture guide, rule 2).
 */
import type { Registry } from 'prom-client';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from '../config/server.js';
import { parseListen } from '../config/server.js';
import { createHttpServer, type HttpTlsOptions, type Server } from '../http/server.js';
import { loadTlsMaterial, type TlsFilePaths, type TlsMaterial } from '../http/tls-files.js';
import { watchTlsFiles, type TlsReloader } from '../http/tls-reload.js';
import type { Server as TlsServer } from 'node:tls';
import { createMetrics } from '../http/metrics.js';
import { createMemoryGovernor } from '../util/memory-governor.js';
import { BodyBudget } from '../http/body-budget.js';
import { Router, type RouteInfo } from '../http/router.js';
import { childLogger, createLogger, type Logger } from '../util/logger.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/store.js';
import { createPushService } from '../ingest/push-service.js';
import { registerIngestRoutes } from '../ingest/routes.js';
import { registerQueryRoutes } from '../query/routes.js';
import { createTailServer } from '../query/tail.js';
import { createScanner } from '../query/engine/scanner-factory.js';
import { createQueryPool } from '../query/engine/query-pool.js';
import { createQueryService } from '../query/service.js';
import { parseDurationMs } from '../config/duration.js';
import { BUILD_INFO } from './build-info.js';
import { join } from 'node:path';
import { LogwharfError } from '../api/errors.js';
import { createRegistry, type SourcesRegistry } from '../registry/registry.js';
import { registerSourcesRoutes } from '../registry/routes.js';
import { registerRegistryMetrics } from '../registry/metrics.js';
import { createTokens } from '../auth/tokens.js';
import { createAuditLog } from '../audit/audit-log.js';
import { registerTokenRoutes } from '../auth/token-routes.js';
import { composeServerAuth } from '../auth/server-auth.js';
import type { MetricsGuard } from '../auth/metrics-token.js';
import { peerOf } from '../http/peer.js';
import { createAlerting, type AlertingDeps } from './alerting.js';
import { loadUiAssets } from '../web/assets.js';
import { registerUiRoutes } from '../web/routes.js';
import type { Authenticator } from '../http/identity.js';
import { createOverviewStatus, registerOverviewStatusRoute, type OverviewStatusService } from '../web/overview-status.js';
import { createRuntimeConfig, publishOverrides, storeRetention } from './runtime-config.js';
import { registerRuntimeConfigRoute } from './runtime-config-route.js';
import { registerConfigRoute } from './config-route.js';
import { tenantRetention } from '../config/runtime-config.js';
import { createDeleteRequests, type DeleteRequests } from '../lifecycle/delete-requests.js';
import { registerDeleteRoutes } from '../lifecycle/delete-routes.js';
import { registerBackupRoutes } from '../lifecycle/backup-routes.js';
import type { FleetController } from '../fleet/model.js';
import { registerOpampRoute } from '../fleet/opamp-route.js';

import { createFleet, type Fleet } from '../fleet/fleet.js';
import { collectorFleetSettings } from '../fleet/collectors.js';
import { registerFleetRoutes } from '../fleet/routes.js';
import type { Timers } from '../util/timers.js';
import { trackQueryActivity } from '../query/query-activity.js';
import { createHealthMonitor, type HealthMonitor } from '../health/monitor.js';
import { registerStatusRoute } from '../health/routes.js';
import { createHealthRecorder } from '../health/health-records.js';
import { STATUS_COUNTERS, agentsContributor, fleetContributor, ingestContributor, queriesContributor, storeContributor } from './status-contributors.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ServerDeps {
  log?: Logger;
  /** Clock in ms, for tests. */
  now?: () => number;
  /** For tests: where the ruler's alerts and samples go instead of the configured senders, and its timers. */
  ruler?: AlertingDeps['ruler'];
  /** Who callers are when `auth.tokens_enabled` is on; the token store's authenticator by default. */
  authenticator?: Authenticator;
  /** For tests: the state side POST /v1/opamp reports to, instead of the fleet's own controller. */
  fleet?: FleetController;

  /** For tests: the fleet's driver timers (a test clock steps rollouts' windows and timeouts). */
  fleetTimers?: Timers;
}

export interface ServerRole {
  start(): Promise<{ url: string; host: string; port: number }>;
  close(): Promise<void>;
  readonly store: Store;
  /** The Prometheus registry behind /metrics (the agent joins it under `logwharf up`). */
  readonly registry: Registry;
  /** The HTTP routes as declared (for the authorisation matrix test and the docs' route → role table). */
  routes(): RouteInfo[];
  /** The control plane's state (issue #13): its `controller` is what POST /v1/opamp reports to; `summary()` feeds GET /api/v1/status. */
  readonly fleet: Fleet;
  /** GET /api/v1/status's contributors (issue #13): a part wired here registers its own. */
  readonly health: HealthMonitor;
}

export function createServer(config: ServerConfig, deps: ServerDeps = {}): ServerRole {
  const log = deps.log ?? createLogger({ level: config.log_level, component: 'server', version: BUILD_INFO.logwharf });
  const metrics = createMetrics();
  // The soft memory limit (issue #12; docs/deploy.md, "Server memory"): a full GC when resident memory passes it.
  // Shared with the HTTP server: no collection while request bodies (pushes) are in flight.
  const bodyBudget = new BodyBudget(config.max_inflight_body_bytes);
  const memoryGovernor = createMemoryGovernor({
    softLimitBytes: config.memory_soft_limit_mb * 1024 * 1024,
    busy: () => bodyBudget.inFlight > 0,
    registry: metrics.registry,
    log: childLogger(log, { component: 'memory' }),
  });
  // Per-tenant overrides (issue #11): read now, so a bad file stops the start; published below.
  const runtime = createRuntimeConfig({
    file: config.runtime_config.file,
    periodMs: parseDurationMs(config.runtime_config.period),
    limits: config.limits,
    log: childLogger(log, { component: 'runtime-config' }),
    registry: metrics.registry,
  });
  const store = createStore({
    dir: config.data,
    blockTargetBytes: config.storage.block_target_bytes,
    maxBlockAgeMs: parseDurationMs(config.storage.max_block_age),
    // Node timers cannot wait longer than 2^31-1 ms (about 24.8 days); longer means "effectively never".
    compactionIntervalMs: Math.min(parseDurationMs(config.storage.compaction_interval), MAX_TIMER_MS),
    // 0 turns the cold tier off (the store takes a negative value for that).
    coldAfterMs: parseDurationMs(config.storage.cold_after) || -1,
    coldCompressionLevel: config.storage.cold_compression_level,
    coldBlockBytes: config.storage.cold_block_bytes,
    coldLineColumns: config.storage.cold_line_columns,
    coldBloomLongHex: config.storage.cold_bloom_long_hex,
    retention: storeRetention(config.retention),
    registry: metrics.registry,
    log: childLogger(log, { component: 'store' }),
  });
  // One pool of query threads for log scans and range aggregations alike.
  const queryPool =
    config.query.workers > 0
      ? createQueryPool(config.query.workers, {
          heapMb: config.query.worker_heap_mb,
          youngMb: config.query.worker_young_generation_mb,
          idleTimeoutMs: parseDurationMs(config.query.worker_idle_timeout),
          registry: metrics.registry,
        })
      : undefined;
  const scanner = createScanner(store, queryPool);
  const push = createPushService({
    store,
    limits: config.limits,
    registry: metrics.registry,
    now: deps.now,
    maxDecompressedBytes: config.max_body_bytes,
    maxPushItems: config.max_push_entries,
  });
  // Ingest and retention get every valid version at once; queries read `limitsFor` per request.
  publishOverrides(runtime, { push, store, retention: config.retention });
  const limitsFor = runtime.limitsFor;
  // A tenant's retention in force (its runtime override, else `retention.period`), for drilldown-limits.
  const retentionFor = (tenant: string): string => tenantRetention(config.retention, runtime.overrides()[tenant]).period;
  const router = new Router();
  let ready = false;
  router.add('GET', '/ready', (ctx) => {
    const body = ready ? 'ready\n' : 'starting\n';
    ctx.res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' });
    ctx.res.end(body);
  }, { public: true });
  // Probes and Prometheus scrapes send no tenant; Loki serves these without one too. With
  // auth.metrics_token_file the scrape must bring that token (or an admin's): the guard is set below.
  let metricsGuard: MetricsGuard | undefined;
  router.add('GET', '/metrics', async (ctx) => {
    metricsGuard?.check(ctx.req.headers.authorization, peerOf(ctx.req));
    const text = await metrics.registry.metrics();
    ctx.res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
    ctx.res.end(text);
  }, { public: true });
  router.add('GET', '/loki/api/v1/status/buildinfo', (ctx) => {
    const body = JSON.stringify(BUILD_INFO);
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.end(body);
  }, { public: true });
  // The server's health over the last minutes, sampled from the metrics above: the Overview page's
  // (per tenant) and the health monitor's (server-wide); it starts with the server.
  const overviewStatus: OverviewStatusService = createOverviewStatus({
    registry: metrics.registry,
    dataDir: config.data,
    retention: { period: config.retention.period, streams: config.retention.streams.map((r) => ({ selector: r.selector, period: r.period, priority: r.priority })) },
    compactionInterval: config.storage.compaction_interval,
    counters: STATUS_COUNTERS,
    now: deps.now,
  });
  // The web UI (issue #10): pages, hashed assets and the settings it reads first; see docs/ui.md.
  if (config.ui.enabled) {
    registerUiRoutes(router, loadUiAssets(), {
      version: BUILD_INFO.logwharf,
      authEnabled: config.auth_enabled,
      tokensEnabled: config.auth.tokens_enabled,
      features: { ruler: config.ruler.enabled, notifier: config.ruler.alertmanager_url.trim() === '', alertmanagerUrl: config.ruler.alertmanager_url },
    }, (req) => serverAuth.signedInAs(peerOf(req)));
    registerOverviewStatusRoute(router, overviewStatus);
  }
  registerIngestRoutes(router, push);
  // Opened in start(), after the store has created (and locked) the data directory.
  let sources: SourcesRegistry | undefined;
  registerSourcesRoutes(router, () => {
    if (!sources) throw new LogwharfError('store_unavailable', 'the sources registry is not open');
    return sources;
  });
  registerRegistryMetrics(metrics.registry, () => sources);
  // Tokens (issue #11): `tokens.authenticator` is the request path's Authenticator; the admin API is here.
  const tokens = createTokens(config.data, { now: deps.now, log: childLogger(log, { component: 'auth' }) });
  registerTokenRoutes(router, tokens, { now: deps.now, log: childLogger(log, { component: 'auth' }) });
  registerRuntimeConfigRoute(router, runtime, { limits: config.limits, retention: config.retention });
  registerConfigRoute(router, config);
  // The audit log (issue #11): admin actions, refusals and CLI token changes, in the reserved tenant.
  const audit = createAuditLog({
    store,
    tenant: config.audit.tenant,
    denied: { burst: config.audit.denied_burst, intervalMs: parseDurationMs(config.audit.denied_interval), globalBurst: 100, maxAddresses: 1000 },
    registry: metrics.registry,
    log: childLogger(log, { component: 'audit' }),
    outbox: () => tokens.outbox(),
    now: deps.now,
  });
  // Loki's log deletion API (issue #15): opened in start(), after the store.
  const deletes: DeleteRequests = createDeleteRequests({
    dataDir: config.data,
    store,
    cancelPeriodMs: parseDurationMs(config.deletion.cancel_period),
    log: childLogger(log, { component: 'deletion' }),
    registry: metrics.registry,
    now: deps.now,
  });
  registerDeleteRoutes(router, () => deletes, deps.now ?? Date.now);
  // Online backups (issue #15): consistent snapshots of the store, read by `logwharf backup --addr`.
  const backups = registerBackupRoutes(router, { store: () => store, dataDir: config.data, log: childLogger(log, { component: 'backup' }) });
  // The control plane's state (issue #13, docs/fleet.md): opened in start(), after the store.
  const fleet = createFleet(
    {
      staleAfterMs: parseDurationMs(config.fleet.stale_after),
      defaultWindowMs: parseDurationMs(config.fleet.default_window),
      applyTimeoutMs: parseDurationMs(config.fleet.apply_timeout),
      collector: collectorFleetSettings(config.fleet.collector),
    },
    { dataDir: config.data, log: childLogger(log, { component: 'fleet' }), registry: metrics.registry, now: deps.now, timers: deps.fleetTimers },
  );
  let fleetOpen = false;
  registerFleetRoutes(router, () => {
    if (!fleetOpen) throw new LogwharfError('store_unavailable', 'the fleet database is not open');
    return fleet;
  });
  // OpAMP (POST /v1/opamp) reports to the fleet's controller once fleet.db is open; tests may pass their own.
  const opampController: FleetController = deps.fleet ?? {
    report: (r) => {
      if (!fleetOpen) return Promise.reject(new LogwharfError('store_unavailable', 'the fleet database is not open'));
      return fleet.controller.report(r);
    },
  };
  registerOpampRoute(router, opampController, { registry: metrics.registry });
  const timeoutMs = parseDurationMs(config.query.timeout);
  // Counted around the service, so HTTP queries and rule evaluations are in flight alike.
  const queries = trackQueryActivity(createQueryService({ store, scanner, pool: queryPool, limits: config.limits, limitsFor, timeoutMs }), metrics.registry);
  const service = queries.service;
  const queryCtx = { store, scanner, service, limits: config.limits, limitsFor, retentionFor, timeoutMs, now: deps.now ?? Date.now };
  registerQueryRoutes(router, queryCtx);
  const tail = createTailServer({ store, log, now: queryCtx.now, scanner });
  // Alerting: the ruler (storage, Loki's and Prometheus' rule APIs, evaluation) and the built-in notifier.
  let listenUrl = '';
  const alerting = createAlerting(config, {
    router,
    query: service,
    registry: metrics.registry,
    log,
    listenUrl: () => listenUrl,
    now: deps.now,
    ruler: deps.ruler,
  });
  // The health monitor (issue #13): GET /api/v1/status, one contributor per component; the health
  // records it writes every health.record_interval into the audit tenant feed the default rules.
  const health = createHealthMonitor({ registry: metrics.registry, now: deps.now });
  health.register(ingestContributor(overviewStatus));
  const retentionOverrides = () => Object.values(runtime.overrides()).filter((o) => o.retention_period !== undefined || o.retention_stream !== undefined).length;
  health.register(storeContributor({ config, overview: overviewStatus, registry: metrics.registry, retentionOverrides, now: deps.now }));
  health.register(queriesContributor(overviewStatus, queries.inFlight));
  for (const c of alerting.healthContributors(() => overviewStatus.server())) health.register(c);
  health.register(agentsContributor(() => {
    if (!sources) throw new LogwharfError('store_unavailable', 'the sources registry is not open');
    return sources;
  }));
  health.register(
    fleetContributor(() => {
      if (!fleetOpen) throw new LogwharfError('store_unavailable', 'the fleet database is not open');
      return fleet.summary();
    }),
  );
  registerStatusRoute(router, health);
  const healthRecords = createHealthRecorder({
    monitor: health,
    store,
    tenant: config.audit.tenant,
    intervalMs: parseDurationMs(config.health.record_interval),
    log: childLogger(log, { component: 'health' }),
    now: deps.now,
  });
  // The request path shares the token API's authenticator: one failure budget per address, and a
  // revocation through the API acts at once. Proxy mode and the metrics token wrap it.
  const serverAuth = composeServerAuth(config.auth, deps.authenticator ?? tokens.authenticator, { log: childLogger(log, { component: 'auth' }), registry: metrics.registry });
  const authenticator: Authenticator | undefined = serverAuth.authenticator;
  metricsGuard = serverAuth.metricsGuard;
  // HTTPS when a certificate is configured; its files are read now, so a bad one stops the start.
  let tlsPaths: TlsFilePaths | undefined;
  let tlsMaterial: TlsMaterial | undefined;
  let tlsOptions: HttpTlsOptions | undefined;
  if (config.tls.cert_file !== undefined && config.tls.key_file !== undefined) {
    tlsPaths = {
      certFile: config.tls.cert_file,
      keyFile: config.tls.key_file,
      clientCaFile: config.tls.client_ca_file,
      minVersion: config.tls.min_version === 'TLS1.3' ? 'TLSv1.3' : 'TLSv1.2',
    };
    tlsMaterial = loadTlsMaterial(tlsPaths);
    tlsOptions = { context: tlsMaterial.context, requestCert: config.tls.client_auth !== 'none', rejectUnauthorized: config.tls.client_auth === 'require' };
  }
  let tlsReloader: TlsReloader | undefined;
  const http: Server = createHttpServer({
    tls: tlsOptions,
    router,
    log,
    metrics,
    authEnabled: config.auth_enabled,
    authenticator,
    multiTenantQueries: config.query.multi_tenant_queries_enabled,
    audit,
    maxBodyBytes: config.max_body_bytes,
    maxInflightBodyBytes: config.max_inflight_body_bytes,
    bodyBudget,
    timeouts: {
      headerMs: parseDurationMs(config.http.header_timeout),
      requestMs: parseDurationMs(config.http.request_timeout),
      idleMs: parseDurationMs(config.http.idle_timeout),
      socketMs: parseDurationMs(config.http.socket_timeout),
    },
    onUpgrade: (req, socket, head, c) => tail.handleUpgrade(req, socket, head, c),
  });

  return {
    store,
    registry: metrics.registry,
    routes: () => router.routes(),
    fleet,
    health,
    async start() {
      await store.start();
      sources = createRegistry({
        path: join(config.data, 'registry.db'),
        staleAfterMs: parseDurationMs(config.registry.stale_after),
        now: deps.now,
        log: childLogger(log, { component: 'registry' }),
      });
      tokens.open();
      fleet.start();
      fleetOpen = true;
      await deletes.open();
      // Before the port opens: token changes the CLI made while the server was down come first.
      await audit.start();
      await alerting.open();
      const { host, port } = parseListen(config.listen);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolve();
        });
      });
      const addr = http.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      listenUrl = `${tlsOptions ? 'https' : 'http'}://${shownHost}:${addr.port}`;
      if (tlsPaths && tlsMaterial) {
        tlsReloader = watchTlsFiles({ paths: tlsPaths, initial: tlsMaterial, server: http as TlsServer, log: childLogger(log, { component: 'tls' }), registry: metrics.registry });
      }
      runtime.start();
      memoryGovernor.start();
      // After the store has registered its metrics: the first sample is the baseline of every rate.
      overviewStatus.start();
      // After the store and the rule repository are open: rules query the store.
      await alerting.start();
      // Last: every contributor's part is open.
      healthRecords.start();
      ready = true;
      return { url: listenUrl, host: addr.address, port: addr.port };
    },
    async close() {
      ready = false;
      memoryGovernor.close();
      // First: no evaluation may start on a store that is closing. Firing alerts stay saved, unresolved.
      await healthRecords.close();
      await alerting.close();
      tail.close();
      overviewStatus.close();
      tlsReloader?.close();
      runtime.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeIdleConnections();
        setTimeout(() => http.closeAllConnections(), 2000).unref();
      });
      // An apply in progress finishes first (it holds the store's exclusive section anyway).
      await deletes.close();
      backups.close();
      await scanner.close();
      await queryPool?.close();
      sources?.close();
      sources = undefined;
      fleetOpen = false;
      fleet.close();
      // After the HTTP server (its last admin actions are recorded), before the tokens and the store.
      await audit.close();
      tokens.close();
      await store.close();
    },
  };
}

