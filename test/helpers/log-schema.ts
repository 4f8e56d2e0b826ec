/**
 * The one checker of docs/log-schema.md, used for the JS logger's lines (src/kit/logger.ts), the
 * Python recipe's and our own: returns what is wrong with one line, field by field.
 */
import assert from 'node:assert/strict';
import { repeatedKeys } from './json-keys.js';

export const SCHEMA_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
/** RFC 3339 in UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

export interface SchemaExpect {
  /** The line must carry request_id, trace_id and span_id. */
  inContext?: boolean;
  /** The line must carry `version` and `env` (the kit's lines do when given; ours have no env). */
  versionAndEnv?: boolean;
  /** The line must carry `err`. */
  err?: boolean;
}

export function schemaProblems(text: string, expect: SchemaExpect = {}): string[] {
  const problems: string[] = [];
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    return [`not JSON: ${(e as Error).message}`];
  }
  if (typeof line !== 'object' || line === null || Array.isArray(line)) return ['not a JSON object'];
  for (const k of repeatedKeys(text)) problems.push(`key "${k}" repeated`);
  const str = (k: string) => typeof line[k] === 'string' && (line[k] as string).length > 0;
  if (!str('time') || !TIME.test(line.time as string) || Number.isNaN(Date.parse(line.time as string))) problems.push(`time ${JSON.stringify(line.time)} is not RFC 3339 UTC with milliseconds`);
  if (!(SCHEMA_LEVELS as readonly unknown[]).includes(line.level)) problems.push(`level ${JSON.stringify(line.level)} is not one of ${SCHEMA_LEVELS.join(', ')}`);
  if (!str('service')) problems.push('service missing');
  if (typeof line.msg !== 'string') problems.push('msg missing');
  if (expect.versionAndEnv) for (const k of ['version', 'env']) if (!str(k)) problems.push(`${k} missing`);
  const ids = ['request_id', 'trace_id', 'span_id'].filter((k) => k in line);
  if (expect.inContext && ids.length < 3) problems.push(`request context incomplete: has ${ids.join(', ') || 'none'}`);
  if ('request_id' in line && !str('request_id')) problems.push('request_id empty');
  if ('trace_id' in line && !TRACE_ID.test(String(line.trace_id))) problems.push(`trace_id ${JSON.stringify(line.trace_id)} is not 32 lower-case hex`);
  if ('span_id' in line && !SPAN_ID.test(String(line.span_id))) problems.push(`span_id ${JSON.stringify(line.span_id)} is not 16 lower-case hex`);
  if (expect.err && !('err' in line)) problems.push('err missing');
  if ('err' in line && typeof line.err === 'object') {
    const err = line.err as Record<string, unknown>;
    for (const k of ['type', 'message', 'stack']) if (typeof err[k] !== 'string') problems.push(`err.${k} missing`);
  } else if (expect.err) problems.push('err is not an object');
  return problems;
}

/** Asserts `text` is a schema line and returns it parsed. */
export function assertSchemaLine(text: string, expect: SchemaExpect = {}): Record<string, unknown> {
  assert.deepEqual(schemaProblems(text, expect), [], text);
  return JSON.parse(text) as Record<string, unknown>;
}
