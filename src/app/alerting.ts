/**
 * Alerting, composed: the rule repository (API-managed groups and `ruler.rules_dir`), the rule
 * manager that evaluates them on the query service, and where their results go — the Alertmanager
 * sender when `ruler.alertmanager_url` is set, else the built-in notifier; recording rules' samples
 * to the remote-write sender when `ruler.remote_write.url` is set. The built-in notifier serves
 * Alertmanager's v2 API under /alertmanager either way (alerts can be posted to it by other tools).
 *
 * Its routes are registered at creation; state opens in open() (after the store has locked the data
 * directory), evaluation starts in start() (after the server listens: generator URLs need its address).
 */
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { AlertSink } from '../api/alertmanager.js';
import { LogwharfError } from '../api/errors.js';
import type { SampleSink } from '../api/remote-write.js';
import { parseDurationMs } from '../config/duration.js';
import type { ServerConfig } from '../config/server.js';
import type { Router } from '../http/router.js';
import { createNotifier, type Notifier } from '../notify/notifier.js';
import { registerNotifyRoutes } from '../notify/routes.js';
import type { QueryService } from '../query/service.js';
import { createAlertmanagerSender } from '../ruler/alertmanager-sender.js';
import { registerRulerApiRoutes } from '../ruler/api-routes.js';
import { createRuleManager, type RuleManager } from '../ruler/manager.js';
import { registerPromRuleRoutes } from '../ruler/prom-routes.js';
import { createRemoteWriteSender } from '../ruler/remote-write-sender.js';
import { createRuleRepository, type RuleRepository } from '../ruler/repository.js';
import { createRuleCodec } from '../ruler/rule-codec.js';
import type { Timers } from '../util/timers.js';
import type { HealthContributor } from '../health/monitor.js';
import type { ServerWindow } from '../web/overview-status.js';
import { notifierContributor, rulerContributor } from './alerting-status.js';
import { DEFAULT_RULES_NAMESPACE, defaultRuleGroups } from '../health/default-rules.js';
import { childLogger, type Logger } from '../util/logger.js';
import { BUILD_INFO, NOTIFY_VERSION_INFO } from './build-info.js';

export interface AlertingDeps {
  router: Router;
  query: QueryService;
  registry: Registry;
  log: Logger;
  /** The server's own URL, known once it listens (the default external URL). */
  listenUrl: () => string;
  now?: () => number;
  /** For tests: where alerts and samples go instead of the configured senders, and the ruler's timers. */
  ruler?: { alerts?: AlertSink; samples?: SampleSink; timers?: Timers };
}

export interface Alerting {
  /** Opens the stored rules and the notifier's state (the data directory must be locked). */
  open(): Promise<void>;
  /** Starts evaluating rules. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** The ruler's (when enabled) and the notifier's contributors to the health monitor. */
  healthContributors(window: () => Promise<ServerWindow>): HealthContributor[];
}

