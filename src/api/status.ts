/**
 * The health monitor's wire format (issue #13), shared by the server (`GET /api/v1/status`) and the
 * CLI (`logwharf status`). logwharf's own endpoint: Loki has none. docs/api.md describes the shape.
 */

export const STATUS_PATH = '/api/v1/status';

/** ok: nothing to do · warning: look soon · critical: something is broken or about to be. */
export type HealthLevel = 'ok' | 'warning' | 'critical';

export const HEALTH_LEVELS: readonly HealthLevel[] = ['ok', 'warning', 'critical'];

/** One thing a component found wrong; `check` is a stable name that rules and scripts match on. */
export interface HealthProblem {
  check: string;
  status: Exclude<HealthLevel, 'ok'>;
  /** One sentence for a person. */
  message: string;
  /** What the problem is about (`tenant`, `agent`, `host`, …): each becomes a field of the health record. */
  subject?: Record<string, string>;
}

/** What a contributor answers: its level, its figures (component-specific numbers), its problems. */
export interface ComponentStatus {
  status: HealthLevel;
  /** Numbers and short strings an operator reads; the keys are documented per component in docs/api.md. */
  figures: Record<string, unknown>;
  problems: HealthProblem[];
}

export interface ComponentReport extends ComponentStatus {
  name: string;
}

export interface StatusResponse {
  /** The worst level of the components listed. */
  status: HealthLevel;
  /** RFC 3339. */
  checked_at: string;
  components: ComponentReport[];
}

/** The worse of the levels given (ok when none). */
export function worstOf(levels: Iterable<HealthLevel>): HealthLevel {
  let worst = 0;
  for (const l of levels) worst = Math.max(worst, HEALTH_LEVELS.indexOf(l));
  return HEALTH_LEVELS[worst]!;
}

/** A component's level from its problems: the worst of them. */
export function levelOf(problems: readonly HealthProblem[]): HealthLevel {
  return worstOf(problems.map((p) => p.status));
}
