/**
 * Reading the audit log as a user does: a LogQL query over the audit tenant through
 * /loki/api/v1/query_range, with whatever credentials and X-Scope-OrgID the caller gives.
 */
export interface AuditRecord {
  labels: Record<string, string>;
  /** The entry's line, parsed. */
  line: {
    action: string;
    who?: string;
    who_kind: string;
    role?: string;
    tenant?: string;
    tenants?: string[];
    client?: string;
    method?: string;
    route?: string;
    status?: number;
    request_id?: string;
    reason?: string;
    target?: Record<string, unknown>;
    suppressed?: number;
    reasons?: Record<string, number>;
    [k: string]: unknown;
  };
  raw: string;
  /** Nanoseconds, as sent. */
  ts: string;
}

/** Every audit record of the last hour, oldest first; throws with the answer when the query is refused. */
export async function auditRecords(url: string, headers: Record<string, string>, query = '{log_type="audit"}'): Promise<AuditRecord[]> {
  const params = new URLSearchParams({ query, start: String((Date.now() - 3_600_000) * 1e6), end: String((Date.now() + 60_000) * 1e6), limit: '5000', direction: 'forward' });
  const res = await fetch(`${url}/loki/api/v1/query_range?${params}`, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`audit query answered ${res.status}: ${text}`);
  const body = JSON.parse(text) as { data: { result: Array<{ stream: Record<string, string>; values: string[][] }> } };
  const out: AuditRecord[] = [];
  for (const s of body.data.result) for (const [ts, raw] of s.values) out.push({ labels: s.stream, line: JSON.parse(raw!) as AuditRecord['line'], raw: raw!, ts: ts! });
  return out.sort((a, b) => (BigInt(a.ts) < BigInt(b.ts) ? -1 : BigInt(a.ts) > BigInt(b.ts) ? 1 : 0));
}