export function createAlerting(config: ServerConfig, deps: AlertingDeps): Alerting {
  const log = childLogger(deps.log, { component: 'ruler' });
  const externalUrl = (): string => config.ruler.external_url || deps.listenUrl();
  let notifier: Notifier | undefined;
  let rules: RuleRepository | undefined;
  registerNotifyRoutes(deps.router, () => {
    if (!notifier) throw new LogwharfError('store_unavailable', 'the notifier is not open');
    return notifier;
  }, NOTIFY_VERSION_INFO);

  const codec = config.ruler.enabled ? createRuleCodec({ maxRulesPerGroup: config.ruler.max_rules_per_group }) : undefined;
  // The senders hold no state on disk; they are made now so their metrics are on /metrics from the start.
  const amSender = config.ruler.enabled && config.ruler.alertmanager_url.trim() !== '' && !deps.ruler?.alerts
    ? createAlertmanagerSender(config.ruler, { log: childLogger(deps.log, { component: 'alertmanager-sender' }), registry: deps.registry, version: BUILD_INFO.logwharf })
    : undefined;
  const rwSender = config.ruler.enabled && config.ruler.remote_write.url.trim() !== '' && !deps.ruler?.samples
    ? createRemoteWriteSender(
        { ...config.ruler.remote_write, external_labels: config.ruler.external_labels },
        { log: childLogger(deps.log, { component: 'remote-write-sender' }), registry: deps.registry, version: BUILD_INFO.logwharf },
      )
    : undefined;
  const alerts: AlertSink | undefined = deps.ruler?.alerts ?? amSender;
  const samples: SampleSink | undefined = deps.ruler?.samples ?? rwSender;

  let manager: RuleManager | undefined;
  if (config.ruler.enabled && codec) {
    registerRulerApiRoutes(deps.router, () => {
      if (!rules) throw new LogwharfError('store_unavailable', 'the ruler is not open');
      return rules;
    }, codec);
    manager = createRuleManager({
      // The repository is opened in open(), before the manager starts (and subscribes).
      repository: {
        list: (tenant) => rules?.list(tenant) ?? [],
        onChange: (listener) => {
          if (!rules) throw new Error('the rule repository is not open');
          return rules.onChange(listener);
        },
      },
      query: deps.query,
      // Without an Alertmanager, the built-in notifier (opened before the manager starts).
      alerts: alerts ?? {
        send: async (tenant, list) => {
          if (!notifier) throw new LogwharfError('store_unavailable', 'the notifier is not open');
          await notifier.send(tenant, list);
        },
        close: async () => {},
      },
      samples,
      externalLabels: config.ruler.external_labels,
      externalUrl,
      resendDelayMs: parseDurationMs(config.ruler.resend_delay),
      stateDir: join(config.data, 'ruler', 'state'),
      registry: deps.registry,
      log,
      now: deps.now,
      timers: deps.ruler?.timers,
    });
    registerPromRuleRoutes(deps.router, manager);
  }

  return {
    healthContributors(window) {
      const out: HealthContributor[] = [];
      if (manager) out.push(rulerContributor(manager, window));
      // With the ruler off nothing sends; alerts posted by other tools to the built-in notifier still count.
      out.push(notifierContributor(amSender ? config.ruler.alertmanager_url : 'built-in', window));
      return out;
    },
    async open() {
      notifier = createNotifier(config.notify, {
        dataDir: config.data,
        externalUrl,
        log: childLogger(deps.log, { component: 'notify' }),
        registry: deps.registry,
        now: deps.now,
      });
      if (config.ruler.enabled) {
        rules = await createRuleRepository({
          dataDir: config.data,
          rulesDir: config.ruler.rules_dir,
          defaultIntervalMs: parseDurationMs(config.ruler.evaluation_interval),
          maxGroupsPerTenant: config.ruler.max_groups_per_tenant,
          maxRulesPerGroup: config.ruler.max_rules_per_group,
          log,
          registry: deps.registry,
          codec,
          builtin: selfMonitoringRules(config),
        });
      }
    },
    async start() {
      await manager?.start();
    },
    async close() {
      // First: no evaluation may start on a store that is closing. Firing alerts stay saved, unresolved.
      await manager?.close();
      // What is queued for the peers goes out within the senders' bound.
      await amSender?.close();
      await rwSender?.close();
      await rules?.close();
      rules = undefined;
      await codec?.close();
      await notifier?.close();
      notifier = undefined;
    },
  };
}

/** The default self-monitoring rules (src/health/default-rules.ts), unless `health` turns them off. */
function selfMonitoringRules(config: ServerConfig) {
  const everyMs = parseDurationMs(config.health.record_interval);
  if (!config.health.default_rules || everyMs === 0) return [];
  return [{ tenant: config.audit.tenant, namespace: DEFAULT_RULES_NAMESPACE, groups: defaultRuleGroups(everyMs) }];
}
