/**
 * Our own logs: JSON lines through pino, one logger per component, a request id on every line that
 * belongs to a request (child loggers). Level names are written as strings so `jq .level` reads well.
 * Child loggers are made with `childLogger`, never `log.child`: pino appends a child's bindings to
 * its parent's, so `component` set at three levels appeared three times in one line (issue #8).
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(opts: { level?: LogLevel; component?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.component ? { component: opts.component } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'msg',
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
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
