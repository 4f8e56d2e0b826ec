import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogwharfError } from '../../../src/api/errors.js';
import { AlertTemplate, expandLabelsAndAnnotations, expandTemplate, templateProblem, type AlertTemplateData } from '../../../src/rules/template.js';

const DATA: AlertTemplateData = {
  labels: { job: 'api', instance: 'web-1.example.com:9090' },
  value: 1234567,
  externalLabels: { cluster: 'eu-1' },
  externalURL: 'https://ruler.example.com/prefix',
};
const render = (t: string, data: AlertTemplateData = DATA) => new AlertTemplate(t).render(data);

test("Prometheus' variables and fields: $labels, .Labels, $value, .Value, $externalLabels, $externalURL", () => {
  assert.equal(render('{{ $labels.job }}/{{ .Labels.job }}'), 'api/api');
  // missingkey=zero over map[string]string, as Prometheus runs alert templates
  assert.equal(render('[{{ $labels.nope }}]'), '[]');
  assert.equal(render('{{ $value }} {{ .Value }}'), '1.234567e+06 1.234567e+06');
  assert.equal(render('{{ $value }}', { ...DATA, value: 5 }), '5');
  assert.equal(render('{{ $externalLabels.cluster }} {{ .ExternalLabels.cluster }}'), 'eu-1 eu-1');
  assert.equal(render('{{ $externalURL }}|{{ .ExternalURL }}'), 'https://ruler.example.com/prefix|https://ruler.example.com/prefix');
  assert.equal(render('{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}'), 'instance=web-1.example.com:9090;job=api;');
  assert.equal(render('{{ if gt $value 1000.0 }}big{{ else }}small{{ end }}'), 'big');
  assert.equal(render('{{ printf "%.2f" $value }}'), '1234567.00');
  assert.equal(render('{{ len $labels }} {{ index $labels "job" }} {{ eq $labels.job "api" }}'), '2 api true');
});

