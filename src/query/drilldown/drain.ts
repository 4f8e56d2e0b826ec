/**
 * Log pattern mining with Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed Depth
 * Tree", ICWS 2017), as Loki's pattern ingester answers `/loki/api/v1/patterns`.
 *
 * A line is split into tokens; lines with the same token count descend a tree whose first levels
 * are keyed by the leading tokens (a token holding a digit, or one past a node's child limit, goes
 * to the wildcard child). At the leaf, the line joins the most similar cluster (share of equal
 * tokens at the same positions, counting only positions that can tell messages apart: see
 * `similarity`) when that share reaches the threshold, turning differing positions into `<_>`;
 * otherwise it starts a new cluster.
 *
 * Memory is bounded whatever the input: lines are cut at `maxLineLength` characters and
 * `maxTokens` tokens, tokens at `maxTokenLength`, each node has at most `maxChildren` + 1 children,
 * the tree has `depth` levels, a leaf holds at most `maxLeafClusters` clusters (its oldest is
 * evicted) and at most `maxClusters` clusters live at once (the least recently matched is evicted),
 * and empty branches are pruned. So a line costs at most maxLeafClusters × maxTokens comparisons.
 */

/** The placeholder for a variable token, as Loki prints it. */
export const PARAM = '<_>';

export interface DrainOptions {
  /**
   * Tree levels below the token-count level keyed by leading tokens. One by default: deeper trees
   * keep `user alice ...` and `user bob ...` apart until a node has maxChildren children, while
   * one level (plus the digit rule) merges them at once; maxLeafClusters bounds the cost per line.
   */
  depth: number;
  /** Score (see `similarity`) a line needs to join a cluster. */
  similarity: number;
  maxChildren: number;
  maxClusters: number;
  /** Clusters one leaf holds (each line is compared with all of them); the oldest goes first. */
  maxLeafClusters: number;
  maxTokens: number;
  maxTokenLength: number;
  maxLineLength: number;
}

export const DEFAULT_DRAIN_OPTIONS: DrainOptions = {
  depth: 1,
  similarity: 0.6,
  maxChildren: 64,
  maxClusters: 500,
  maxLeafClusters: 48,
  maxTokens: 80,
  maxTokenLength: 256,
  maxLineLength: 4096,
};

/** A key token (`key=`) glued to the value token that follows it: printed without a space. */
const GLUE = '\u0000';

export interface Cluster {
  id: number;
  tokens: string[];
  /** Lines matched. */
  size: number;
  /** Caller-owned data (counts per time bucket, ...). */
  data?: unknown;
}

interface LiveCluster extends Cluster {
  leaf: Node;
  /** Parent and key of each node from the root to the leaf, to prune empty branches on eviction. */
  path: Array<[Node, string]>;
}

interface Node {
  children: Map<string, Node>;
  /** Cluster ids, only at leaves. */
  clusters: number[];
}

function newNode(): Node {
  return { children: new Map(), clusters: [] };
}

function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** Keys whose values always vary (as Loki's logfmt tokenizer treats them): their value is `<_>` at once. */
const VARIABLE_KEY = /^(?:ts|time|timestamp|traceid|trace_id)=$/i;

/**
 * Splits a line on spaces; a `key=value` token becomes the key (`key=`, glued) and the value,
 * and a double-quoted value stays one token even with spaces inside, so `msg="a b"` varies as one
 * position. At most `maxTokens` tokens: the rest of the line becomes one `<_>`. A token longer than
 * `maxTokenLength`, and the last token of a line cut at `maxLineLength`, become `<_>`, so a printed
 * pattern still matches its lines as a LogQL pattern filter (`|> "..."`), which is how Logs
 * Drilldown uses it. Tokens are split on single spaces, as Loki's tokenizer does (two spaces make
 * an empty token), so the pattern keeps the line's spacing.
 */
export function tokenize(line: string, opts: Pick<DrainOptions, 'maxTokens' | 'maxTokenLength' | 'maxLineLength'> = DEFAULT_DRAIN_OPTIONS): string[] {
  const cut = line.length > opts.maxLineLength;
  const s = cut ? line.slice(0, opts.maxLineLength) : line;
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  const push = (t: string) => {
    out.push(t.length > opts.maxTokenLength ? PARAM : t);
  };
  for (;;) {
    if (out.length >= opts.maxTokens - 2 && i < n) {
      out.push(PARAM);
      break;
    }
    const start = i;
    let eq = -1;
    while (i < n && s.charCodeAt(i) !== 32) {
      if (eq < 0 && s.charCodeAt(i) === 61 && i > start) eq = i;
      if (eq >= 0 && i === eq + 1 && s.charCodeAt(i) === 34) {
        // key="quoted value": up to the closing unescaped quote.
        i++;
        while (i < n && s.charCodeAt(i) !== 34) i += s.charCodeAt(i) === 92 ? 2 : 1;
        i = Math.min(i + 1, n);
        continue;
      }
      i++;
    }
    if (eq > 0 && eq + 1 < i) {
      const key = s.slice(start, eq + 1);
      push(key + GLUE);
      push(VARIABLE_KEY.test(key) || key === 't=' ? PARAM : s.slice(eq + 1, i));
    } else push(s.slice(start, i));
    if (i >= n) break;
    i++; // the one space between tokens
  }
  if (cut && out.length > 0) out[out.length - 1] = PARAM;
  return out;
}

/** Prints tokens as a pattern: space-separated, except a `key=` glued to its value. */
export function printPattern(tokens: string[]): string {
  let s = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.endsWith(GLUE)) {
      s += t.slice(0, -1);
      continue;
    }
    s += t;
    if (i < tokens.length - 1) s += ' ';
  }
  return s;
}

