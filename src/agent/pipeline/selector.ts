/**
 * Stream selectors and line regexes in pipeline rules, compiled once when the agent starts, so a bad
 * rule stops the agent with a message naming it instead of failing at the first line.
 */
import { LogwharfError } from '../../api/errors.js';
import type { Labels } from '../../api/model.js';
import { compileMatchers } from '../../logql/matchers.js';
import { compileRe2, type Re2 } from '../../logql/regex.js';
import { ERR_NO_EQUALITY_MATCHER, parseMatchers } from '../../logql/syntax/index.js';

/** A configuration problem found while compiling the pipeline. */
export function configError(message: string): LogwharfError {
  return new LogwharfError('bad_request', `invalid agent pipeline configuration: ${message}`);
}

// A matcher that every stream passes, added so that selectors LogQL refuses in queries (`{}`,
// `{level=""}`: they would select every stream of a store) are accepted here, where they only
// test one stream's labels.
const ANY_NAME = '__logwharf_any__';

/** Compiles a LogQL stream selector into a test of a label set. `where` names the rule in errors. */
export function compileSelector(text: string, where: string): (labels: Labels) => boolean {
  const trimmed = text.trim();
  if (/^\{\s*\}$/.test(trimmed)) return () => true;
  let matchers;
  try {
    matchers = parseMatchers(trimmed);
  } catch (e) {
    const msg = (e as Error).message;
    if (!msg.includes(ERR_NO_EQUALITY_MATCHER)) throw configError(`${where}: ${msg} (in ${JSON.stringify(text)})`);
    try {
      matchers = parseMatchers(trimmed.replace(/^\{/, `{${ANY_NAME}="1", `)).filter((m) => m.name !== ANY_NAME);
    } catch (e2) {
      throw configError(`${where}: ${(e2 as Error).message} (in ${JSON.stringify(text)})`);
    }
  }
  return compileMatchers(matchers);
}

/** Compiles an unanchored RE2 line regex. */
export function compileLineRegex(pattern: string, where: string): Re2 {
  try {
    return compileRe2(pattern);
  } catch (e) {
    throw configError(`${where}: ${(e as Error).message}`);
  }
}
