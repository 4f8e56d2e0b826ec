/**
 * Label names found in log lines are sanitised the way Loki does for its parsers: surrounding
 * space trimmed, every character other than ASCII letters, digits and `_` becomes `_`, and a
 * leading digit gets a `_` prefix (only at the start of the full name).
 */
const cache = new Map<string, string>();
const CACHE_MAX = 4096;

function sanitizeUncached(key: string, isPrefix: boolean): string {
  const k = key.trim();
  if (k === '') return '';
  let out = '';
  // By code point, as Go maps runes.
  for (const ch of k) {
    const c = ch.charCodeAt(0);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
    out += ok ? ch : '_';
  }
  const c0 = out.charCodeAt(0);
  if (isPrefix && c0 >= 48 && c0 <= 57) out = '_' + out;
  return out;
}

const prefixCache = new Map<string, string>();

/** True when `key` needs no change: non-empty ASCII letters, digits and `_`, no leading digit. */
function alreadyValid(key: string, isPrefix: boolean): boolean {
  const n = key.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57 && (i > 0 || !isPrefix)))) return false;
  }
  return true;
}

/** Sanitises one key; `isPrefix` is true for the first segment of a (flattened) name. */
export function sanitizeLabelName(key: string, isPrefix = true): string {
  if (alreadyValid(key, isPrefix)) return key;
  const c = isPrefix ? prefixCache : cache;
  let v = c.get(key);
  if (v === undefined) {
    v = sanitizeUncached(key, isPrefix);
    if (c.size >= CACHE_MAX) c.clear();
    c.set(key, v);
  }
  return v;
}

/** Loki drops extracted values that contain the replacement character (invalid UTF-8 input). */
export function isUsableValue(v: string): boolean {
  return v.indexOf('\uFFFD') < 0;
}
