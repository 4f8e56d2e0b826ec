/**
 * Which characters to underline for the server's parse error at a 1-based line and column: the token
 * there (a word, a quoted string, or one character), or the last character when the error is at the
 * end (an unexpected end of the query). Pure, for unit tests.
 */
import type { Text } from '@codemirror/state';

/** The range to underline for a 1-based line and column: the token there, at least one character. */
export function errorRange(doc: Text, at: { line: number; col: number }): { from: number; to: number } | undefined {
  if (doc.length === 0) return undefined;
  const line = doc.line(Math.min(Math.max(at.line, 1), doc.lines));
  const from = Math.min(line.from + Math.max(at.col, 1) - 1, line.to);
  const text = line.text;
  let i = from - line.from;
  if (i >= text.length) {
    // At the end (an unexpected end of the query): underline the last character written before it.
    let end = from;
    while (end > 0 && /\s/.test(doc.sliceString(end - 1, end))) end--;
    return end > 0 ? { from: end - 1, to: end } : { from, to: Math.min(from + 1, doc.length) };
  }
  const c = text[i]!;
  if (/[A-Za-z0-9_]/.test(c)) while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
  else if (c === '"' || c === '`') {
    i++;
    while (i < text.length && text[i] !== c) i += text[i] === '\\' && c === '"' ? 2 : 1;
    i = Math.min(i + 1, text.length);
  } else i++;
  return { from, to: line.from + i };
}
