/**
 * The per-entry state that pipeline stages read and change. One instance is reused for every
 * entry of a stream (processing is synchronous), so stages must not keep references to it.
 *
 * Labels are materialised lazily: a pipeline that only filters never copies the stream labels.
 * Label names come from user data (JSON keys, logfmt keys), so names like `__proto__` or
 * `constructor` must work: reads check `typeof === 'string'` (inherited members are never
 * strings) and `__proto__` is written with defineProperty.
 */
import type { Labels } from '../../api/model.js';

export const ERROR_LABEL = '__error__';
export const ERROR_DETAILS_LABEL = '__error_details__';
export const EXTRACTED_SUFFIX = '_extracted';

/** Loki's error values for `__error__`. */
export const ERR_JSON = 'JSONParserErr';
export const ERR_LOGFMT = 'LogfmtParserErr';
export const ERR_LABEL_FILTER = 'LabelFilterErr';
export const ERR_TEMPLATE = 'TemplateFormatErr';

export function getLabel(l: Labels, name: string): string | undefined {
  const v = l[name];
  return typeof v === 'string' ? v : undefined;
}

export function setLabel(l: Labels, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(l, name, { value, enumerable: true, writable: true, configurable: true });
  else l[name] = value;
}

function copyLabels(base: Labels, meta: Labels | undefined): Labels {
  // Not `{...base}`: measured 5x slower here, as entries then share the stream object's shape
  // and every parser key added afterwards walks a new map transition.
  const out: Labels = {};
  for (const k in base) if (Object.hasOwn(base, k)) setLabel(out, k, base[k]!);
  if (meta) for (const k in meta) if (Object.hasOwn(meta, k)) setLabel(out, k, meta[k]!);
  return out;
}

/** Stream labels with structured metadata added; the stream object itself when there is none. */
export function withMetadata(base: Labels, meta: Labels | undefined): Labels {
  return meta === undefined || isEmpty(meta) ? base : copyLabels(base, meta);
}

function isEmpty(o: Labels): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false;
  return true;
}

export class EntryState {
  ts = 0n;
  line = '';
  /** The stream labels (never modified). */
  base: Labels;
  meta: Labels | undefined = undefined;
  /**
   * The entry's own label set once a stage removed a label or asked for it; null while it is base +
   * meta + the labels set so far (`setNames`/`setValues`, in order). Parsers under hints set a few
   * labels per line; keeping them beside the stream labels instead of copying those per line is
   * what lets a grouped query read its grouping key without building a label set (issue #12).
   */
  labels: Labels | null = null;
  private readonly setNames: string[] = [];
  private readonly setValues: string[] = [];
  private setCount = 0;

  constructor(base: Labels) {
    this.base = base;
    this.keysOf = base;
    this.baseKeys = new Set(Object.keys(base));
  }

  reset(ts: bigint, line: string, meta: Labels | undefined): void {
    this.ts = ts;
    this.line = line;
    if (meta !== this.metaIn) {
      // Entries of a block share their metadata objects (the codec interns them): list the keys once.
      this.metaIn = meta;
      this.metaKeys = meta === undefined ? [] : Object.keys(meta);
    }
    this.meta = this.metaKeys.length === 0 ? undefined : meta;
    this.labels = null;
    this.setCount = 0;
    this.removedAny = false;
  }

  get(name: string): string | undefined {
    if (this.labels !== null) return getLabel(this.labels, name);
    for (let i = 0; i < this.setCount; i++) if (this.setNames[i] === name) return this.setValues[i];
    // Most names asked for are absent (`__error__` on every line): the key lists answer that
    // without a keyed lookup on label objects of many shapes, which was a measurable share of a
    // parsing query (issue #12).
    if (this.meta !== undefined) {
      const keys = this.metaKeys;
      for (let i = 0; i < keys.length; i++) if (keys[i] === name) return getLabel(this.meta, name);
    }
    if (this.base !== this.keysOf) return getLabel(this.base, name);
    return this.baseKeys.has(name) ? getLabel(this.base, name) : undefined;
  }

  /** The metadata object last given to reset, and its own keys. */
  private metaIn: Labels | undefined = undefined;
  private metaKeys: string[] = [];

  // Keyed lookups of absent names on the stream-labels object walk its prototype chain; a Set is
  // faster for the per-key collision check parsers make.
  private readonly baseKeys: Set<string>;
  /** The stream labels baseKeys lists (`base` may be replaced: the unwrap extractor's reused state). */
  private readonly keysOf: Labels;

  /** True when the stream labels have `name` (extracted labels then get the `_extracted` suffix). */
  baseHas(name: string): boolean {
    return this.baseKeys.has(name);
  }

  mut(): Labels {
    if (this.labels === null) {
      const l = copyLabels(this.base, this.meta);
      for (let i = 0; i < this.setCount; i++) setLabel(l, this.setNames[i]!, this.setValues[i]!);
      this.setCount = 0;
      this.labels = l;
    }
    return this.labels;
  }

  set(name: string, value: string): void {
    if (this.labels !== null) return setLabel(this.labels, name, value);
    const n = this.setCount;
    for (let i = 0; i < n; i++) {
      if (this.setNames[i] === name) {
        this.setValues[i] = value;
        return;
      }
    }
    // A parser without hints sets every key of the line: past a few, a label object is cheaper.
    if (n >= MAX_SET_BESIDE) return setLabel(this.mut(), name, value);
    this.setNames[n] = name;
    this.setValues[n] = value;
    this.setCount = n + 1;
  }

  del(name: string): void {
    if (this.get(name) === undefined) return;
    this.removedAny = true;
    delete this.mut()[name];
  }

  /** Set when a stage removed a label from this entry (see setExtracted). */
  removedAny = false;

  /**
   * Sets a label found by a parser: a name the stream already has gets `_extracted`, and a value
   * set before this parser ran (an earlier parser's, or metadata) is kept. A parser that passes
   * `own` (the names it set on this line, appended to here) replaces its own earlier value, so a
   * key repeated in one JSON document yields its last value, as Loki's `json` and JSON.parse do.
   */
  setExtracted(name: string, value: string, own?: string[]): void {
    // Fast path, one lookup: the name is free and cannot be a (since removed) stream label.
    if (this.get(name) === undefined && (!this.removedAny || !this.baseKeys.has(name))) {
      this.set(name, value);
      own?.push(name);
      return;
    }
    if (this.baseKeys.has(name)) name += EXTRACTED_SUFFIX;
    if (this.get(name) === undefined) {
      this.set(name, value);
      own?.push(name);
    } else if (own !== undefined && own.includes(name)) {
      // A repeated key: rare, so the linear search is only paid then.
      this.set(name, value);
    }
  }

  hasError(): boolean {
    return this.get(ERROR_LABEL) !== undefined;
  }

  /** Records a pipeline error; the first one is kept (Loki: "don't overwrite what might be a more useful error"). */
  setError(error: string, details?: string): void {
    if (this.hasError()) return;
    this.set(ERROR_LABEL, error);
    if (details !== undefined) this.set(ERROR_DETAILS_LABEL, details);
  }

  /** The labels to return: the entry's own set, or the stream labels (merged with metadata). */
  result(): Labels {
    if (this.labels !== null) return this.labels;
    if (this.setCount > 0) return this.mut();
    if (this.meta === undefined) return this.base;
    return copyLabels(this.base, this.meta);
  }
}

/** Labels an entry keeps beside the stream labels before it gets its own label object. */
const MAX_SET_BESIDE = 8;

/** A compiled stage: returns false to drop the entry. */
export type Stage = (s: EntryState) => boolean;
