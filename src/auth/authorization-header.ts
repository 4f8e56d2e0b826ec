/**
 * The token an `Authorization` header carries: `Bearer <token>`, or `Basic base64(user:token)` with
 * any user name (Grafana's Loki data source, Promtail and Alloy send the token as the password).
 * Pure and total: any header value gives an answer, never an exception.
 */
export type PresentedCredential =
  | { kind: 'none' }
  /** Something was sent that carries no usable token (another scheme, bad base64, no colon). */
  | { kind: 'malformed' }
  | { kind: 'token'; text: string };

/** Longer than any token we issue, with room for a Basic user name; longer headers are not ours. */
const MAX_HEADER_CHARS = 4096;

export function presentedCredential(header: string | undefined): PresentedCredential {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  if (header.length > MAX_HEADER_CHARS) return { kind: 'malformed' };
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(header);
  if (!m) return { kind: 'malformed' };
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  if (scheme === 'bearer') return { kind: 'token', text: value };
  if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return { kind: 'malformed' };
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { kind: 'malformed' };
    return { kind: 'token', text: decoded.slice(colon + 1) };
  }
  return { kind: 'malformed' };
}
