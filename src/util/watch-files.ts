/**
 * Noticing that files changed on disk, for the parts that reload them without a restart (TLS
 * certificates, the runtime-config file of per-tenant overrides). Each file's directory is watched,
 * not the file: editors and tools replace files by rename, and Kubernetes swaps a mounted
 * ConfigMap's or Secret's `..data` symlink in the directory, which a watch on the old inode never
 * sees. A periodic check covers file systems where watching misses changes (network mounts, some
 * container runtimes). Watch events are debounced: one rotation or save writes several files or
 * several times. The caller's `check` decides whether anything really changed (by content).
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from './logger.js';

/** Long enough to gather the writes of one save or rotation, short enough that a change applies at once. */
export const WATCH_DEBOUNCE_MS = 200;

export interface FileWatch {
  close(): void;
}

/**
 * Calls `check` after a change settles in a directory of `files`, and every `pollMs` besides.
 * `what` names the files in the warnings logged when a directory cannot be watched (the periodic
 * check remains then).
 */
export function watchFiles(opts: { files: readonly string[]; check: () => void; pollMs: number; log: Logger; what: string; debounceMs?: number }): FileWatch {
  const debounceMs = opts.debounceMs ?? WATCH_DEBOUNCE_MS;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      opts.check();
    }, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(opts.files.map((f) => dirname(f)))) {
    try {
      const w = watch(dir, { persistent: false }, () => schedule());
      w.on('error', (e) => opts.log.warn({ dir, err: e.message }, `${opts.what}: watching the directory failed; the periodic check remains`));
      watchers.push(w);
    } catch (e) {
      opts.log.warn({ dir, err: (e as Error).message }, `${opts.what}: cannot watch the directory; the periodic check remains`);
    }
  }
  const poll = setInterval(opts.check, opts.pollMs);
  poll.unref();
  return {
    close() {
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
