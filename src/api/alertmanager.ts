/**
 * Alertmanager's v2 API wire types (its OpenAPI spec, api/v2/openapi.yaml) and the webhook payload
 * it sends to receivers (version "4"). The ruler posts PostableAlerts to a real Alertmanager or to the
 * built-in notifier (src/notify), which serves the same API; the built-in notifier's webhook
 * receivers send WebhookMessages so existing receivers work unchanged. Times are RFC 3339 strings.
 */
import type { Labels } from './model.js';

/** POST /api/v2/alerts body item. */
export interface PostableAlert {
  labels: Labels;
  annotations?: Labels;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export type AlertStatusState = 'unprocessed' | 'active' | 'suppressed';

/** GET /api/v2/alerts item. */
export interface GettableAlert {
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  generatorURL?: string;
  fingerprint: string;
  receivers: Array<{ name: string }>;
  status: { state: AlertStatusState; silencedBy: string[]; inhibitedBy: string[] };
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** Absent means true (older clients omit it). */
  isEqual?: boolean;
}

/** POST /api/v2/silences body; `id` present updates (replaces) that silence. */
export interface PostableSilence {
  id?: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export type SilenceStateName = 'active' | 'pending' | 'expired';

export interface GettableSilence extends PostableSilence {
  id: string;
  updatedAt: string;
  status: { state: SilenceStateName };
}

/** What Alertmanager's webhook receiver POSTs (payload version 4). */
export interface WebhookMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  alerts: Array<{
    status: 'firing' | 'resolved';
    labels: Labels;
    annotations: Labels;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }>;
}

/** Where the ruler sends alerts: a real Alertmanager's client, or the built-in notifier. */
export interface AlertSink {
  /** Accepts alerts for `tenant`; resolves once they are handed over (or queued durably). */
  send(tenant: string, alerts: PostableAlert[]): Promise<void>;
  close(): Promise<void>;
}