export class Drain {
  readonly opts: DrainOptions;
  private readonly root = newNode();
  /** Live clusters in least-recently-matched-first order (Map keeps insertion order). */
  private readonly clusters = new Map<number, LiveCluster>();
  private nextId = 1;
  /** Clusters evicted to stay within maxClusters. */
  evicted = 0;

  constructor(opts: Partial<DrainOptions> = {}) {
    this.opts = { ...DEFAULT_DRAIN_OPTIONS, ...opts };
  }

  /** Adds a line; returns the cluster it joined or started. */
  train(line: string): Cluster {
    const tokens = tokenize(line, this.opts);
    const path = this.pathFor(tokens);
    const leaf = descend(path);
    let best: LiveCluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const id of leaf.clusters) {
      const c = this.clusters.get(id)!;
      const [sim, params] = similarity(c.tokens, tokens);
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = c;
        bestSim = sim;
        bestParams = params;
      }
    }
    if (best && bestSim >= this.opts.similarity) {
      const t = best.tokens;
      for (let i = 0; i < t.length; i++) if (t[i] !== tokens[i] && !isParam(t[i]!)) t[i] = generalise(t[i]!, tokens[i]!);
      best.size++;
      // Move to the most recently used end.
      this.clusters.delete(best.id);
      this.clusters.set(best.id, best);
      return best;
    }
    const c: LiveCluster = { id: this.nextId++, tokens, size: 1, leaf, path };
    this.clusters.set(c.id, c);
    leaf.clusters.push(c.id);
    if (leaf.clusters.length > this.opts.maxLeafClusters) this.evict(this.clusters.get(leaf.clusters[0]!)!);
    if (this.clusters.size > this.opts.maxClusters) this.evict(this.clusters.values().next().value!);
    return c;
  }

  /** Live clusters, most lines first. */
  list(): Cluster[] {
    return [...this.clusters.values()].sort((a, b) => b.size - a.size);
  }

  /** The number of live clusters (never above maxClusters). */
  get size(): number {
    return this.clusters.size;
  }

  private evict(c: LiveCluster): void {
    this.clusters.delete(c.id);
    const list = c.leaf.clusters;
    const at = list.indexOf(c.id);
    if (at >= 0) list.splice(at, 1);
    this.evicted++;
    // Drop the branch when nothing lives under it any more, so the tree stays as small as the clusters.
    for (let i = c.path.length - 1; i >= 0; i--) {
      const [parent, key] = c.path[i]!;
      const node = parent.children.get(key);
      if (!node || node.clusters.length > 0 || node.children.size > 0) break;
      parent.children.delete(key);
    }
  }

  /** The branch a line belongs to, as (parent, key) pairs; nodes are created by `descend`. */
  private pathFor(tokens: string[]): Array<[Node, string]> {
    const path: Array<[Node, string]> = [];
    let node = this.root;
    const step = (key: string) => {
      path.push([node, key]);
      node = child(node, key);
    };
    step(String(tokens.length));
    const levels = Math.min(this.opts.depth, tokens.length);
    for (let i = 0; i < levels; i++) {
      const t = tokens[i]!;
      const key = hasDigit(t) || isParam(t) ? PARAM : t;
      step(node.children.has(key) || node.children.size < this.opts.maxChildren ? key : PARAM);
    }
    return path;
  }
}

function descend(path: Array<[Node, string]>): Node {
  const [parent, key] = path[path.length - 1]!;
  return parent.children.get(key)!;
}

function child(node: Node, key: string): Node {
  let c = node.children.get(key);
  if (!c) node.children.set(key, (c = newNode()));
  return c;
}

function isParam(t: string): boolean {
  return t === PARAM || t === PARAM_KEY;
}

/** `<_>=`, glued: a key position that varies, so the pattern still prints `<_>=value`. */
const PARAM_KEY = PARAM + '=' + GLUE;

/** A differing position becomes `<_>` (or `<_>=` when both are keys). */
function generalise(a: string, b: string): string {
  return a.endsWith(GLUE) && b.endsWith(GLUE) ? PARAM_KEY : PARAM;
}

/**
 * How alike a line is to a template, 0–1, and the template's number of params (the tie-break).
 *
 * Only positions that can tell lines apart count: template params, and values that look variable
 * on either side (holding a digit — ids, numbers, times, as Drain's tree treats them — or a path or
 * URL) are skipped, and
 * a `key=` counts only when it differs. The score is the share of counted positions that are equal
 * (1 when none count). Counting every token, as classic Drain does, lets the shared keys of logfmt
 * lines outvote their messages, so `level=info msg="a"` and `level=info msg="b"` would merge.
 */
function looksVariable(t: string): boolean {
  return hasDigit(t) || t.charCodeAt(0) === 47 || t.includes('://');
}

function similarity(template: string[], tokens: string[]): [number, number] {
  let equal = 0;
  let counted = 0;
  let params = 0;
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    const u = tokens[i]!;
    if (isParam(t)) {
      params++;
      continue;
    }
    if (t.endsWith(GLUE)) {
      if (t !== u) counted++;
      continue;
    }
    if (looksVariable(t) || looksVariable(u)) continue;
    counted++;
    if (t === u) equal++;
  }
  return [counted === 0 ? 1 : equal / counted, params];
}
