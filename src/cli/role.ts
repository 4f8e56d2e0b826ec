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

/**
 * Starts a role; a failure a user can fix by a flag says which flag. A taken listen address was a
 * bare "listen EADDRINUSE" (issue #8). What was opened before the failure (the store) is closed.
 */
export async function startRole<T>(role: { start(): Promise<T>; close(): Promise<void> }, listen: string): Promise<T> {
  try {
    return await role.start();
  } catch (e) {
    await role.close().catch(() => {});
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(`cannot listen on ${listen}: the address is already in use (another logwharf or Loki?); stop that process or choose another address with --listen HOST:PORT`, { cause: e });
    }
    if (code === 'EACCES') {
      throw new Error(`cannot listen on ${listen}: permission denied (ports below 1024 need privileges); choose another address with --listen HOST:PORT`, { cause: e });
    }
    throw e;
  }
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
