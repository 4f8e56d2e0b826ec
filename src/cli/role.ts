/** What the long-running roles (`server`, `agent`, `up`) share: flag parsing and a clean stop on SIGTERM/SIGINT. */
import type { ParseArgsConfig } from 'node:util';
import type { Logger } from '../util/logger.js';
import { parseCommand } from './common.js';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a role's flags; a role takes no positional arguments. Mistakes are usage errors (exit 2). */
export function parseRoleFlags<O extends Options>(command: string, argv: string[], options: O) {
  const parsed = parseCommand(command, argv, options);
  if (parsed.positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${parsed.positionals[0]}"`);
  return parsed.values;
}

/** Resolves with the exit code once a SIGTERM/SIGINT has been handled by `close`: 0, or 1 if closing failed. */
export function waitForSignal(close: () => Promise<void>, log: Logger): Promise<number> {
  return new Promise<number>((resolve) => {
    let closing = false;
    // A role runs until it is told to stop, even when nothing else keeps the event loop busy (an
    // agent with nothing to collect yet): signal handlers alone do not.
    const keepAlive = setInterval(() => {}, 1 << 30);
    const stop = (signal: string) => {
      if (closing) return;
      closing = true;
      clearInterval(keepAlive);
      log.info({ signal }, 'shutting down');
      close().then(
        () => {
          log.info('stopped');
          resolve(0);
        },
        (e) => {
          log.error({ err: (e as Error).message }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
