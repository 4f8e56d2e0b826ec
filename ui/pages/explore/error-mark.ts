/**
 * The server's parse error underlined in the editor: a mark (class `cm-query-error`) from the reported
 * line and column to the end of the token there. It follows edits like any decoration and is replaced
 * when the next error (or none) arrives.
 */
import { StateEffect, StateField, type Text } from '@codemirror/state';
import { Decoration, EditorView, type DecorationSet } from '@codemirror/view';

export const setErrorAt = StateEffect.define<{ line: number; col: number } | undefined>();

/** The range to underline for a 1-based line and column: the token there, at least one character. */
export function errorRange(doc: Text, at: { line: number; col: number }): { from: number; to: number } | undefined {
  if (doc.length === 0) return undefined;
  const line = doc.line(Math.min(Math.max(at.line, 1), doc.lines));
  let from = Math.min(line.from + Math.max(at.col, 1) - 1, line.to);
  const text = line.text;
  let i = from - line.from;
  if (i >= text.length) {
    // The error is at the end of the line (an unexpected end): underline the last character.
    if (from === line.from) return from < doc.length ? { from, to: from + 1 } : { from: from - 1, to: from };
    return { from: from - 1, to: from };
  }
  const c = text[i]!;
  if (/[A-Za-z0-9_]/.test(c)) while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
  else if (c === '"' || c === '`') {
    i++;
    while (i < text.length && text[i] !== c) i += text[i] === '\\' && c === '"' ? 2 : 1;
    i = Math.min(i + 1, text.length);
  } else i++;
  from = Math.min(from, line.from + i - 1);
  return { from, to: line.from + i };
}

const mark = Decoration.mark({ class: 'cm-query-error' });

export const errorMark = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrorAt)) continue;
      const r = e.value && errorRange(tr.state.doc, e.value);
      deco = r ? Decoration.set([mark.range(r.from, r.to)]) : Decoration.none;
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});
