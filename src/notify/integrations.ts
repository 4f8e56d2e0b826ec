/**
 * A receiver's integrations (each webhook_config and slack_config) and delivery with retries: a
 * receiver that is down, answers 5xx or 429, or hangs is retried with exponential backoff (with
 * jitter) until the flush's deadline (Alertmanager: the group interval, at least 10 s); another 4xx
 * is not retried (the request itself is wrong, as Alertmanager decides). Every attempt is counted
 * and timed under Alertmanager's metric names; failures are logged as JSON. Requests go through
 * the one HTTP client (src/api/client.ts).
 */
import type { Counter, Histogram } from 'prom-client';
import { LokiClient, LokiClientError } from '../api/client.js';
import { createBackoff } from '../util/backoff.js';
import type { ServerConfig } from '../config/server.js';
import type { Logger } from '../util/logger.js';
import { webhookMessage, type NotificationData } from './message.js';
import { compileSlackTemplates, slackMessage } from './slack.js';
import { delay, type Timers } from '../util/timers.js';

/** Longest one request to a receiver may take. */
export const NOTIFY_TIMEOUT_MS = 10_000;
export const BACKOFF_FIRST_MS = 250;
export const BACKOFF_MAX_MS = 10_000;

export interface Integration {
  kind: 'webhook' | 'slack';
  index: number;
  sendResolved: boolean;
  url: string;
  /** Slack-style webhook URLs carry their secret in the path: errors and logs show only the origin. */
  secretPath: boolean;
  payload(d: NotificationData): unknown;
}

type Receiver = ServerConfig['notify']['receivers'][number];

export function buildIntegrations(r: Receiver): Integration[] {
  const out: Integration[] = r.webhook_configs.map((w, index) => ({
    kind: 'webhook' as const,
    index,
    sendResolved: w.send_resolved,
    url: w.url,
    secretPath: false,
    payload: (d: NotificationData) => webhookMessage(d, w.max_alerts),
  }));
  r.slack_configs.forEach((s, index) => {
    const templates = compileSlackTemplates(r.name, s);
    out.push({ kind: 'slack', index, sendResolved: s.send_resolved, url: s.api_url, secretPath: true, payload: (d) => slackMessage(d, s, templates) });
  });
  return out;
}

export interface DeliveryMetrics {
  total: Counter<'integration'>;
  failed: Counter<'integration'>;
  latency: Histogram<'integration'>;
}

export interface DeliverOptions {
  metrics: DeliveryMetrics;
  log: Logger;
  timers: Timers;
  now: () => number;
  /** Give up retrying at this time (ms since the epoch). */
  deadline: number;
  signal: AbortSignal;
  /** For the backoff's jitter; tests pass a seeded one. */
  random?: () => number;
}

/** One POST of a JSON body to the integration's URL, within `timeoutMs`. */
async function post(i: Integration, body: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const target = new URL(i.url);
  const client = new LokiClient({ addr: target.origin, timeoutMs });
  try {
    await client.post(target.pathname + target.search, { contentType: 'application/json', body }, { signal });
  } catch (e) {
    if (!i.secretPath || !(e instanceof LokiClientError)) throw e;
    throw new LokiClientError(e.message.split(target.pathname).join('/<secret>'), e.status, e.body, { cause: e.cause, retryAfter: e.retryAfter });
  }
}

/** Sends until it succeeds, a 4xx says retrying is pointless, the deadline passes or `signal` aborts. */
export async function deliver(i: Integration, d: NotificationData, o: DeliverOptions): Promise<boolean> {
  let body: string;
  try {
    body = JSON.stringify(i.payload(d));
  } catch (e) {
    o.metrics.failed.inc({ integration: i.kind });
    o.log.error({ integration: i.kind, err: (e as Error).message }, 'notification could not be rendered');
    return false;
  }
  const backoff = createBackoff(BACKOFF_FIRST_MS, BACKOFF_MAX_MS, o.random);
  for (let attempt = 1; ; attempt++) {
    if (o.signal.aborted) return false;
    o.metrics.total.inc({ integration: i.kind });
    const end = o.metrics.latency.startTimer({ integration: i.kind });
    try {
      await post(i, body, Math.max(1, Math.min(NOTIFY_TIMEOUT_MS, o.deadline - o.now())), o.signal);
      end();
      if (attempt > 1) o.log.info({ integration: i.kind, attempt }, 'notification delivered after retries');
      return true;
    } catch (e) {
      end();
      if (o.signal.aborted) return false;
      o.metrics.failed.inc({ integration: i.kind });
      const status = e instanceof LokiClientError ? e.status : undefined;
      const retry = status === undefined || status >= 500 || status === 429;
      const wait = backoff.next();
      const giveUp = !retry || o.now() + wait >= o.deadline;
      o.log.warn({ integration: i.kind, attempt, status, err: (e as Error).message, retryInMs: giveUp ? undefined : wait }, giveUp ? 'notify failed, giving up until the next group interval' : 'notify attempt failed, retrying');
      if (giveUp) return false;
      try {
        await delay(o.timers, wait, o.signal);
      } catch {
        return false;
      }
    }
  }
}
