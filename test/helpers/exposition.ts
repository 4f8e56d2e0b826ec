/** Reading Prometheus' text exposition format (what a /metrics endpoint answers) in tests. */

export interface ExposedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;

/** Every sample line; throws on a line that is not one (so a malformed exposition fails the test). */
export function parseExposition(text: string): ExposedSample[] {
  const out: ExposedSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    let l: RegExpExecArray | null;
    let end = 0;
    while ((l = LABEL.exec(body)) !== null) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
      end = LABEL.lastIndex;
    }
    if (end !== body.length) throw new Error(`bad labels in exposition line: ${line}`);
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The samples of one metric whose labels include `match`. */
export function samplesOf(samples: ExposedSample[], name: string, match: Record<string, string> = {}): ExposedSample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
