/**
 * The two configuration helpers every role shares: the duration syntax of configuration files and
 * `host:port` listen addresses. Their own file so that the agent, which needs both, does not load
 * the server's schema (src/config/server.ts, several MB of zod objects) to get them (issue #17).
 */
import { LogwharfError } from '../api/errors.js';

/** Durations in configuration files: LogQL's syntax (30s, 15m, 7d, 1w, 1h30m). */
export const DURATION_PATTERN = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w|y))+$/;

/** Splits `host:port` (IPv6 in brackets) into its parts, with a clear error. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new LogwharfError('bad_request', `invalid listen address "${listen}": expected host:port, e.g. 127.0.0.1:3100`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
