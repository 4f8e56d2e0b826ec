/**
 * Go values as the template engine sees them, and how Go prints them (fmt's %v).
 * string → string, int64 → bigint, float64 → number, bool → boolean, time.Time → GoTime,
 * a missing map key ("no value") → undefined, nil → null, slices and maps from fromJson → arrays
 * and plain objects.
 */
import { formatGoTimeString } from './gotime.js';

export class GoTime {
  /** Nanoseconds since the Unix epoch. */
  readonly ns: bigint;
  /** 'UTC', 'Local' or an IANA zone name. */
  readonly loc: string;
  constructor(ns: bigint, loc: string) {
    this.ns = ns;
    this.loc = loc;
  }
}

export type GoValue = string | bigint | number | boolean | GoTime | undefined | null | GoValue[] | { [k: string]: GoValue };

export class TemplateError extends Error {}

/** strconv.FormatFloat(f, 'g', -1, 64), which fmt's %v uses for float64: `1e+06`, `0.5`, `1.5e-05`. */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // Shortest round-trip digits (JS and Go agree); exponent form when exp < -4 or exp >= 6.
  const [mant, ex] = f.toExponential().split('e') as [string, string];
  const x = Number(ex);
  if (x < -4 || x >= 6) {
    const sign = ex.startsWith('-') ? '-' : '+';
    const digits = ex.replace(/^[+-]/, '');
    return `${mant}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
  }
  return String(f);
}

export function goPrint(v: GoValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatGoFloat(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return '<no value>';
    default:
      break;
  }
  if (v === null) return '<nil>';
  if (v instanceof GoTime) return formatGoTimeString(v);
  if (Array.isArray(v)) return '[' + v.map(goPrint).join(' ') + ']';
  const keys = Object.keys(v).sort();
  return 'map[' + keys.map((k) => `${k}:${goPrint(v[k])}`).join(' ') + ']';
}

export function goTypeName(v: GoValue): string {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return 'invalid';
    default:
      break;
  }
  if (v === null) return 'nil';
  if (v instanceof GoTime) return 'time.Time';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** Go template truthiness. */
export function truthy(v: GoValue): boolean {
  switch (typeof v) {
    case 'string':
      return v !== '';
    case 'bigint':
      return v !== 0n;
    case 'number':
      return v !== 0;
    case 'boolean':
      return v;
    case 'undefined':
      return false;
    default:
      break;
  }
  if (v === null) return false;
  if (v instanceof GoTime) return true;
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v).length > 0;
}

/** A string parameter: Go's reflection refuses anything else. */
export function asString(v: GoValue, fn: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined) throw new TemplateError(`error calling ${fn}: invalid value; expected string`);
  throw new TemplateError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

/** An int parameter. */
export function asInt(v: GoValue, fn: string): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (v === undefined) throw new TemplateError(`error calling ${fn}: invalid value; expected int`);
  throw new TemplateError(`wrong type for value; expected int; got ${goTypeName(v)}`);
}

/** spf13/cast ToInt64: numbers truncate, strings parse (base prefixes allowed), failures give 0. */
export function castInt(v: GoValue): bigint {
  switch (typeof v) {
    case 'bigint':
      return v;
    case 'number':
      return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    case 'boolean':
      return v ? 1n : 0n;
    case 'string': {
      // cast trims a ".0..." decimal part before parsing an integer.
      const s = v.replace(/\.0*$/, '');
      if (/^[+-]?\d+$/.test(s)) return BigInt(s);
      if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) return BigInt(s.startsWith('-') ? '-' + s.slice(1) : s.replace(/^\+/, ''));
      return 0n;
    }
    default:
      return 0n;
  }
}

/** spf13/cast ToFloat64. */
export function castFloat(v: GoValue): number {
  switch (typeof v) {
    case 'bigint':
      return Number(v);
    case 'number':
      return v;
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      const t = v.trim();
      if (t !== v || t === '') return 0;
      const n = Number(t);
      return Number.isNaN(n) && t.toLowerCase() !== 'nan' ? 0 : n;
    }
    default:
      return 0;
  }
}
