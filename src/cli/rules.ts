/**
 * `logwharf rules`: rule files offline (`lint`) and the ruler's rules through Loki's ruler API
 * (`list`, `get`, `delete`, `sync`), so the same commands manage logwharf and a real Loki; `test`
 * (the backtest) is in ./rules-test.ts.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { LokiClient } from '../api/client.js';
import { plural } from '../util/plural.js';
import { formatLintLine, formatNamespacesYaml, formatRuleFileYaml, formatRuleGroupYaml, lintRuleFile, parseNamespacesYaml, parseRuleGroup, RuleFileError, type RuleProblem } from '../rules/parse.js';
import type { RuleGroupSpec } from '../rules/model.js';
import { CLIENT_HELP, CLIENT_OPTIONS, clientFrom, parseCommand, type ClientFlags } from './common.js';
import { UsageError, write, type CliIO } from './io.js';
import { runRulesTest } from './rules-test.js';

export const RULES_USAGE = `Usage: logwharf rules <subcommand> [flags]

Alerting and recording rules in Prometheus' rule-file format with LogQL expressions, managed through
Loki's ruler API (so these work against a real Loki too).
  lint FILE...                 check rule files offline; prints FILE:LINE:COL: problem; exit 1 if any
  list [--output yaml]         every namespace and group on the server
  get NAMESPACE [GROUP]        a namespace as a rule file, or one group, as YAML
  delete NAMESPACE [GROUP]     delete a group, or a whole namespace
  sync DIR [--dry-run]         make the server's rules match DIR's <namespace>.yaml files: create,
                               update and delete groups (--dry-run prints the diff, changes nothing)
  test FILE --from T [--to T]  backtest: when each alerting rule would have been pending, firing and
                               resolved over a past range (see 'logwharf rules test --help')
${CLIENT_HELP}`;

export async function runRules(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'lint':
      return lint(rest, io);
    case 'list':
      return list(rest, io);
    case 'get':
      return get(rest, io);
    case 'delete':
      return del(rest, io);
    case 'sync':
      return sync(rest, io);
    case 'test':
      return runRulesTest(rest, io);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      await write(sub === undefined ? io.stderr : io.stdout, RULES_USAGE);
      return sub === undefined ? 2 : 0;
    default:
      throw new UsageError(`rules: unknown subcommand "${sub}" (want lint, list, get, delete, sync or test)`);
  }
}

interface LintedFile {
  file: string;
  groups: RuleGroupSpec[];
  problems: RuleProblem[];
}

function lintFile(file: string): LintedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { file, groups: [], problems: [{ message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  const r = lintRuleFile(text);
  // In file order, as an editor walks them.
  r.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { file, ...r };
}

/** Prints every problem of `files`; true when there were none. */
async function reportLint(files: LintedFile[], io: CliIO): Promise<boolean> {
  const lines = files.flatMap((f) => f.problems.map((p) => formatLintLine(f.file, p) + '\n'));
  if (lines.length > 0) await write(io.stdout, lines.join(''));
  return lines.length === 0;
}

function counts(files: LintedFile[]): string {
  const groups = files.reduce((n, f) => n + f.groups.length, 0);
  const rules = files.reduce((n, f) => n + f.groups.reduce((m, g) => m + g.rules.length, 0), 0);
  return `${plural(groups, 'group')}, ${plural(rules, 'rule')}`;
}

