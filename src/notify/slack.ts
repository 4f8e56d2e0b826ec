/**
 * Slack incoming-webhook messages. Alertmanager renders `title` and `text` with Go templates over
 * its template data; here they are rendered by the LogQL template engine
 * (src/logql/pipeline/template) over the same field names: `.Status`, `.Receiver`, `.GroupLabels`,
 * `.CommonLabels`, `.CommonAnnotations`, `.ExternalURL` and `.Alerts` (each with `.Status`,
 * `.Labels`, `.Annotations`, `.StartsAt`, `.EndsAt`, `.GeneratorURL`, `.Fingerprint`), so
 * `{{ .CommonLabels.alertname }}` or `{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}` work.
 * Alertmanager's own helpers (`toUpper`, `join`, `.SortedPairs`, `.Alerts.Firing`, named templates)
 * do not exist here: a template using them is rejected when the notifier starts.
 */
import { LogwharfError } from '../api/errors.js';
import type { Labels } from '../api/model.js';
import { Template } from '../logql/pipeline/template/exec.js';
import type { NotificationData } from './message.js';

export interface SlackMessage {
  channel?: string;
  username: string;
  attachments: Array<{ color: 'danger' | 'good'; title: string; text: string; fallback: string }>;
}

export interface SlackTemplates {
  title?: Template;
  text?: Template;
}

/** Compiles a receiver's templates; an unknown function or bad syntax is a configuration error. */
export function compileSlackTemplates(receiver: string, cfg: { title: string; text: string }): SlackTemplates {
  const compile = (src: string, field: string) => {
    if (src === '') return undefined;
    try {
      return new Template(src);
    } catch (e) {
      throw new LogwharfError('bad_request', `notify.receivers "${receiver}" slack_configs ${field}: ${(e as Error).message}`);
    }
  };
  return { title: compile(cfg.title, 'title'), text: compile(cfg.text, 'text') };
}

function templateData(d: NotificationData): Labels {
  const data = {
    Status: d.status,
    Receiver: d.receiver,
    GroupLabels: d.groupLabels,
    CommonLabels: d.commonLabels,
    CommonAnnotations: d.commonAnnotations,
    ExternalURL: d.externalURL,
    Alerts: d.alerts.map((a) => ({
      Status: a.status,
      Labels: a.labels,
      Annotations: a.annotations,
      StartsAt: a.startsAt,
      EndsAt: a.endsAt,
      GeneratorURL: a.generatorURL,
      Fingerprint: a.fingerprint,
    })),
  };
  // The engine's root is typed as labels but walks any Go-like value (maps, lists, strings).
  return data as unknown as Labels;
}

export function defaultSlackTitle(d: NotificationData): string {
  const firing = d.alerts.filter((a) => a.status === 'firing').length;
  const head = d.status === 'firing' ? `[FIRING:${firing}]` : '[RESOLVED]';
  const values = Object.keys(d.groupLabels).sort().map((k) => d.groupLabels[k]);
  return [head, ...values].join(' ');
}

export function defaultSlackText(d: NotificationData): string {
  return d.alerts
    .map((a) => {
      const what = a.annotations.summary ?? a.annotations.description ?? a.labels.alertname ?? '';
      return `[${a.status}] ${what}`;
    })
    .join('\n');
}

export function slackMessage(d: NotificationData, cfg: { channel: string; username: string }, t: SlackTemplates): SlackMessage {
  const data = templateData(d);
  const title = t.title ? t.title.render(data, '', 0n) : defaultSlackTitle(d);
  const text = t.text ? t.text.render(data, '', 0n) : defaultSlackText(d);
  const msg: SlackMessage = { username: cfg.username, attachments: [{ color: d.status === 'firing' ? 'danger' : 'good', title, text, fallback: title }] };
  if (cfg.channel !== '') msg.channel = cfg.channel;
  return msg;
}
