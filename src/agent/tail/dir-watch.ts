/**
 * One fs.watch per directory, shared by every reader of a file in it: 500 files tailed in /var/log
 * then cost one inotify watch and one callback per event, not 500. A reader hears about its own file
 * and that file's rotated names (`<name>.<suffix>`).
 *
 * This is how readers learn of new lines (issue #17): a watched reader sleeps until its file changes,
 * and polls only rarely, for safety. Where watching is not possible (a file system without inotify,
 * the inotify watch limit reached, the directory removed) `watching` is false and readers poll.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** `change`: the file's data or metadata changed. `rename`: a name in the directory appeared or went (rotation, deletion). */
export type WatchEvent = 'change' | 'rename';

export interface FileWatch {
  /** False once the directory's watcher failed (or never started): the reader must poll. */
  readonly watching: boolean;
  close(): void;
}

interface DirWatch {
  watcher: FSWatcher | undefined;
  /** Listeners by file name. */
  byName: Map<string, Set<(e: WatchEvent) => void>>;
}

const dirs = new Map<string, DirWatch>();

/** Calls `onChange` when something happens to `path` or its rotated siblings. */
export function watchFile(path: string, onChange: (e: WatchEvent) => void): FileWatch {
  return listen(dirname(path), basename(path), onChange);
}

/** The listeners of every event in a directory: no file is named "". */
const ANY = '';

/**
 * Calls `onEvent` for every event in `dir` (`rename`: a name appeared or went; `change`: a file's data
 * or metadata), on the same inotify watch as the readers of its files: Kubernetes discovery lists a
 * watched container directory again only when told (issue #17).
 */
export function watchDir(dir: string, onEvent: (e: WatchEvent) => void): FileWatch {
  return listen(dir, ANY, onEvent);
}

function listen(dir: string, name: string, onChange: (e: WatchEvent) => void): FileWatch {
  let d = dirs.get(dir);
  if (!d) {
    const created: DirWatch = { watcher: undefined, byName: new Map() };
    try {
      created.watcher = watch(dir, { persistent: false }, (event, file) => dispatch(created, event === 'change' ? 'change' : 'rename', file ? String(file) : undefined));
      created.watcher.on('error', () => {
        // The directory went away (container removed): its readers fall back to polling, and hear
        // about it now so they look at once.
        created.watcher?.close();
        created.watcher = undefined;
        if (dirs.get(dir) === created) dirs.delete(dir);
        dispatch(created, 'rename', undefined);
      });
    } catch {
      // unsupported file system, no inotify watches left, or a missing directory: polling only
    }
    d = created;
    // Without a watcher (yet), the next reader of this directory tries again.
    if (created.watcher) dirs.set(dir, d);
  }
  let set = d.byName.get(name);
  if (!set) d.byName.set(name, (set = new Set()));
  set.add(onChange);
  const owner = d;
  let closed = false;
  return {
    get watching() {
      return !closed && owner.watcher !== undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      set.delete(onChange);
      if (set.size === 0 && owner.byName.get(name) === set) owner.byName.delete(name);
      if (owner.byName.size === 0) {
        owner.watcher?.close();
        owner.watcher = undefined;
        if (dirs.get(dir) === owner) dirs.delete(dir);
      }
    },
  };
}

function dispatch(d: DirWatch, event: WatchEvent, file: string | undefined): void {
  const any = d.byName.get(ANY);
  if (any) for (const fn of any) fn(file === undefined ? 'rename' : event);
  if (file === undefined) {
    for (const [name, set] of d.byName) if (name !== ANY) for (const fn of set) fn('rename');
    return;
  }
  // `0.log.20260102-150405` → `0.log.20260102-150405`, `0.log`, `0`. Only the file's own name can
  // carry a `change` that means "new data"; a sibling's change (a rotated file still written to)
  // is told as `rename`, which makes the reader look at the whole picture.
  let name = file;
  let own = true;
  for (;;) {
    const set = d.byName.get(name);
    if (set) for (const fn of set) fn(own ? event : 'rename');
    const dot = name.lastIndexOf('.');
    if (dot <= 0) return;
    name = name.slice(0, dot);
    own = false;
  }
}
