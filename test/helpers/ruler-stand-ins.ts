/**
 * Stand-ins at the ruler's seams, for tests: the rule repository as an in-memory list (until the
 * ruler API's repository is on this branch), and sinks that record what the ruler handed over
 * (alerts, recording rules' samples) in process.
 */
import type { AlertSink, PostableAlert } from '../../src/api/alertmanager.js';
import type { SampleSink, SeriesSamples } from '../../src/api/remote-write.js';
import type { RuleGroupSource } from '../../src/ruler/manager.js';
import type { RuleGroup } from '../../src/rules/model.js';

/** A test stand-in for the rule repository: an in-memory list that tells its listeners of changes. */
export class InMemoryRuleSource implements RuleGroupSource {
  private groups: RuleGroup[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(groups: RuleGroup[] = []) {
    this.groups = groups;
  }

  set(groups: RuleGroup[]): void {
    this.groups = groups;
    for (const l of this.listeners) l();
  }

  list(tenant?: string): RuleGroup[] {
    return tenant === undefined ? [...this.groups] : this.groups.filter((g) => g.tenant === tenant);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Records every alert handed over; `failing` makes sends reject (an unreachable notifier). */
export class RecordingAlertSink implements AlertSink {
  readonly sent: Array<{ tenant: string; alerts: PostableAlert[] }> = [];
  failing = false;

  async send(tenant: string, alerts: PostableAlert[]): Promise<void> {
    if (this.failing) throw new Error('notifier unreachable');
    this.sent.push({ tenant, alerts });
  }

  async close(): Promise<void> {}

  /** Every alert sent, flattened, in order. */
  all(): PostableAlert[] {
    return this.sent.flatMap((s) => s.alerts);
  }
}

export class RecordingSampleSink implements SampleSink {
  readonly written: Array<{ tenant: string; series: SeriesSamples[] }> = [];

  async write(tenant: string, series: SeriesSamples[]): Promise<void> {
    this.written.push({ tenant, series });
  }

  async close(): Promise<void> {}
}
