/**
 * The one UTF-8 boundary scan: where to cut bytes so that no character is split. Readers cut
 * overlong lines and partial reads, ingest truncates lines, the joiner splits them; all of them
 * call this instead of their own loop over continuation bytes (10xxxxxx).
 */

/**
 * The largest cut ≤ `end` such that `buf[start, cut)` does not end inside a multi-byte character:
 * `end` itself when the bytes before it end a whole character, else the position of the lead byte
 * of the character that `end` would split (at most 3 bytes earlier, never before `start`).
 * Only bytes before `end` are read, so it works on data still being appended. Invalid sequences
 * (stray continuation bytes) are left whole: there is no character to protect.
 */
export function utf8Cut(buf: Uint8Array, start: number, end: number): number {
  let k = end - 1;
  while (k > start && end - k < 4 && (buf[k]! & 0xc0) === 0x80) k--;
  if (k < start) return end;
  const lead = buf[k]!;
  if (lead < 0xc0) return end; // ASCII, or a continuation byte with no lead in reach
  const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return k + len > end ? k : end;
}
