/**
 * "Run the query again": a counter that the query bar increments when the user runs an unchanged
 * query (Shift+Enter, Run query) and on every auto-refresh tick. The URL cannot carry that (same state,
 * same URL), so whoever fetches results includes `useRunCounter()` in its fetch effect's dependencies.
 */
import { useEffect, useState } from 'preact/hooks';

let counter = 0;
const listeners = new Set<() => void>();

export function requestRun(): void {
  counter++;
  listeners.forEach((l) => l());
}

export function getRunCounter(): number {
  return counter;
}

/** The run counter; re-renders the caller each time a run is requested. */
export function useRunCounter(): number {
  const [n, setN] = useState(counter);
  useEffect(() => {
    const l = () => setN(counter);
    listeners.add(l);
    l();
    return () => void listeners.delete(l);
  }, []);
  return n;
}
