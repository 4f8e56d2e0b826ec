/** Reading a YAML configuration file and turning schema errors into one clear message, for every role. */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parse as parseYaml, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { LogwharfError } from '../api/errors.js';

/** Reads a YAML mapping; a missing file, bad YAML or a non-mapping top level is a clear error. */
export function readYamlMapping(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LogwharfError('bad_request', `cannot read config file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    throw new LogwharfError('bad_request', `config file ${file} is not valid YAML: ${(e as Error).message}`);
  }
  if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    throw new LogwharfError('bad_request', `config file ${file} must be a YAML mapping at the top level`);
  }
  return (parsed as Record<string, unknown>) ?? {};
}

/** A key path in a parsed file → the 1-based line it is on, when the file has it. */
export type LineOf = (path: ReadonlyArray<PropertyKey>) => number | undefined;

/**
 * Parses YAML text that must be a mapping, keeping where each key is so that validation errors can
 * name the line (for files edited while the server runs: the runtime config). Errors as
 * readYamlMapping's, with YAML's own line and column.
 */
export function parseYamlMappingWithLines(text: string, file: string): { value: Record<string, unknown>; lineOf: LineOf } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    // YAML's message is its first line ("… at line 3, column 5:"); a code excerpt follows, which a log line does not need.
    throw new LogwharfError('bad_request', `config file ${file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`);
  }
  let parsed: unknown;
  try {
    parsed = doc.toJS();
  } catch (e) {
    // Aliases beyond yaml's limit (an expansion bomb), for example.
    throw new LogwharfError('bad_request', `config file ${file} is not valid YAML: ${(e as Error).message}`);
  }
  if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    throw new LogwharfError('bad_request', `config file ${file} must be a YAML mapping at the top level`);
  }
  const lineOf: LineOf = (path) => {
    let node: unknown = doc.contents;
    let at: number | undefined;
    for (const key of path) {
      if (isMap(node)) {
        // Keys are compared as text: `0:` is a number in YAML and the string "0" in the parsed value's path.
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key));
        if (!pair) break;
        const k = pair.key as YamlNode | undefined;
        if (k?.range) at = k.range[0];
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as YamlNode | undefined;
        if (!item) break;
        if (item.range) at = item.range[0];
        node = item;
      } else break;
    }
    return at === undefined ? undefined : lines.linePos(at).line;
  };
  return { value: (parsed as Record<string, unknown>) ?? {}, lineOf };
}

/**
 * Validates `raw` against a role's schema; every problem is named by its key path, and by its line
 * when `lineOf` is given (then each unknown key is an issue of its own, at its own line).
 */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, file: string | undefined, lineOf?: LineOf): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const where = file ? ` in ${file}` : '';
    const msgs = lineOf ? result.error.issues.flatMap((i) => issueLines(i, lineOf)) : result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new LogwharfError('bad_request', `invalid configuration${where}: ${msgs.join('; ')}`);
  }
  return result.data as z.infer<S>;
}

function issueLines(i: z.core.$ZodIssue, lineOf: LineOf): string[] {
  const at = (path: ReadonlyArray<PropertyKey>) => {
    const line = lineOf(path);
    return `${line === undefined ? '' : `line ${line}: `}${path.map(String).join('.') || '(top level)'}`;
  };
  if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${at([...i.path, k])}: unknown key`);
  // A required key that is absent has no line of its own: the line is its parent's, and it says so.
  if (i.code === 'invalid_type' && / received undefined$/.test(i.message)) return [`${at(i.path)}: missing (required)`];
  return [`${at(i.path)}: ${i.message}`];
}
