/**
 * A logger whose JSON lines a test can read: `lines` as parsed objects, `texts` as written (for
 * checks on the text itself, such as repeated keys).
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../../src/util/logger.js';

export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  texts: string[];
}

export function captureLog(level: LogLevel = 'debug'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const texts: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        texts.push(text);
        lines.push(JSON.parse(text) as Record<string, unknown>);
      }
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines, texts };
}
