/**
 * One process per data directory: a second server on the same directory would interleave WAL and
 * segment writes. `LOCK` holds `<pid> <start time>`: the owner's pid and, on Linux, its start time
 * (field 22 of /proc/<pid>/stat, clock ticks since boot). The lock is taken over when its owner is
 * - dead;
 * - a zombie (killed with kill -9 but not yet reaped by its parent: kill(pid, 0) still succeeds,
 *   so a restart right after kill -9 used to be refused once);
 * - another process that reused the pid (its start time differs from the recorded one);
 * - this very process (a container restarted as pid 1 again, or tests reopening a directory).
 * A LOCK written before start times were recorded (a bare pid) is judged by liveness and zombie
 * state alone. Without /proc (not Linux) only liveness is checked.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogwharfError } from '../api/errors.js';

interface ProcStat {
  state: string;
  startTime: string;
}

/** State and start time of a process from /proc; undefined when there is no such process or no /proc. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses LOCK's text: `<pid> <start time>` or, before start times were recorded, `<pid>`. */
export function parseLock(text: string): { pid: number; startTime?: string } | undefined {
  const [p, start] = text.trim().split(/\s+/);
  const pid = Number(p);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return start ? { pid, startTime: start } : { pid };
}

/** Whether the process recorded in a LOCK still holds it. */
export function ownerAlive(owner: { pid: number; startTime?: string }): boolean {
  if (!alive(owner.pid)) return false;
  const st = procStat(owner.pid);
  // No /proc entry although kill(pid, 0) answered: not Linux; liveness is all we know.
  if (!st) return true;
  if (st.state === 'Z' || st.state === 'X') return false;
  return owner.startTime === undefined || owner.startTime === st.startTime;
}

function lockText(): string {
  const st = procStat(process.pid);
  return st ? `${process.pid} ${st.startTime}` : String(process.pid);
}

export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  const mine = lockText();
  try {
    const fh = await open(path, 'wx');
    await fh.writeFile(mine);
    await fh.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const owner = parseLock(await readFile(path, 'utf8').catch(() => ''));
    if (owner && owner.pid !== process.pid && ownerAlive(owner)) {
      throw new LogwharfError('store_unavailable', `data directory ${dir} is in use by process ${owner.pid} (remove ${path} if that is wrong)`, { path, pid: owner.pid });
    }
    await writeFile(path, mine);
  }
  return async () => {
    const owner = parseLock(await readFile(path, 'utf8').catch(() => ''));
    if (owner?.pid === process.pid) await unlink(path).catch(() => {});
  };
}
