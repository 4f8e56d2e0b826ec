/**
 * The editor's completion: `completionContext` says what fits at the cursor, this turns it into
 * CodeMirror options (fetching label names and values through label-source.ts).
 */
import { startCompletion, type Completion, type CompletionContext as CmContext, type CompletionResult, type CompletionSource } from '@codemirror/autocomplete';
import type { EditorView } from '@codemirror/view';
import { AGGREGATIONS, GROUPING, LINE_FILTERS, OTHER_FUNCTIONS, PIPELINE_STAGES, RANGE_FUNCTIONS, completionContext } from './logql-completion.js';
import { labelNames, labelValues, type Range } from './label-source.js';

const WORD = /^[A-Za-z0-9_]*$/;

/** Escapes a label value for a double-quoted LogQL string (backquoted strings take it raw). */
function quoteValue(value: string, quote: '"' | '`'): string {
  return quote === '`' ? value : value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Inserts `name=""` with the cursor between the quotes, and offers the label's values right away. */
function applyLabelName(view: EditorView, c: Completion, from: number, to: number): void {
  const after = view.state.sliceDoc(to, to + 1);
  const insert = after === '=' || after === '!' ? c.label : `${c.label}=""`;
  const cursor = from + c.label.length + (insert === c.label ? 0 : 2);
  view.dispatch({ changes: { from, to, insert }, selection: { anchor: cursor }, userEvent: 'input.complete' });
  if (insert !== c.label) startCompletion(view);
}

/** Inserts `name()` (or `by ()`) with the cursor between the parentheses. */
function call(name: string, sep = ''): Completion['apply'] {
  return (view, _c, from, to) => {
    const insert = `${name}${sep}()`;
    view.dispatch({ changes: { from, to, insert }, selection: { anchor: from + insert.length - 1 }, userEvent: 'input.complete' });
  };
}

function lineFilter(op: string, pipeFrom: number): Completion {
  return {
    label: op,
    type: 'keyword',
    detail: 'line filter',
    apply: (view, _c, _from, to) => {
      view.dispatch({ changes: { from: pipeFrom, to, insert: `${op} ""` }, selection: { anchor: pipeFrom + op.length + 2 }, userEvent: 'input.complete' });
    },
  };
}

export function logqlCompletion(range: () => Range): CompletionSource {
  return async (ctx: CmContext): Promise<CompletionResult | null> => {
    const doc = ctx.state.doc.toString();
    const c = completionContext(doc, ctx.pos);
    switch (c.kind) {
      case 'label-name':
      case 'grouping-label': {
        const names = await labelNames(range(), c.selector).catch(() => [] as string[]);
        if (ctx.aborted) return null;
        const options: Completion[] = names.map((n) => (c.kind === 'label-name' ? { label: n, type: 'property', apply: applyLabelName } : { label: n, type: 'property' }));
        return { from: c.from, options, validFor: WORD };
      }
      case 'label-value': {
        const values = await labelValues(c.label, range(), c.selector).catch(() => [] as string[]);
        if (ctx.aborted) return null;
        return { from: c.from, options: values.map((v) => ({ label: v, type: 'text', apply: quoteValue(v, c.quote) })), validFor: /^[^"`]*$/ };
      }
      case 'pipeline':
        return {
          from: c.from,
          options: [
            ...PIPELINE_STAGES.map((s): Completion => ({ label: s, type: 'keyword', detail: 'stage' })),
            ...(c.from === ctx.pos ? LINE_FILTERS.map((op) => lineFilter(op, c.pipeFrom)) : []),
          ],
          validFor: WORD,
        };
      case 'function': {
        if (!ctx.explicit && c.from === ctx.pos && doc.trim() !== '' && !c.aggregation) return null;
        const options: Completion[] = c.aggregation
          ? GROUPING.map((g) => ({ label: g, type: 'keyword', apply: call(g, ' ') }))
          : [
              ...RANGE_FUNCTIONS.map((f): Completion => ({ label: f, type: 'function', detail: 'range', apply: call(f) })),
              ...AGGREGATIONS.map((f): Completion => ({ label: f, type: 'function', detail: 'aggregation', apply: call(f) })),
              ...OTHER_FUNCTIONS.map((f): Completion => ({ label: f, type: 'function', apply: call(f) })),
            ];
        return { from: c.from, options, validFor: WORD };
      }
      default:
        return null;
    }
  };
}
