/** Go's %q for the plain text Loki echoes in its error messages (JSON's escapes agree for that text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
