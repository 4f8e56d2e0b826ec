/** Reading a YAML configuration file and turning schema errors into one clear message, for every role. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
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

/** Validates `raw` against a role's schema; every problem is named by its key path. */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, file: string | undefined): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const where = file ? ` in ${file}` : '';
    const msgs = result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new LogwharfError('bad_request', `invalid configuration${where}: ${msgs.join('; ')}`);
  }
  return result.data as z.infer<S>;
}
