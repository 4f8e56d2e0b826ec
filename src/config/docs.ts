/**
 * Renders the configuration reference from the schema itself, so docs/configuration.md cannot drift
 * (architecture guide, rule 10). `npm run docs:config` writes it; a test fails when it is stale.
 */
import { z } from 'zod';
import { DURATION_PATTERN, serverConfigSchema } from './server.js';
import { agentConfigSchema } from './agent.js';
import { RUNTIME_CONFIG_EXAMPLE, tenantOverridesSchema } from './runtime-config.js';

interface Row {
  key: string;
  type: string;
  def: string;
  desc: string;
}

function unwrap(s: z.ZodType): { inner: z.ZodType; def?: unknown; optional: boolean } {
  let cur: z.ZodType = s;
  let def: unknown;
  let optional = false;
  for (;;) {
    if (cur instanceof z.ZodDefault) {
      def = (cur as z.ZodDefault<z.ZodType>).def.defaultValue;
      cur = (cur as z.ZodDefault<z.ZodType>).def.innerType as z.ZodType;
    } else if (cur instanceof z.ZodPrefault) {
      cur = (cur as z.ZodPrefault<z.ZodType>).def.innerType as z.ZodType;
    } else if (cur instanceof z.ZodOptional) {
      optional = true;
      cur = (cur as z.ZodOptional<z.ZodType>).def.innerType as z.ZodType;
    } else if (cur instanceof z.ZodPipe) {
      // z.preprocess(normalise, schema): the documented type is what it normalises to.
      cur = (cur as z.ZodPipe<z.ZodType, z.ZodType>).def.out;
    } else break;
  }
  return { inner: cur, def, optional };
}

function typeName(s: z.ZodType): string {
  if (s instanceof z.ZodString) return hasDurationCheck(s) ? 'duration' : 'string';
  if (s instanceof z.ZodNumber) return s.format === 'safeint' ? 'integer' : 'number';
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodEnum) return (s.options as string[]).join(' \\| ');
  if (s instanceof z.ZodArray) return `list of ${typeName(unwrap(s.element as z.ZodType).inner)}`;
  if (s instanceof z.ZodObject) return 'mapping';
  return 'value';
}

/** Durations are strings validated by DURATION_PATTERN (src/config/server.ts). */
function hasDurationCheck(s: z.ZodString): boolean {
  return (s.def.checks ?? []).some((c) => (c as unknown as { _zod: { def: { pattern?: RegExp } } })._zod.def.pattern === DURATION_PATTERN);
}

function walk(schema: z.ZodObject, prefix: string, rows: Row[]): void {
  for (const [name, field] of Object.entries(schema.shape)) {
    const f = field as z.ZodType;
    const { inner, def, optional } = unwrap(f);
    const key = prefix + name;
    const desc = f.description ?? inner.description ?? '';
    if (inner instanceof z.ZodObject) {
      rows.push({ key, type: 'mapping', def: '', desc });
      walk(inner, key + '.', rows);
      continue;
    }
    if (inner instanceof z.ZodArray && unwrap(inner.element as z.ZodType).inner instanceof z.ZodObject) {
      rows.push({ key, type: 'list', def: def === undefined ? '' : JSON.stringify(def), desc });
      walk(unwrap(inner.element as z.ZodType).inner as z.ZodObject, key + '[].', rows);
      continue;
    }
    rows.push({ key, type: typeName(inner), def: def === undefined ? (optional ? '(unset)' : '(required)') : JSON.stringify(def), desc });
  }
}

export function renderConfigDocs(): string {
  const rows: Row[] = [];
  walk(serverConfigSchema, '', rows);
  const agentRows: Row[] = [];
  walk(agentConfigSchema, '', agentRows);
  const overrideRows: Row[] = [];
  walk(tenantOverridesSchema, 'overrides.<tenant>.', overrideRows);
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/server.ts by `npm run docs:config`. Do not edit by hand. -->',
    '',
    'The server reads a YAML file (`--config FILE` or `LOGWHARF_CONFIG`), then the environment',
    '(`LOGWHARF_LISTEN`, `LOGWHARF_DATA`, `LOGWHARF_LOG_LEVEL`), then flags (`--listen`, `--data`,',
    '`--log-level`, `--auth-enabled`); later sources win. Unknown keys are an error that names the key.',
    'Durations use LogQL\'s syntax: `30s`, `15m`, `1h30m`, `7d`, `1w`.',
    '',
    '## Server',
    '',
    ...table(rows),
    '',
    '## Agent',
    '',
    'The agent (`logwharf agent`, and the agent inside `logwharf up`) reads its own YAML file',
    '(`--config FILE` or `LOGWHARF_AGENT_CONFIG`), then the environment (`LOGWHARF_SERVER`,',
    '`LOGWHARF_AGENT_DATA`, `LOGWHARF_LOG_LEVEL`, and `NODE_NAME` from the Kubernetes downward API),',
    'then flags (`--server`, `--data`, `--metrics-listen`, `--log-level`). Under `logwharf up` the',
    'file is `--agent-config`, `client.url` is the server itself and `data` is `<server data>/agent`.',
    'The pipeline stages are described in docs/agent-pipeline.md.',
    '',
    ...table(agentRows),
    '',
    '## Runtime config (per-tenant overrides)',
    '',
    'The file `runtime_config.file` names, in Loki\'s runtime-config format, reloaded when it changes',
    '(docs/security.md, "Per-tenant overrides"). Each tenant under `overrides` may set these keys; a key',
    'it does not set keeps the server\'s value. Unknown keys and bad values are an error naming the file,',
    'the line and the key: at start the server does not start; on a reload the overrides in force stay.',
    '',
    '```yaml',
    ...RUNTIME_CONFIG_EXAMPLE.trimEnd().split('\n'),
    '```',
    '',
    ...table(overrideRows),
    '',
  ];
  return lines.join('\n');
}

function table(rows: Row[]): string[] {
  return [
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| \`${r.key}\` | ${r.type} | ${r.def ? '`' + r.def + '`' : ''} | ${r.desc.replace(/\|/g, '\\|')} |`),
  ];
}
