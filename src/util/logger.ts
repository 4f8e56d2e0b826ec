/**
 * Our own logs: JSON lines through pino, one logger per component, a request id on every line that
 * belongs to a request (child loggers). Level names are written as strings so `jq .level` reads well.
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
