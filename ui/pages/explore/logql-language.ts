/**
 * LogQL for CodeMirror: Grafana's own grammar (@grafana/lezer-logql) with highlighting tags. Tokens get
 * stable `tok-*` classes (coloured in editor.css from the theme's variables), so the dark and light
 * themes both apply and tests can find them.
 */
import { HighlightStyle, LRLanguage, LanguageSupport, syntaxHighlighting } from '@codemirror/language';
import { styleTags, tags as t } from '@lezer/highlight';
import { parser } from '@grafana/lezer-logql';

const KEYWORDS =
  'Json Logfmt Unpack Pattern Regexp Unwrap LabelFormat LineFormat Decolorize Drop Keep Offset Bool On Ignoring GroupLeft GroupRight By Without BytesConv DurationConv DurationSecondsConv';
const FUNCTIONS =
  'Sum Avg Count Max Min Stddev Stdvar Bottomk Topk Sort Sort_Desc LabelReplace Vector CountOverTime Rate RateCounter BytesOverTime BytesRate AvgOverTime SumOverTime MinOverTime MaxOverTime StddevOverTime StdvarOverTime QuantileOverTime FirstOverTime LastOverTime AbsentOverTime';

export const logqlLanguage = LRLanguage.define({
  name: 'logql',
  parser: parser.configure({
    props: [
      styleTags({
        [KEYWORDS]: t.keyword,
        [FUNCTIONS]: t.function(t.variableName),
        'And Or Unless': t.logicOperator,
        'Matcher/Identifier Labels/Identifier GroupingLabel/Identifier LabelName Identifier': t.labelName,
        String: t.string,
        'Number Duration Bytes': t.number,
        'Eq Neq Re Nre Pipe PipeExact PipeMatch PipePattern Npa Gtr Gte Lss Lte Eql': t.operator,
        'Add Sub Mul Div Mod Pow': t.arithmeticOperator,
        LineComment: t.lineComment,
      }),
    ],
  }),
  languageData: { commentTokens: { line: '#' }, closeBrackets: { brackets: ['(', '[', '{', '"', '`'] } },
});

const highlight = HighlightStyle.define([
  { tag: t.keyword, class: 'tok-keyword' },
  { tag: t.function(t.variableName), class: 'tok-function' },
  { tag: t.logicOperator, class: 'tok-keyword' },
  { tag: t.labelName, class: 'tok-label' },
  { tag: t.string, class: 'tok-string' },
  { tag: t.number, class: 'tok-number' },
  { tag: [t.operator, t.arithmeticOperator], class: 'tok-operator' },
  { tag: t.lineComment, class: 'tok-comment' },
]);

export function logql(): LanguageSupport {
  return new LanguageSupport(logqlLanguage, [syntaxHighlighting(highlight)]);
}
