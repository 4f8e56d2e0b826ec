/**
 * The ready-made health-check rule (`pipeline.drop_healthchecks`, issue #4 §3): drops the lines that
 * load balancers and the kubelet cause every few seconds per pod, which are often most of a small
 * service's volume and tell nobody anything.
 *
 * A line is a health check when it
 * - carries a probe's user agent with a version (`kube-probe/1.29`, `GoogleHC/1.0`,
 *   `ELB-HealthChecker/2.0`) as a quoted or key=value field, or
 * - is an access-log line for GET or HEAD of exactly /health, /healthz, /ready, /readyz, /livez or
 *   /ping (optionally with a query string or as an absolute URL): a request line with its HTTP
 *   version (common/combined log format, uvicorn, Envoy, a JSON `request` field), a method and path
 *   followed by a status (morgan, most Go middleware), Gin's `| GET "/healthz"`, or JSON/logfmt
 *   fields naming the method, the path and a status (nginx/Traefik/Caddy JSON, logfmt access logs).
 *
 * Deliberately kept (not noise): probes that failed (a 4xx/5xx status), lines at level error or
 * worse, other methods (POST /health), longer paths (/healthcare, /api/ping, /health/db), and lines
 * that merely mention a health path (startup messages, route tables, "health check failed").
 */
import { levelFromLine, LEVEL_CRITICAL, LEVEL_ERROR, LEVEL_FATAL } from '../../api/detect-level.js';

/** Every health-check line contains one of these: one cheap pass rules out almost all lines. */
const CANDIDATE = /kube-probe\/|GoogleHC\/|ELB-HealthChecker\/|\/(?:health|ready|livez|ping)/;

const PROBE_AGENT = /(?:^|[\s"'=:([])(?:kube-probe|GoogleHC|ELB-HealthChecker)\/\d/;

const PATH = String.raw`(?:https?://[^/\s"']+)?/(?:healthz?|readyz?|livez|ping)(?:\?[^\s"']*)?`;
const VALUE_END = String.raw`(?=["'\s,}|]|$)`;
const KEY_START = String.raw`(?:^|[\s{,"'])["']?[\w.-]*`;
const KEY_SEP = String.raw`["']?\s*[:=]\s*["']?`;

/** `"GET /healthz HTTP/1.1"`, `GET /ready?x=1 HTTP/2.0` */
const REQUEST_LINE = new RegExp(String.raw`(?:^|[\s"'])(?:GET|HEAD) ${PATH} HTTP/\d`);
/** `GET /healthz 200 0.5 ms` */
const REQUEST_STATUS = new RegExp(String.raw`(?:^|[\s"'])(?:GET|HEAD)\s+"?${PATH}"?\s+[1-5]\d\d(?=\s|$)`);
/** Gin: `| 200 | 12µs | 10.0.0.1 | GET      "/healthz"` */
const GIN = new RegExp(String.raw`\|\s*(?:GET|HEAD)\s+"${PATH}"`);
/** Key/value access logs (JSON, logfmt): all three fields must be there. */
const METHOD_FIELD = new RegExp(String.raw`${KEY_START}(?:method|verb)${KEY_SEP}(?:GET|HEAD)${VALUE_END}`, 'i');
const PATH_FIELD = new RegExp(String.raw`${KEY_START}(?:path|uri|url|target)${KEY_SEP}${PATH}${VALUE_END}`, 'i');
const STATUS_FIELD = new RegExp(String.raw`${KEY_START}(?:status|code)${KEY_SEP}[1-5]\d\d${VALUE_END}`, 'i');

/** A failed request: status 4xx/5xx after the request line, in a status field, in Gin's column, or after method and path. */
const FAILED = new RegExp(
  [
    String.raw`HTTP/\d(?:\.\d)?"?\s+[45]\d\d\b`,
    String.raw`${KEY_START}(?:status|code)${KEY_SEP}[45]\d\d${VALUE_END}`,
    String.raw`\|\s*[45]\d\d\s*\|`,
    String.raw`(?:GET|HEAD)\s+"?${PATH}"?\s+[45]\d\d(?=\s|$)`,
  ].join('|'),
  'i',
);

/** True when the line is health-check noise as described above. */
export function isHealthcheck(line: string): boolean {
  if (!CANDIDATE.test(line)) return false;
  const probe =
    PROBE_AGENT.test(line) ||
    REQUEST_LINE.test(line) ||
    REQUEST_STATUS.test(line) ||
    GIN.test(line) ||
    (METHOD_FIELD.test(line) && PATH_FIELD.test(line) && STATUS_FIELD.test(line));
  if (!probe || FAILED.test(line)) return false;
  const level = levelFromLine(line);
  return level !== LEVEL_ERROR && level !== LEVEL_CRITICAL && level !== LEVEL_FATAL;
}
