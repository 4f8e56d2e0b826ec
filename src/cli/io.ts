/**
 * What a command touches of the outside world, passed in so tests can run commands in-process:
 * standard streams and a signal that stops long-running commands (tail) the way SIGINT does.
 */
import type { Readable, Writable } from 'node:stream';

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  /** Aborted on SIGINT/SIGTERM by main; tests abort it themselves. */
  signal: AbortSignal;
}

/** Writes and waits for the stream to drain when its buffer is full, so large outputs keep memory flat. */
export function write(out: Writable, text: string): Promise<void> | void {
  if (out.write(text)) return;
  return new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      out.off('error', onError);
      resolve();
    };
    const onError = (e: Error) => {
      out.off('drain', onDrain);
      reject(e);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

/** A mistake in how the command was called: printed with a hint and exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
