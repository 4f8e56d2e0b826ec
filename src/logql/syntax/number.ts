/** Number literals as Loki reads them (Go's strconv.ParseFloat) and prints them in messages. */
import { goQuote } from './duration.js';

/** Loki's strconv.ParseFloat rules for a NUMBER token; a string is the error. */
export function parseNumber(text: string): number | string {
  let v: number;
  if (/^0[xX]/.test(text)) {
    const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(text);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return `strconv.ParseFloat: parsing ${goQuote(text)}: invalid syntax`;
    const frac = m[2] ?? '';
    v = parseInt((m[1] || '0') + frac, 16) * Math.pow(2, Number(m[3]) - 4 * frac.length);
  } else {
    if (!/^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return `strconv.ParseFloat: parsing ${goQuote(text)}: invalid syntax`;
    v = Number(text);
  }
  if (!Number.isFinite(v)) return `strconv.ParseFloat: parsing ${goQuote(text)}: value out of range`;
  return v;
}

/** Go's %f. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}
