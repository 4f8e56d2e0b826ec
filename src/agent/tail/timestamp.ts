/**
 * Runtime timestamps (Docker json-file `time`, the CRI prefix) to nanoseconds, fast: consecutive
 * lines almost always share their second, so the second is parsed once and only the fraction per
 * line. Anything that is not the common `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z` shape goes through the
 * full RFC3339 parser.
 */
import { parseRfc3339Nano } from '../../api/timestamp.js';

const DIGIT_0 = 48;

/** A parser with a one-entry cache of the last second seen; one per reader. */
export type TimestampParser = (text: string) => bigint | undefined;

export function createTimestampParser(): TimestampParser {
  let lastPrefix = '';
  let lastSecondsNs = 0n;
  return (text) => {
    const n = text.length;
    // 2026-01-02T03:04:05Z (20) up to 2026-01-02T03:04:05.123456789Z (30)
    if (n < 20 || n > 30 || text.charCodeAt(n - 1) !== 90 /* Z */ || text.charCodeAt(10) !== 84 /* T */) return parseRfc3339Nano(text);
    let secondsNs: bigint;
    if (text.startsWith(lastPrefix) && lastPrefix.length === 19) {
      secondsNs = lastSecondsNs;
    } else {
      const whole = parseRfc3339Nano(text.slice(0, 19) + 'Z');
      if (whole === undefined) return undefined;
      lastPrefix = text.slice(0, 19);
      lastSecondsNs = whole;
      secondsNs = whole;
    }
    if (n === 20) return secondsNs;
    if (text.charCodeAt(19) !== 46 /* . */ || n === 21) return parseRfc3339Nano(text);
    let frac = 0;
    for (let i = 20; i < n - 1; i++) {
      const d = text.charCodeAt(i) - DIGIT_0;
      if (d < 0 || d > 9) return undefined;
      frac = frac * 10 + d;
    }
    for (let i = n - 1; i < 29; i++) frac *= 10;
    return secondsNs + BigInt(frac);
  };
}
