/**
 * The health monitor of issue #13: a list of contributors, each answering its component's status,
 * asked together and summed up as the worst level. Contributors are registered where the server is
 * wired (src/app/server.ts), so a new part (the fleet's agents and rollouts) adds itself there in a
 * few lines without this file knowing it.
 *
 * A contributor that throws or does not answer within `timeoutMs` is reported critical with the
 * reason, not left out: a component that cannot say how it is doing is the one to look at first.
 * Every check also sets `logwharf_component_status{component}` (0 ok, 1 warning, 2 critical), so
 * Prometheus users alert on the same levels without LogQL.
 */
import { Gauge, type Registry } from 'prom-client';
import { LogwharfError } from '../api/errors.js';
import { HEALTH_LEVELS, worstOf, type ComponentReport, type ComponentStatus, type StatusResponse } from '../api/status.js';

/** One component of the status: registered at wiring time, asked on every check. */
export interface HealthContributor {
  /** Stable and unique: `ingest`, `store`, `queries`, `ruler`, `notifier`, `agents`, `fleet`, … */
  readonly name: string;
  status(): Promise<ComponentStatus>;
}

/** How long one contributor may take before it is reported critical (it reads SQLite, statfs, walks the WAL). */
export const CONTRIBUTOR_TIMEOUT_MS = 5_000;

export interface HealthMonitor {
  /** Adds a contributor; a second one of the same name is a wiring mistake and throws. */
  register(c: HealthContributor): void;
  /** The names registered, in order. */
  names(): string[];
  /** Asks the contributors (all, or those named) at once. Unknown names are a 400. */
  check(only?: readonly string[]): Promise<StatusResponse>;
}

export interface HealthMonitorOptions {
  registry?: Registry;
  timeoutMs?: number;
  now?: () => number;
}

export function createHealthMonitor(opts: HealthMonitorOptions = {}): HealthMonitor {
  const contributors: HealthContributor[] = [];
  const timeoutMs = opts.timeoutMs ?? CONTRIBUTOR_TIMEOUT_MS;
  const now = opts.now ?? Date.now;
  const gauge = opts.registry
    ? new Gauge({
        name: 'logwharf_component_status',
        help: 'The health monitor\'s level of each component at its last check: 0 ok, 1 warning, 2 critical (GET /api/v1/status).',
        labelNames: ['component'] as const,
        registers: [opts.registry],
      })
    : undefined;

  const ask = async (c: HealthContributor): Promise<ComponentReport> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const s = await Promise.race([c.status(), timeout]);
      return { name: c.name, status: s.status, figures: s.figures, problems: s.problems };
    } catch (e) {
      return {
        name: c.name,
        status: 'critical',
        figures: {},
        problems: [{ check: 'status_unavailable', status: 'critical', message: `${c.name}: its status could not be read: ${(e as Error).message}` }],
      };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    register(c) {
      if (contributors.some((x) => x.name === c.name)) throw new Error(`health contributor "${c.name}" registered twice`);
      contributors.push(c);
    },
    names: () => contributors.map((c) => c.name),
    async check(only) {
      if (only) {
        const unknown = only.filter((n) => !contributors.some((c) => c.name === n));
        if (unknown.length > 0) {
          throw new LogwharfError('invalid_param', `unknown component ${unknown.map((n) => JSON.stringify(n)).join(', ')}: known are ${contributors.map((c) => c.name).join(', ')}`);
        }
      }
      const chosen = only ? contributors.filter((c) => only.includes(c.name)) : contributors;
      const components = await Promise.all(chosen.map(ask));
      for (const c of components) gauge?.set({ component: c.name }, HEALTH_LEVELS.indexOf(c.status));
      return { status: worstOf(components.map((c) => c.status)), checked_at: new Date(now()).toISOString(), components };
    },
  };
}
