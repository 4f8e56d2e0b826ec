/**
 * A line diff between two versions of a configuration, for `fleet history`: every line of the
 * longest common subsequence kept (` `), the others removed (`-`) or added (`+`), then only the
 * changed lines with up to two lines of context each (`@@` between hunks). Configurations are small;
 * past a bound on the table the diff is "all removed, all added", which is still true.
 */
const MAX_CELLS = 4_000_000;
const CONTEXT = 2;

export function lineDiff(before: string, after: string): string {
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = a.length * b.length > MAX_CELLS ? [...a.map((l) => '-' + l), ...b.map((l) => '+' + l)] : lcsOps(a, b);
  return withContext(ops);
}

function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function lcsOps(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  // lengths[i][j]: LCS of a[i..] and b[j..], in one flat array.
  const w = m + 1;
  const len = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * w + j] = a[i] === b[j] ? len[(i + 1) * w + j + 1]! + 1 : Math.max(len[(i + 1) * w + j]!, len[i * w + j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(' ' + a[i]);
      i++;
      j++;
    } else if (len[(i + 1) * w + j]! >= len[i * w + j + 1]!) out.push('-' + a[i++]);
    else out.push('+' + b[j++]);
  }
  while (i < n) out.push('-' + a[i++]);
  while (j < m) out.push('+' + b[j++]);
  return out;
}

function withContext(ops: string[]): string {
  const keep = new Uint8Array(ops.length);
  ops.forEach((op, k) => {
    if (op[0] === ' ') return;
    for (let x = Math.max(0, k - CONTEXT); x <= Math.min(ops.length - 1, k + CONTEXT); x++) keep[x] = 1;
  });
  let out = '';
  let gap = false;
  ops.forEach((op, k) => {
    if (!keep[k]) {
      gap = true;
      return;
    }
    if (gap && out !== '') out += '@@\n';
    gap = false;
    out += op + '\n';
  });
  return out;
}
