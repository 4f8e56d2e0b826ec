/**
 * Sends the ruler's alerts to one or more real Alertmanagers (`ruler.alertmanager_url`) over their
 * v2 API, as Prometheus' notifier does for Loki's ruler: POST `<url>/api/v2/alerts` with a JSON
 * list of at most MAX_BATCH alerts, each tenant's alerts with its `X-Scope-OrgID` (so a Cortex/Mimir
 * multi-tenant Alertmanager files them under that tenant), and the metrics under Prometheus' names
 * so its dashboards and alerts on the notifier work unchanged.
 *
 * Each Alertmanager has its own bounded queue and loop (./outbox.ts): one that is down is retried
 * with backoff without delaying the others, and once its queue is full the oldest alerts are dropped
 * and counted. Nothing is lost for good by dropping: the ruler re-sends every firing alert each
 * resend delay (1m), and resolved ones for 15 minutes.
 */
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import type { AlertSink, PostableAlert } from '../api/alertmanager.js';
import type { ServerConfig } from '../config/server.js';
import { parseDurationMs } from '../config/duration.js';
import { childLogger, type Logger } from '../util/logger.js';
import { createOutbox, type Outbox } from './outbox.js';
import { alertmanagerAlertsUrls, peerEndpoint } from './peer-url.js';

/** Prometheus' notifier queue capacity (its --alertmanager.notification-queue-capacity default). */
export const QUEUE_CAPACITY = 10_000;
/** Prometheus' notifier batch size: alerts per request. */
export const MAX_BATCH = 64;
export const MIN_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 30_000;
/** How long close() keeps delivering what is queued. */
export const FLUSH_TIMEOUT_MS = 5_000;

/** `ruler.*` keys it reads; `external_labels`, when given, is added to every alert that lacks the label, as Prometheus' notifier does. */
export type AlertmanagerSenderConfig = Pick<ServerConfig['ruler'], 'alertmanager_url' | 'alertmanager_timeout'> & Partial<Pick<ServerConfig['ruler'], 'external_labels'>>;

export interface AlertmanagerSenderDeps {
  log: Logger;
  /** The server's metrics registry. */
  registry: Registry;
  /** Sent in User-Agent as logwharf-ruler/<version>. */
  version?: string;
  /** Tests shrink these; the defaults are the constants above. */
  queueCapacity?: number;
  maxBatch?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  flushTimeoutMs?: number;
  now?: () => number;
}

export interface AlertmanagerSender extends AlertSink {
  /** The alerts endpoints, one per configured Alertmanager (without credentials). */
  readonly urls: readonly string[];
}

interface QueuedAlert {
  tenant: string;
  alert: PostableAlert;
}

function createMetrics(registry: Registry, capacity: number, outboxes: ReadonlyArray<Outbox<QueuedAlert>>) {
  const registers = [registry];
  const labelNames = ['alertmanager'] as const;
  return {
    sent: new Counter({ name: 'prometheus_notifications_sent_total', help: 'Total number of alerts sent.', labelNames, registers }),
    errors: new Counter({ name: 'prometheus_notifications_errors_total', help: 'Total number of sent alerts affected by errors.', labelNames, registers }),
    dropped: new Counter({ name: 'prometheus_notifications_dropped_total', help: 'Total number of alerts dropped due to errors when sending to Alertmanager.', registers }),
    latency: new Summary({
      name: 'prometheus_notifications_latency_seconds',
      help: 'Latency quantiles for sending alert notifications.',
      labelNames,
      percentiles: [0.5, 0.9, 0.99],
      registers,
    }),
    queueLength: new Gauge({
      name: 'prometheus_notifications_queue_length',
      help: 'The number of alert notifications in the queue (the fullest Alertmanager\'s queue: each has its own).',
      registers,
      collect() {
        this.set(Math.max(0, ...outboxes.map((o) => o.length)));
      },
    }),
    queueCapacity: new Gauge({
      name: 'prometheus_notifications_queue_capacity',
      help: 'The capacity of the alert notifications queue.',
      registers,
      collect() {
        this.set(capacity);
      },
    }),
    discovered: new Gauge({
      name: 'prometheus_notifications_alertmanagers_discovered',
      help: 'The number of alertmanagers discovered and active.',
      registers,
      collect() {
        this.set(outboxes.length);
      },
    }),
  };
}

