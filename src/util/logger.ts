/**
 * Our own logs: JSON lines in the kit's schema (docs/log-schema.md, src/kit/logger.ts): `level`,
 * `time`, `service: "logwharf"`, `version` (when the caller passes it: util cannot reach the build
 * info in app), `component`, the request's `request_id` on every line that belongs to a request
 * (child loggers), `msg`. The server and agent are the kit's first users.
 * Child loggers are made with `childLogger`, never `log.child`: pino appends a child's bindings to
 * its parent's, so `component` set at three levels appeared three times in one line (issue #8).
 */
import { pino, type DestinationStream } from 'pino';
import { createLogger as createKitLogger, type Logger } from '../kit/logger.js';

export type { Logger };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Our `service` on every line. */
export const SERVICE = 'logwharf';

export function createLogger(opts: { level?: LogLevel; component?: string; version?: string; destination?: DestinationStream } = {}): Logger {
  const root = createKitLogger({ service: SERVICE, version: opts.version, level: opts.level ?? 'info', destination: opts.destination });
  return opts.component ? childLogger(root, { component: opts.component }) : root;
}

/**
 * A child logger whose bindings replace the parent's keys of the same name instead of repeating
 * them: `childLogger(upLog, { component: 'server' })` writes one `"component":"server"`.
 */
export function childLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  const merged: Record<string, unknown> = { ...parent.bindings(), ...bindings };
  const child = parent.child({});
  // pino keeps a logger's bindings as the ready-made JSON fragment under this public symbol
  // (`,"k":v` per key) and appends it to every line; write it once, with each key once.
  let fragment = '';
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) fragment += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  (child as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] = fragment;
  return child;
}
