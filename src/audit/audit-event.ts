/**
 * One audit record: the JSON object that is the line of an entry in the audit tenant's stream
 * (issue #11). Field names are snake_case as in Loki's JSON logs, so `| json` yields them as labels:
 * `{log_type="audit"} | json | action="token.create"`. Never a credential, a body or a query
 * string: who is a name (a token's, a certificate's subject, a proxy's user), the target is what the
 * route's path names plus what the handler chose to add.
 */
import type { AuditDenial, AuditRequest } from '../http/audit-sink.js';
import type { OutboxEntry } from '../auth/token-outbox.js';

/** allowed: done; denied: refused by authorisation; failed: an admin action that answered an error. */
export type AuditOutcome = 'allowed' | 'denied' | 'failed';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['allowed', 'denied', 'failed'];

export type WhoKind = 'token' | 'certificate' | 'proxy' | 'anonymous' | 'cli';

export interface AuditEvent {
  /** When it happened (Unix ms): the entry's timestamp. */
  at: number;
  action: string;
  outcome: AuditOutcome;
  who?: string | undefined;
  who_kind: WhoKind;
  role?: string | undefined;
  /** The tenant the request acted for, or the identity's tenants on routes that act for all of them. */
  tenant?: string | undefined;
  tenants?: string[] | undefined;
  client?: string | undefined;
  client_certificate?: string | undefined;
  method?: string | undefined;
  route?: string | undefined;
  status?: number | undefined;
  request_id?: string | undefined;
  reason?: string | undefined;
  target?: Record<string, unknown> | undefined;
  /** Denials coalesced into this record (./denied-limiter.ts). */
  suppressed?: number | undefined;
  [extra: string]: unknown;
}

/**
 * Names of the admin actions, by method and route pattern (both API prefixes of the ruler). Any
 * other route, admin or refused, is named `METHOD /pattern`, so a new admin route is recorded
 * without a change here.
 */
const ACTIONS: Record<string, string> = {
  'POST /api/v1/tokens': 'token.create',
  'DELETE /api/v1/tokens/:id': 'token.revoke',
  'POST /loki/api/v1/rules/:namespace': 'rules.group.set',
  'DELETE /loki/api/v1/rules/:namespace': 'rules.namespace.delete',
  'DELETE /loki/api/v1/rules/:namespace/:group': 'rules.group.delete',
  'POST /api/prom/rules/:namespace': 'rules.group.set',
  'DELETE /api/prom/rules/:namespace': 'rules.namespace.delete',
  'DELETE /api/prom/rules/:namespace/:group': 'rules.group.delete',
  'POST /alertmanager/api/v2/silences': 'silence.set',
  'DELETE /alertmanager/api/v2/silence/:silenceID': 'silence.expire',
  'POST /api/v1/fleet/configs/:name': 'fleet.config.apply',
  'POST /api/v1/fleet/configs/:name/rollback': 'fleet.config.rollback',
};

export function actionName(method: string, route: string): string {
  return ACTIONS[`${method} ${route}`] ?? `${method} ${route}`;
}

const MAX_FIELD = 200;

/** Client-chosen text (a tenant header) cut to a size a record can hold. */
function clip(v: string | undefined): string | undefined {
  return v === undefined ? undefined : v.length > MAX_FIELD ? `${v.slice(0, MAX_FIELD)}…` : v;
}

function common(r: AuditRequest | AuditDenial, at: number): AuditEvent {
  const id = r.identity;
  const kind: WhoKind = id ? id.kind : r.certificate !== undefined ? 'certificate' : 'anonymous';
  return {
    at,
    action: actionName(r.method, r.route),
    outcome: 'allowed',
    who: id?.name ?? r.certificate,
    who_kind: kind,
    role: id?.role,
    client: r.client,
    client_certificate: r.certificate,
    method: r.method,
    route: r.route,
    status: r.status,
    request_id: clip(r.requestId),
    target: Object.keys(r.params).length > 0 || r.details ? { ...r.params, ...r.details } : undefined,
  };
}

/** An admin action: allowed when it answered 2xx/3xx, failed otherwise. */
export function actionEvent(r: AuditRequest, at: number): AuditEvent {
  const e = common(r, at);
  e.outcome = r.status < 400 ? 'allowed' : 'failed';
  // Routes that act for all of the caller's tenants (the token API) have no tenant of their own.
  if (r.tenant !== '') e.tenant = r.tenant;
  else if (r.identity) e.tenants = r.identity.tenants;
  return e;
}

export function deniedEvent(d: AuditDenial, at: number): AuditEvent {
  const e = common(d, at);
  e.outcome = 'denied';
  e.reason = d.reason;
  e.tenant = clip(d.askedTenant);
  if (d.identity) e.tenants = d.identity.tenants;
  return e;
}

/** A token change made by `logwharf token` on the data directory, drained from the outbox. */
export function outboxEvent(o: OutboxEntry): AuditEvent {
  const t = o.token;
  return {
    at: o.at,
    action: o.action,
    outcome: 'allowed',
    who: o.actor.user,
    who_kind: 'cli',
    host: o.actor.host,
    tenants: t.tenants,
    target: { token_id: t.id, token_name: t.name, token_role: t.role, token_tenants: t.tenants, ...(t.expiresAt !== undefined ? { token_expires_at: new Date(t.expiresAt).toISOString() } : {}) },
    outbox_seq: o.seq,
  };
}

/**
 * The entry's line: the record without its timestamp and outcome (the entry and the stream's label
 * have them; an `outcome` field would make `| json` add an `outcome_extracted` label to every
 * result, as Loki does on a clash) and without empty fields.
 */
export function eventLine(e: AuditEvent): string {
  const { at: _at, outcome: _outcome, ...rest } = e;
  return JSON.stringify(rest);
}
