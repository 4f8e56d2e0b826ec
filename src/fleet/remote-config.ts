/**
 * Checking a remote configuration at write time (issue #13: "a config the agent would reject is
 * never offered"). A remote configuration is a YAML mapping in the agent's own format, laid by the
 * agent over its local file; what it may not change is refused here, and the rest must pass the
 * agent's schema (`agentConfigSchema`, its defaults filling what is absent) and compile its pipeline
 * rules (LogQL selectors, RE2 regexes) as the agent compiles them at start. Errors name the key and
 * its line (and YAML's own line and column for a syntax error).
 */
import { createHash } from 'node:crypto';
import { LogwharfError } from '../api/errors.js';
import { agentConfigSchema, type AgentConfig } from '../config/agent.js';
import { LOCAL_ONLY_KEYS as AGENT_LOCAL_ONLY_KEYS } from '../config/agent-remote.js';
import { parseYamlMappingWithLines, validateConfig, type LineOf } from '../config/file.js';
import { compileRe2 } from '../logql/regex.js';
import { parseMatchers } from '../logql/syntax/index.js';

/**
 * Keys the agent's local file keeps (one list, the agent's: src/config/agent-remote.ts): where its
 * state lives, its own listener, log level and host name, the buffer and the sources report, the
 * control plane's own settings (a bad remote value there could cut the agent off from the server
 * that would repair it) and every credential. A remote configuration that sets one is refused here,
 * rather than offered and quietly overridden by the agent. `client.url` may change.
 */
export const LOCAL_ONLY_KEYS: ReadonlyArray<{ path: readonly string[]; why: string }> = AGENT_LOCAL_ONLY_KEYS.map((key) => ({ path: key.split('.'), why: whyLocal(key) }));

function whyLocal(key: string): string {
  if (key === 'data') return 'the data directory (positions, buffer) stays in the local file';
  if (key === 'control') return "the control plane's settings stay in the local file (a bad value would cut the agent off from the server)";
  if (/^client\.|token|ca_file|socket/.test(key)) return 'credentials, TLS files and sockets stay in the local file';
  return "it belongs to the machine the agent runs on and stays in the local file";
}

/** Largest remote configuration accepted, in bytes (an agent's whole config is a few KiB). */
export const MAX_REMOTE_CONFIG_BYTES = 256 * 1024;

/** sha256 of the body as offered: the OpAMP config_hash agents report back. */
export function configHash(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** Validates a remote configuration's text; returns the agent configuration it makes over the defaults. */
export function checkRemoteConfig(body: string): AgentConfig {
  if (Buffer.byteLength(body, 'utf8') > MAX_REMOTE_CONFIG_BYTES) {
    throw new LogwharfError('payload_too_large', `remote configuration too large: ${Buffer.byteLength(body, 'utf8')} bytes, limit ${MAX_REMOTE_CONFIG_BYTES}`);
  }
  const what = 'the remote configuration';
  const { value, lineOf } = parseYamlMappingWithLines(body, what);
  for (const { path, why } of LOCAL_ONLY_KEYS) {
    if (has(value, path)) throw refuse(`${at(lineOf, path)}${path.join('.')}: a remote configuration may not set this key (${why})`);
  }
  const cfg = validateConfig(agentConfigSchema, value, what, lineOf);
  checkPipeline(cfg, lineOf);
  return cfg;
}

function has(v: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = v;
  for (const k of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, k)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  return true;
}

function at(lineOf: LineOf, path: ReadonlyArray<PropertyKey>): string {
  const line = lineOf(path);
  return line === undefined ? '' : `line ${line}: `;
}

function refuse(msg: string): LogwharfError {
  return new LogwharfError('bad_request', `invalid remote configuration: ${msg}`);
}

// A matcher every stream passes: the agent accepts selectors LogQL refuses in queries (`{}`,
// `{level=""}`), since they only test one stream's labels; so the check adds one, as the agent does.
const ANY = '__logwharf_any__="1"';

/** The pipeline rules compiled as the agent compiles them at start, so a bad regex is refused here, not there. */
function checkPipeline(cfg: AgentConfig, lineOf: LineOf): void {
  const selector = (text: string, path: PropertyKey[]) => {
    const t = text.trim();
    try {
      parseMatchers(/^\{\s*\}$/.test(t) ? `{${ANY}}` : t.replace(/^\{/, `{${ANY}, `));
    } catch (e) {
      throw refuse(`${at(lineOf, path)}${path.join('.')}: ${(e as Error).message} (in ${JSON.stringify(text)})`);
    }
  };
  const regex = (pattern: string, path: PropertyKey[], anchored = false) => {
    try {
      compileRe2(pattern, anchored ? { anchored: true, dotAll: true } : {});
    } catch (e) {
      throw refuse(`${at(lineOf, path)}${path.join('.')}: ${(e as Error).message}`);
    }
  };
  const p = cfg.pipeline;
  p.drop.forEach((r, i) => {
    if (r.selector !== undefined) selector(r.selector, ['pipeline', 'drop', i, 'selector']);
    if (r.line !== undefined) regex(r.line, ['pipeline', 'drop', i, 'line']);
  });
  p.multiline.forEach((r, i) => {
    selector(r.selector, ['pipeline', 'multiline', i, 'selector']);
    regex(r.first_line, ['pipeline', 'multiline', i, 'first_line']);
  });
  p.timestamp.forEach((r, i) => selector(r.selector, ['pipeline', 'timestamp', i, 'selector']));
  p.relabel.forEach((r, i) => regex(r.regex, ['pipeline', 'relabel', i, 'regex'], true));
}
