/**
 * V8's full garbage collection as a function, for the memory governor (./memory-governor.ts) and
 * tests. Its own file, so code that needs only it (a worker thread) loads no metrics library.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's full collection as a function, without `--expose-gc` on the command line: the flag is turned
 * on only while one fresh context is made (which then has `gc`), then off again, so no other code
 * and no worker thread started later sees a `gc` global.
 */
export function exposedGc(): () => void {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