test('humanize family: the outputs Prometheus gives', () => {
  const cases: Array<[string, string]> = [
    ['{{ humanize 1234567 }}', '1.235M'],
    ['{{ humanize 1234567.0 }}', '1.235M'],
    ['{{ humanize 999 }}', '999'],
    ['{{ humanize 1000 }}', '1k'],
    ['{{ humanize 0.00123 }}', '1.23m'],
    ['{{ humanize 0 }}', '0'],
    ['{{ humanize -2500 }}', '-2.5k'],
    ['{{ humanize "1e9" }}', '1G'],
    ['{{ humanize "+Inf" }}', '+Inf'],
    ['{{ humanize "NaN" }}', 'NaN'],
    ['{{ humanize1024 1048576 }}', '1Mi'],
    ['{{ humanize1024 1536 }}', '1.5ki'],
    ['{{ humanize1024 0.5 }}', '0.5'],
    ['{{ humanizeDuration 3661 }}', '1h 1m 1s'],
    ['{{ humanizeDuration 90061 }}', '1d 1h 1m 1s'],
    ['{{ humanizeDuration 61.5 }}', '1m 1s'],
    ['{{ humanizeDuration 59.5 }}', '59.5s'],
    ['{{ humanizeDuration 0.0015 }}', '1.5ms'],
    ['{{ humanizeDuration 0 }}', '0s'],
    ['{{ humanizeDuration -3661 }}', '-1h 1m 1s'],
    ['{{ humanizePercentage 0.1234 }}', '12.34%'],
    ['{{ humanizePercentage 1 }}', '100%'],
    ['{{ humanizeTimestamp 1435065584.128 }}', '2015-06-23 13:19:44.128 +0000 UTC'],
    ['{{ toTime 1435065584 }}', '2015-06-23 13:19:44 +0000 UTC'],
    ['{{ $value | humanize }}', '1.235M'],
  ];
  for (const [t, want] of cases) assert.equal(render(t), want, t);
  assert.throws(() => render('{{ humanize "abc" }}'), /humanize.*invalid syntax/);
  assert.throws(() => render('{{ humanize $labels }}'), /can't convert map\[string\]interface \{\} to float/);
});

test('string, regex, host and link functions', () => {
  assert.equal(render('{{ title "hello world" }} {{ toUpper "aB" }} {{ toLower "aB" }}'), 'Hello World AB ab');
  assert.equal(render('{{ match "^web-[0-9]" $labels.instance }} {{ match "^db" $labels.instance }}'), 'true false');
  // Prometheus' argument order: pattern, replacement, text; $1 expands the group
  assert.equal(render('{{ reReplaceAll "^([a-z]+)-(\\\\d+).*" "$2-$1" $labels.instance }}'), '1-web');
  assert.equal(render('{{ safeHtml "<b>" }}'), '<b>');
  assert.equal(render('{{ stripPort $labels.instance }}'), 'web-1.example.com');
  assert.equal(render('{{ stripPort "[::1]:80" }} {{ stripPort "nohost" }}'), '::1 nohost');
  assert.equal(render('{{ stripDomain $labels.instance }}'), 'web-1:9090');
  assert.equal(render('{{ stripDomain "web-1.example.com" }} {{ stripDomain "10.0.0.1:80" }}'), 'web-1 10.0.0.1:80');
  assert.equal(render('{{ parseDuration "1m30s" }} {{ parseDuration "250ms" }}'), '90 0.25');
  assert.throws(() => render('{{ parseDuration "5x" }}'), /unknown unit "x"/);
  assert.equal(render('{{ graphLink "up > 1" }}'), '/graph?g0.expr=up+%3E+1&g0.tab=0');
  assert.equal(render('{{ tableLink "up" }}'), '/graph?g0.expr=up&g0.tab=1');
  assert.equal(render('{{ externalURL }} {{ pathPrefix }}'), 'https://ruler.example.com/prefix /prefix');
  assert.equal(render('{{ with args 1 "two" }}{{ .arg0 }}-{{ .arg1 }}{{ end }}'), '1-two');
  assert.equal(render('{{ urlquery "a b" }} {{ html "<a>" }}'), 'a+b &lt;a&gt;');
});

test('compile errors name the reason: unknown function, query, syntax', () => {
  assert.throws(() => new AlertTemplate('{{ foo 1 }}'), (e: unknown) => e instanceof LogwharfError && /function "foo" not defined/.test(e.message) && e.message.includes('"{{ foo 1 }}"'));
  assert.throws(() => new AlertTemplate('{{ query "up" }}'), /function "query" is not supported in alert templates/);
  assert.throws(() => new AlertTemplate('{{ if $value }}x'), /missing \{\{end\}\}/);
  // line_format's functions are not Prometheus': not offered here
  assert.throws(() => new AlertTemplate('{{ __line__ }}'), /function "__line__" not defined/);
  assert.equal(templateProblem('plain text'), undefined);
  assert.equal(templateProblem('{{ $labels.job }}'), undefined);
  assert.match(templateProblem('{{ nope }}')!, /function "nope" not defined/);
});

test('expandTemplate renders a failing template as Prometheus does', () => {
  assert.equal(expandTemplate('{{ $labels.job }} down', DATA, 'X'), 'api down');
  assert.equal(
    expandTemplate('{{ index $value 1 }}', DATA, 'HighErrors'),
    "<error expanding template: error executing template __alert_HighErrors: error calling index: can't index item of type float64>",
  );
  assert.match(expandTemplate('{{ nope }}', DATA, 'X'), /^<error expanding template: error parsing template __alert_X: invalid template: function "nope" not defined/);
});

test('expandLabelsAndAnnotations: series labels + rendered rule labels + alertname; annotations against the series labels', () => {
  const r = expandLabelsAndAnnotations(
    {
      name: 'HighErrors',
      labels: { severity: 'page', team: '{{ $labels.job }}-team', job: 'overridden', empty: '{{ $labels.nope }}' },
      annotations: { summary: '{{ $labels.job }}: {{ $value | humanize }} errors ({{ $labels.severity }})', bad: '{{ index 1 2 }}' },
    },
    { labels: { job: 'api', __name__: 'x' }, value: 1500 },
    { externalLabels: {}, externalURL: '' },
  );
  assert.deepEqual(r.labels, { job: 'overridden', severity: 'page', team: 'api-team', alertname: 'HighErrors' });
  // $labels in annotations are the series' labels (Prometheus renders both against the series)
  assert.equal(r.annotations.summary, 'api: 1.5k errors ()');
  assert.match(r.annotations.bad!, /^<error expanding template: error executing template __alert_HighErrors: /);
});
