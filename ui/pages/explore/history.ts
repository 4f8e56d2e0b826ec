/**
 * The last queries the user ran, newest first, kept in localStorage (per browser, across tenants):
 * a repeat moves to the front instead of appearing twice.
 */
const KEY = 'logwharf.queryHistory';
export const HISTORY_SIZE = 20;

export function loadHistory(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((q): q is string => typeof q === 'string').slice(0, HISTORY_SIZE) : [];
  } catch {
    return [];
  }
}

/** The history with `query` added in front; pure, so the rule is testable without a browser. */
export function withQuery(history: string[], query: string): string[] {
  const q = query.trim();
  if (!q) return history;
  return [q, ...history.filter((h) => h !== q)].slice(0, HISTORY_SIZE);
}

export function addToHistory(query: string): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(withQuery(loadHistory(), query)));
  } catch {
    // Storage full or disabled (private mode): history is a convenience, running the query matters.
  }
}
