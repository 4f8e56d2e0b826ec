#!/usr/bin/env node
/**
 * The `logwharf` binary. Only `tail` is stopped by SIGINT/SIGTERM through the abort signal (it
 * closes its WebSocket and exits 0); other commands keep Node's default (the server role installs
 * its own handlers), so Ctrl-C still ends a slow query at once.
 */
import { run } from './dispatch.js';

const argv = process.argv.slice(2);
const controller = new AbortController();
if (argv[0] === 'tail') {
  const stop = () => {
    // A second Ctrl-C while closing means "now".
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
// `logwharf query ... | head` closes the pipe early; that is a normal end, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

process.exitCode = await run(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal });
