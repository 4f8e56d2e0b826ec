/**
 * What the alerts page reads: Prometheus' rules and alerts API (GET /prometheus/api/v1/rules and
 * /alerts, as Loki serves it) and the Alertmanager v2 API of the built-in notifier (silences, and
 * alerts with their silenced status). The server's own types are src/api/prom-rules.ts and
 * src/api/alertmanager.ts; the UI imports nothing from src, so the fields it uses are restated here.
 */
export type Labels = Record<string, string>;

export interface PromAlert {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing';
  /** RFC 3339: when the alert became pending. */
  activeAt: string;
  /** Go's float formatting, e.g. "1.2e+01". */
  value: string;
}

export interface AlertingRule {
  type: 'alerting';
  state: 'inactive' | 'pending' | 'firing';
  name: string;
  query: string;
  /** `for`, seconds. */
  duration: number;
  labels: Labels;
  annotations: Labels;
  alerts: PromAlert[];
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  evaluationTime: number;
  /** RFC 3339; Go's zero time when never evaluated. */
  lastEvaluation: string;
}

export interface RecordingRule {
  type: 'recording';
  name: string;
  query: string;
  labels?: Labels;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  name: string;
  /** The rule namespace. */
  file: string;
  rules: Rule[];
  /** Seconds. */
  interval: number;
  evaluationTime: number;
  lastEvaluation: string;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** Absent means true. */
  isEqual?: boolean;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

export interface PostableSilence {
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** GET /alertmanager/api/v2/alerts item: the notifier's view, with what silences it. */
export interface NotifierAlert {
  labels: Labels;
  fingerprint: string;
  status: { state: 'unprocessed' | 'active' | 'suppressed'; silencedBy: string[]; inhibitedBy: string[] };
}