async function lint(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommand('rules lint', argv, { help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    await write(io.stdout, 'Usage: logwharf rules lint FILE...\n\nChecks rule files offline (YAML, fields, LogQL, templates, durations); prints each problem as\nFILE:LINE:COL: group "g" rule "r": reason, and exits 1 if there is any.\n');
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('rules lint: want at least one rule file');
  const files = positionals.map(lintFile);
  if (!(await reportLint(files, io))) {
    const n = files.reduce((k, f) => k + f.problems.length, 0);
    await write(io.stderr, `${plural(n, 'problem')} found\n`);
    return 1;
  }
  await write(io.stdout, `${counts(files)} OK\n`);
  return 0;
}

/** A client subcommand's flags: the connection flags plus its own; `client()` builds the client. */
function clientCommand<E extends Record<string, { type: 'string' } | { type: 'boolean' }>>(name: string, argv: string[], extra: E) {
  const parsed = parseCommand(`rules ${name}`, argv, { ...CLIENT_OPTIONS, ...extra });
  return { ...parsed, client: () => clientFrom(parsed.values as ClientFlags) };
}

/** The server's rules, parsed. */
async function remoteRules(client: LokiClient): Promise<Record<string, RuleGroupSpec[]>> {
  const text = await client.rulesYaml();
  try {
    return parseNamespacesYaml(text);
  } catch (e) {
    if (e instanceof RuleFileError) throw new Error(`the server's rules do not parse as rule groups:\n${e.message}`);
    throw e;
  }
}

async function list(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals, client } = clientCommand('list', argv, { output: { type: 'string' } } as const);
  if (v.help) {
    await write(io.stdout, `Usage: logwharf rules list [--output table|yaml]\n\nLists every namespace and group (table: namespace, group, rule count), or prints them all as YAML.\n${CLIENT_HELP}`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`rules list: takes no arguments (use 'rules get NAMESPACE' for one namespace)`);
  const output = v.output ?? 'table';
  if (output !== 'table' && output !== 'yaml') throw new UsageError(`--output: "${output}" is not one of table, yaml`);
  const all = await remoteRules(client());
  if (output === 'yaml') {
    await write(io.stdout, formatNamespacesYaml(all));
    return 0;
  }
  const rows: Array<[string, string, string]> = [];
  for (const ns of Object.keys(all).sort()) for (const g of all[ns]!) rows.push([ns, g.name, plural(g.rules.length, 'rule')]);
  const w0 = Math.max(0, ...rows.map((r) => r[0].length));
  const w1 = Math.max(0, ...rows.map((r) => r[1].length));
  await write(io.stdout, rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}\n`).join(''));
  return 0;
}

async function get(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals, client } = clientCommand('get', argv, {});
  if (v.help) {
    await write(io.stdout, `Usage: logwharf rules get NAMESPACE [GROUP]\n\nPrints a namespace as a rule file (groups: [...], what 'rules sync' and 'rules lint' read), or one group.\n${CLIENT_HELP}`);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('rules get: want NAMESPACE [GROUP]');
  const [ns, group] = positionals as [string, string | undefined];
  const text = await client().rulesYaml(ns, group);
  // Re-formatted in our field order; a body we cannot read is printed as the server sent it.
  try {
    if (group !== undefined) await write(io.stdout, formatRuleGroupYaml(parseRuleGroup(text)));
    else await write(io.stdout, formatRuleFileYaml(parseNamespacesYaml(text)[ns] ?? []));
  } catch (e) {
    if (!(e instanceof RuleFileError)) throw e;
    await write(io.stdout, text);
  }
  return 0;
}

async function del(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals, client } = clientCommand('delete', argv, {});
  if (v.help) {
    await write(io.stdout, `Usage: logwharf rules delete NAMESPACE [GROUP]\n\nDeletes one group, or every group of a namespace.\n${CLIENT_HELP}`);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('rules delete: want NAMESPACE [GROUP]');
  const [ns, group] = positionals as [string, string | undefined];
  await client().deleteRules(ns, group);
  await write(io.stdout, group !== undefined ? `deleted group ${ns}/${group}\n` : `deleted namespace ${ns}\n`);
  return 0;
}

/** The rule files of a directory: `<namespace>.yaml` (or `.yml`), in name order. */
function ruleFilesIn(dir: string): Array<{ namespace: string; file: string }> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`rules sync: ${dir} is not a directory`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`rules sync: cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => ({ namespace: basename(n, extname(n)), file: join(dir, n) }));
}

export interface RuleChange {
  op: '+' | '~' | '-';
  namespace: string;
  group: string;
  spec?: RuleGroupSpec;
}

/** What makes `remote` equal `local`: groups to create, to replace, and to delete. */
export function diffRules(local: Record<string, RuleGroupSpec[]>, remote: Record<string, RuleGroupSpec[]>): RuleChange[] {
  const changes: RuleChange[] = [];
  for (const ns of Object.keys(local).sort()) {
    const theirs = new Map((remote[ns] ?? []).map((g) => [g.name, g]));
    for (const g of local[ns]!) {
      const r = theirs.get(g.name);
      if (!r) changes.push({ op: '+', namespace: ns, group: g.name, spec: g });
      else if (formatRuleGroupYaml(r) !== formatRuleGroupYaml(g)) changes.push({ op: '~', namespace: ns, group: g.name, spec: g });
    }
  }
  for (const ns of Object.keys(remote).sort()) {
    const ours = new Set((local[ns] ?? []).map((g) => g.name));
    for (const g of remote[ns]!) if (!ours.has(g.name)) changes.push({ op: '-', namespace: ns, group: g.name });
  }
  return changes;
}

async function sync(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals, client } = clientCommand('sync', argv, { 'dry-run': { type: 'boolean' } } as const);
  if (v.help) {
    await write(
      io.stdout,
      `Usage: logwharf rules sync DIR [--dry-run]\n\nMakes the server's rules match DIR: each <namespace>.yaml there holds that namespace's groups\n(groups: [...]). Lints every file first (nothing changes if any has a problem), then creates and\nupdates the groups that differ and deletes the server's groups that DIR does not have, in any\nnamespace. Prints + created, ~ updated, - deleted; --dry-run prints that diff and changes nothing.\n${CLIENT_HELP}`,
    );
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('rules sync: want exactly one directory');
  const files = ruleFilesIn(positionals[0]!).map((f) => ({ ...f, ...lintFile(f.file) }));
  if (!(await reportLint(files, io))) {
    await write(io.stderr, 'rules sync: nothing changed: fix the problems above first\n');
    return 1;
  }
  const local: Record<string, RuleGroupSpec[]> = {};
  for (const f of files) local[f.namespace] = f.groups;
  const c = client();
  const changes = diffRules(local, await remoteRules(c));
  const show = (x: RuleChange) => `${x.op} ${x.namespace}/${x.group}\n`;
  if (changes.length === 0) {
    await write(io.stdout, `no changes (${counts(files)} in ${plural(files.length, 'namespace')})\n`);
    return 0;
  }
  if (v['dry-run']) {
    await write(io.stdout, changes.map(show).join(''));
    return 0;
  }
  // Creates and updates first: a group moving between namespaces is never missing from both.
  for (const x of changes.filter((y) => y.op !== '-')) {
    await c.setRuleGroup(x.namespace, formatRuleGroupYaml(x.spec!));
    await write(io.stdout, show(x));
  }
  for (const x of changes.filter((y) => y.op === '-')) {
    await c.deleteRules(x.namespace, x.group);
    await write(io.stdout, show(x));
  }
  const n = (op: RuleChange['op']) => changes.filter((x) => x.op === op).length;
  await write(io.stderr, `${n('+')} created, ${n('~')} updated, ${n('-')} deleted\n`);
  return 0;
}
