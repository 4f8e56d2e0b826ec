/**
 * One fs.watch per directory, shared by every reader of a file in it: 500 files tailed in /var/log
 * then cost one inotify watch and one callback per event, not 500. A reader hears about its own file
 * and that file's rotated names (`<name>.<suffix>`). Only a hint to read sooner: readers poll anyway.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

interface DirWatch {
  watcher: FSWatcher | undefined;
  /** Listeners by file name. */
  byName: Map<string, Set<() => void>>;
}

const dirs = new Map<string, DirWatch>();

/** Calls `onChange` when something happens to `path` or its rotated siblings; returns the unsubscribe. */
export function watchFile(path: string, onChange: () => void): () => void {
  const dir = dirname(path);
  const name = basename(path);
  let d = dirs.get(dir);
  if (!d) {
    const created: DirWatch = { watcher: undefined, byName: new Map() };
    try {
      created.watcher = watch(dir, { persistent: false }, (_event, file) => dispatch(created, file ? String(file) : undefined));
      created.watcher.on('error', () => {
        // the directory went away (container removed): polling carries on
        created.watcher?.close();
        created.watcher = undefined;
        if (dirs.get(dir) === created) dirs.delete(dir);
      });
    } catch {
      // unsupported file system or missing directory: polling only
    }
    d = created;
    // Without a watcher (yet), the next reader of this directory tries again.
    if (created.watcher) dirs.set(dir, d);
  }
  let set = d.byName.get(name);
  if (!set) d.byName.set(name, (set = new Set()));
  set.add(onChange);
  const owner = d;
  return () => {
    set.delete(onChange);
    if (set.size === 0) owner.byName.delete(name);
    if (owner.byName.size === 0) {
      owner.watcher?.close();
      if (dirs.get(dir) === owner) dirs.delete(dir);
    }
  };
}

function dispatch(d: DirWatch, file: string | undefined): void {
  if (file === undefined) {
    for (const set of d.byName.values()) for (const fn of set) fn();
    return;
  }
  // `0.log.20260102-150405` → `0.log.20260102-150405`, `0.log`, `0`
  let name = file;
  for (;;) {
    const set = d.byName.get(name);
    if (set) for (const fn of set) fn();
    const dot = name.lastIndexOf('.');
    if (dot <= 0) return;
    name = name.slice(0, dot);
  }
}
