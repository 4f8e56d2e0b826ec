/**
 * The query's current error, shared by whoever runs the query (results, live tail) and the query bar
 * that shows it: the runner calls `setQueryError(e)` when its query fails and `setQueryError(undefined)`
 * when it succeeds; the query bar shows the message under the editor and underlines `e.position`.
 * A tiny store rather than props, because the runner and the bar are siblings.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../../lib/api.js';

let current: ApiError | undefined;
const listeners = new Set<() => void>();

export function setQueryError(err: ApiError | undefined): void {
  if (err === current) return;
  current = err;
  listeners.forEach((l) => l());
}

export function getQueryError(): ApiError | undefined {
  return current;
}

/** The current query error; re-renders the caller when it changes. */
export function useQueryError(): ApiError | undefined {
  const [err, setErr] = useState(current);
  useEffect(() => {
    const l = () => setErr(current);
    listeners.add(l);
    l();
    return () => void listeners.delete(l);
  }, []);
  return err;
}
