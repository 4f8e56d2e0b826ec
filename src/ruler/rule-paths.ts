/**
 * Every on-disk name of the API-managed rule storage, in one place:
 *
 *   <data>/rules/<tenant>/<namespace>.yaml      one Prometheus rule file (`groups: [...]`) per namespace
 *   <data>/rules/<tenant>/<namespace>.yaml.tmp  a write that a crash interrupted (removed at start)
 *   <data>/rules/<tenant>/<namespace>.yaml.damaged-<time>  a file that did not parse, moved aside
 *
 * Tenant ids come from X-Scope-OrgID and namespace names from a URL, so neither is ever used as a
 * path directly: `encodeName` keeps letters, digits and `_ - . ! * ' ( )` (so ordinary names stay
 * readable), writes every other UTF-8 byte as `%HH`, and escapes a leading `.` (so `.`, `..` and
 * hidden names cannot occur). The mapping is reversible (`decodeName`), which lets the store list
 * tenants and namespaces from the directory alone. Names whose encoding is longer than
 * MAX_ENCODED_NAME are refused: with the suffixes above the file name stays under the 255 bytes
 * that Linux filesystems allow.
 */
import { join } from 'node:path';

export const RULES_DIR = 'rules';
export const RULE_FILE_SUFFIX = '.yaml';
/** Longest encoded tenant or namespace (255 minus room for `.yaml.damaged-<ISO time>`). */
export const MAX_ENCODED_NAME = 200;

function isKept(b: number, first: boolean): boolean {
  if ((b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)) return true;
  // _ - ! * ' ( ) anywhere; '.' anywhere but first.
  return b === 95 || b === 45 || b === 33 || b === 42 || b === 39 || b === 40 || b === 41 || (b === 46 && !first);
}

/** A name as one safe path component; '' for the empty name (which callers refuse). */
export function encodeName(name: string): string {
  let out = '';
  let first = true;
  for (const b of Buffer.from(name, 'utf8')) {
    out += isKept(b, first) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
    first = false;
  }
  return out;
}

/** The name `encodeName` made `component` from, or undefined when it is not such an encoding. */
export function decodeName(component: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < component.length; i++) {
    if (component[i] === '%') {
      const hex = component.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(component.charCodeAt(i));
  }
  const name = Buffer.from(bytes).toString('utf8');
  // Only the canonical encoding counts (no lone surrogates, no needless escapes, valid UTF-8).
  return name !== '' && encodeName(name) === component ? name : undefined;
}

export function rulesRoot(dataDir: string): string {
  return join(dataDir, RULES_DIR);
}

export function tenantRulesDir(dataDir: string, tenant: string): string {
  return join(rulesRoot(dataDir), encodeName(tenant));
}

export function namespaceFile(dataDir: string, tenant: string, namespace: string): string {
  return join(tenantRulesDir(dataDir, tenant), encodeName(namespace) + RULE_FILE_SUFFIX);
}


/**
 * Refuses a namespace or group name the API cannot serve: empty, `.` or `..` (URL normalisation in
 * clients and proxies turns those path segments into another resource), or a namespace too long for
 * a file name. Returns the problem, or undefined when the name is fine.
 */
export function nameProblem(kind: 'namespace' | 'group', name: string): string | undefined {
  if (name === '') return `${kind} name must not be empty`;
  if (name === '.' || name === '..') return `invalid ${kind} name "${name}"`;
  if (kind === 'namespace' && encodeName(name).length > MAX_ENCODED_NAME) {
    return `namespace name too long: at most ${MAX_ENCODED_NAME} bytes once escaped (letters, digits and _-.!*'() count 1, other bytes 3)`;
  }
  return undefined;
}
