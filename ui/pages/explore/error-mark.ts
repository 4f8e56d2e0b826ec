/**
 * The server's parse error underlined in the editor: a mark (class `cm-query-error`) from the reported
 * line and column to the end of the token there. It follows edits like any decoration and is replaced
 * when the next error (or none) arrives.
 */
import { StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, type DecorationSet } from '@codemirror/view';
import { errorRange } from './error-range.js';

export const setErrorAt = StateEffect.define<{ line: number; col: number } | undefined>();

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
