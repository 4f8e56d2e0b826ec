/** Counts in messages: `plural(1, 'entry', 'entries')` → "1 entry", `plural(2, 'line')` → "2 lines". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
