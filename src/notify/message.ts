/**
 * What one notification is about, in the shape Alertmanager gives its integrations and templates
 * (template.Data): the receiver, the group's labels, the alerts with their status, the labels and
 * annotations they all share. Firing alerts carry Go's zero time as endsAt, as Alertmanager sends
 * them, so a receiver never sees a firing alert "end" in the future.
 */
import type { Labels } from '../api/model.js';
import type { WebhookMessage } from '../api/alertmanager.js';
import { formatTime, isResolved, type Alert } from './alerts.js';

export type MessageAlert = WebhookMessage['alerts'][number];

export interface NotificationData {
  receiver: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  alerts: MessageAlert[];
}

function common(sets: Labels[]): Labels {
  if (sets.length === 0) return {};
  const out: Labels = { ...sets[0] };
  for (const s of sets.slice(1)) for (const k of Object.keys(out)) if (s[k] !== out[k]) delete out[k];
  return out;
}

export function notificationData(o: { receiver: string; groupKey: string; groupLabels: Labels; externalURL: string; alerts: Alert[]; now: number }): NotificationData {
  const alerts: MessageAlert[] = o.alerts.map((a) => {
    const resolved = isResolved(a, o.now);
    return {
      status: resolved ? 'resolved' : 'firing',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: formatTime(a.startsAt),
      endsAt: resolved ? formatTime(a.endsAt) : formatTime(undefined),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    };
  });
  return {
    receiver: o.receiver,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    groupKey: o.groupKey,
    groupLabels: o.groupLabels,
    commonLabels: common(o.alerts.map((a) => a.labels)),
    commonAnnotations: common(o.alerts.map((a) => a.annotations)),
    externalURL: o.externalURL,
    alerts,
  };
}

/** Alertmanager's webhook payload (version 4); `maxAlerts` > 0 truncates, counting the rest. */
export function webhookMessage(d: NotificationData, maxAlerts: number): WebhookMessage {
  const kept = maxAlerts > 0 && d.alerts.length > maxAlerts ? d.alerts.slice(0, maxAlerts) : d.alerts;
  return {
    receiver: d.receiver,
    status: d.status,
    alerts: kept,
    groupLabels: d.groupLabels,
    commonLabels: d.commonLabels,
    commonAnnotations: d.commonAnnotations,
    externalURL: d.externalURL,
    version: '4',
    groupKey: d.groupKey,
    truncatedAlerts: d.alerts.length - kept.length,
  };
}