/**
 * An AlertSink over the configured Alertmanagers. `send` only queues (it resolves at once);
 * `close` delivers what is queued for at most `flushTimeoutMs`, then drops (and counts) the rest.
 * Throws when `alertmanager_url` holds no valid URL.
 */
export function createAlertmanagerSender(config: AlertmanagerSenderConfig, deps: AlertmanagerSenderDeps): AlertmanagerSender {
  const log = childLogger(deps.log, { component: 'alertmanager-sender' });
  const capacity = deps.queueCapacity ?? QUEUE_CAPACITY;
  const timeoutMs = parseDurationMs(config.alertmanager_timeout);
  const userAgent = `logwharf-ruler/${deps.version ?? 'dev'}`;
  const endpoints = alertmanagerAlertsUrls(config.alertmanager_url).map((u) => peerEndpoint(u, { timeoutMs, userAgent }));
  const outboxes: Array<Outbox<QueuedAlert>> = [];
  const m = createMetrics(deps.registry, capacity, outboxes);
  let closed = false;

  for (const am of endpoints) {
    const labels = { alertmanager: am.url };
    outboxes.push(
      createOutbox<QueuedAlert>(
        {
          capacity,
          maxBatch: deps.maxBatch ?? MAX_BATCH,
          minBackoffMs: deps.minBackoffMs ?? MIN_BACKOFF_MS,
          maxBackoffMs: deps.maxBackoffMs ?? MAX_BACKOFF_MS,
          now: deps.now ?? Date.now,
        },
        {
          send: (tenant, batch, signal) =>
            am.client.post(am.path, { contentType: 'application/json', body: JSON.stringify(batch.map((q) => q.alert)) }, { tenant, signal }),
          attempted(_tenant, batch, seconds, err) {
            // As Prometheus counts: `sent` every alert of every attempt, `errors` those of failed ones.
            m.sent.inc(labels, batch.length);
            if (err) m.errors.inc(labels, batch.length);
            m.latency.observe(labels, seconds);
          },
          retrying(tenant, batch, err, retryInMs) {
            log.warn({ alertmanager: am.url, tenant, status: err.status, count: batch.length, retry_in_ms: retryInMs, err: err.message }, 'error sending alerts to Alertmanager; retrying');
          },
          rejected(tenant, batch, err) {
            m.dropped.inc(batch.length);
            log.error({ alertmanager: am.url, tenant, status: err.status, count: batch.length, err: err.message }, 'Alertmanager refused alerts; they are dropped');
          },
          dropped(items, why) {
            m.dropped.inc(items.length);
            log.warn({ alertmanager: am.url, count: items.length, reason: why }, why === 'queue_full' ? 'alert queue full; dropped the oldest alerts' : 'dropped queued alerts at shutdown');
          },
          crashed(err) {
            log.error({ alertmanager: am.url, err: err.message, stack: err.stack }, 'the alert sending loop failed; alerts for this Alertmanager are dropped from now on');
          },
        },
      ),
    );
  }
  log.info({ alertmanagers: endpoints.map((e) => e.url) }, 'sending alerts to Alertmanager');

  return {
    urls: endpoints.map((e) => e.url),
    send(tenant, alerts) {
      if (alerts.length === 0) return Promise.resolve();
      if (closed) return Promise.reject(new Error('the Alertmanager sender is closed'));
      const ext = config.external_labels;
      const items = alerts.map((alert) => ({ tenant, alert: ext && Object.keys(ext).length > 0 ? { ...alert, labels: { ...ext, ...alert.labels } } : alert }));
      for (const o of outboxes) o.enqueue(items);
      return Promise.resolve();
    },
    async close() {
      closed = true;
      const flushMs = deps.flushTimeoutMs ?? FLUSH_TIMEOUT_MS;
      await Promise.all(outboxes.map((o) => o.close(flushMs)));
    },
  };
}
