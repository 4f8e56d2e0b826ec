/**
 * Which part of the agent's configuration a remote configuration (issue #13, OpAMP) may set, and how
 * one is merged over the local file. The local file keeps what belongs to the machine and to the
 * agent's own safety: where its data lives, its listen address, its log level and host name, the
 * disk buffer, the sources report, the control plane itself, and every credential (client auth and
 * TLS, the Kubernetes API's token and CA, the Docker socket). Everything else — where logs are
 * shipped (client.url) and how, the pipeline, the discoveries, the readers' settings — may change
 * remotely, and the agent applies it hot.
 */
import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { agentConfigSchema, type AgentConfig } from './agent.js';
import { parseYamlMappingWithLines, validateConfig } from './file.js';

/** Key paths of the agent configuration that only the local file sets (a remote value is ignored). */
export const LOCAL_ONLY_KEYS: readonly string[] = [
  'data',
  'metrics_listen',
  'log_level',
  'host',
  'buffer',
  'report',
  'control',
  'client.basic_auth',
  'client.bearer_token',
  'client.bearer_token_file',
  'client.tls',
  'docker.socket',
  'kubernetes.node_name',
  'kubernetes.api_url',
  'kubernetes.token_file',
  'kubernetes.ca_file',
];

type Tree = Record<string, unknown>;

function getPath(t: Tree, path: string): unknown {
  let v: unknown = t;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Tree)[k] : undefined;
  return v;
}

function setPath(t: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = t;
  for (const k of keys.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k] as Tree;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete o[last];
  else o[last] = structuredClone(value);
}

/** The local-only keys whose values differ between two configurations. */
export function localOnlyChanges(a: AgentConfig, b: AgentConfig): string[] {
  return LOCAL_ONLY_KEYS.filter((k) => !sameValue(getPath(a, k), getPath(b, k)));
}

/** Equal as configuration: a key set to undefined and a missing key are the same. */
export function sameValue(a: unknown, b: unknown): boolean {
  const plain = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  return isDeepStrictEqual(plain(a), plain(b));
}

/** Local-only keys a remote configuration tried to set (they are ignored; the agent says so). */
export function localOnlyKeysIn(remote: Tree): string[] {
  return LOCAL_ONLY_KEYS.filter((k) => getPath(remote, k) !== undefined);
}

/** Mappings merge key by key; anything else (lists, scalars) in `over` replaces what `base` has. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (base === null || typeof base !== 'object' || Array.isArray(base) || over === null || typeof over !== 'object' || Array.isArray(over)) return structuredClone(over);
  const out: Tree = structuredClone(base as Tree);
  for (const [k, v] of Object.entries(over as Tree)) out[k] = deepMerge(out[k], v);
  return out;
}

/**
 * A remote configuration (YAML text, as OpAMP's AgentConfigFile carries it) merged over the local
 * configuration and validated with the agent's own schema. Local-only keys keep the local values,
 * whatever the remote text says. Throws a LogwharfError naming the first problem (bad YAML, a key
 * the schema does not know, a bad value) with its line.
 */
export function mergeRemoteConfig(local: AgentConfig, remoteYaml: string, name = 'remote configuration'): { config: AgentConfig; ignored: string[] } {
  const { value: remote, lineOf } = parseYamlMappingWithLines(remoteYaml, name);
  // Validated on its own first, so an error names the remote text's line, not the merged object.
  validateConfig(agentConfigSchema, remote, name, lineOf);
  const merged = deepMerge(local, remote) as Tree;
  for (const k of LOCAL_ONLY_KEYS) setPath(merged, k, getPath(local as unknown as Tree, k));
  const config = validateConfig(agentConfigSchema, merged, name);
  return { config, ignored: localOnlyKeysIn(remote) };
}

/**
 * The remotely changeable part of a configuration as YAML: what the agent reports as its effective
 * configuration (credentials and machine settings are not reported).
 */
export function remotePartYaml(config: AgentConfig): string {
  const t = structuredClone(config) as unknown as Tree;
  for (const k of LOCAL_ONLY_KEYS) setPath(t, k, undefined);
  return stringify(t);
}
