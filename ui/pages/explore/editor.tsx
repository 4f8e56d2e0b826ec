/**
 * The LogQL editor: CodeMirror 6 with Grafana's LogQL grammar, completion, brackets closed as you type,
 * undo history, and the server's error underlined. Enter adds a line (queries may span lines);
 * Shift+Enter or Ctrl/Cmd+Enter runs the query.
 */
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder, drawSelection } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { logql } from './logql-language.js';
import { logqlCompletion } from './completion-source.js';
import { errorMark, setErrorAt } from './error-mark.js';
import type { Range } from './label-source.js';
import './editor.css';

export interface EditorProps {
  /** Text to show; a new object replaces the editor's text (even with the same string, e.g. after edits). */
  value: { text: string };
  onChange: (text: string) => void;
  onRun: (text: string) => void;
  /** Where the server says the query is wrong (1-based), or undefined. */
  errorAt?: { line: number; col: number } | undefined;
  /** The time range label completion asks about. */
  range: Range;
}

export function LogqlEditor({ value, onChange, onRun, errorAt, range }: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  // The view is created once; callbacks and the range are read through refs so they stay current.
  const latest = useRef({ onChange, onRun, range });
  latest.current = { onChange, onRun, range };

  useEffect(() => {
    const run = (v: EditorView) => (latest.current.onRun(v.state.doc.toString()), true);
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value.text,
        extensions: [
          history(),
          drawSelection(),
          closeBrackets(),
          autocompletion({ override: [logqlCompletion(() => latest.current.range)], icons: false }),
          keymap.of([
            { key: 'Shift-Enter', run, preventDefault: true },
            { key: 'Mod-Enter', run, preventDefault: true },
            ...closeBracketsKeymap,
            ...completionKeymap,
            ...historyKeymap,
            ...defaultKeymap,
          ]),
          logql(),
          errorMark,
          placeholder('Write a LogQL query, e.g. {service_name="api"} |= "error" — Shift+Enter runs it'),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': 'LogQL query', 'aria-multiline': 'true' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
  }, []);

  // The query changed from outside (a link, back/forward, a history pick, a filter button).
  useLayoutEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value.text) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value.text }, selection: { anchor: value.text.length } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: setErrorAt.of(errorAt) });
  }, [errorAt?.line, errorAt?.col]);

  return <div class="logql-editor" ref={host} />;
}
