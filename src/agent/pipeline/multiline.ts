/**
 * Multiline joining (issue #4 §3): stack traces and other entries written as several lines become one
 * entry. A line matching the rule's `first_line` starts a new entry; any other line is appended to
 * the pending one with "\n". The pending entry keeps the timestamp of its first line and is emitted
 * when the next first line arrives, when it holds `max_lines` lines (or would exceed the byte cap),
 * when `max_wait` passes without another line, or on flush (drain, shutdown).
 *
 * One joiner per final stream and per runtime stream (stdout, stderr), so interleaved stderr lines
 * never land inside a stdout stack trace.
 */
import type { Labels } from '../../api/model.js';
import type { AgentConfig } from '../../config/agent.js';
import { parseDurationMs } from '../../config/duration.js';
import type { Re2 } from '../../logql/regex.js';
import { compileLineRegex, compileSelector, configError } from './selector.js';

export type MultilineRuleConfig = AgentConfig['pipeline']['multiline'][number];

export interface MultilineRule {
  appliesTo(labels: Labels): boolean;
  firstLine: Re2;
  maxWaitMs: number;
  maxLines: number;
}

export function compileMultilineRules(rules: readonly MultilineRuleConfig[]): MultilineRule[] {
  return rules.map((r, i) => {
    const where = `pipeline.multiline[${i}]`;
    if (typeof r.first_line !== 'string' || r.first_line === '') throw configError(`${where}.first_line: a regex is required`);
    let maxWaitMs: number;
    try {
      maxWaitMs = parseDurationMs(r.max_wait ?? '3s');
    } catch (e) {
      throw configError(`${where}.max_wait: ${(e as Error).message}`);
    }
    const maxLines = r.max_lines ?? 500;
    if (!Number.isInteger(maxLines) || maxLines < 1) throw configError(`${where}.max_lines: must be a positive integer`);
    return {
      appliesTo: compileSelector(r.selector ?? '{}', `${where}.selector`),
      firstLine: compileLineRegex(r.first_line, `${where}.first_line`),
      maxWaitMs,
      maxLines,
    };
  });
}

/** Receives each joined entry: its first line's timestamp, the text, and how many lines it holds. */
export type EmitJoined = (ts: bigint, text: string, lines: number) => void;

export class MultilineJoiner {
  private readonly rule: MultilineRule;
  private readonly maxBytes: number;
  private ts = 0n;
  private parts: string[] = [];
  private bytes = 0;
  private lastAt = 0;

  constructor(rule: MultilineRule, maxBytes: number) {
    this.rule = rule;
    this.maxBytes = maxBytes;
  }

  get pending(): boolean {
    return this.parts.length > 0;
  }

  /** When the pending entry is due (ms epoch), or undefined when nothing is pending. */
  get deadline(): number | undefined {
    return this.parts.length > 0 ? this.lastAt + this.rule.maxWaitMs : undefined;
  }

  push(ts: bigint, line: string, now: number, emit: EmitJoined): void {
    const bytes = Buffer.byteLength(line);
    if (this.parts.length > 0) {
      const full = this.parts.length >= this.rule.maxLines || this.bytes + 1 + bytes > this.maxBytes;
      if (full || this.rule.firstLine.test(line)) this.flush(emit);
    }
    if (this.parts.length === 0) {
      this.ts = ts;
      this.bytes = bytes;
    } else {
      this.bytes += 1 + bytes;
    }
    this.parts.push(line);
    this.lastAt = now;
  }

  /** Emits the pending entry when `max_wait` has passed since its last line. */
  expire(now: number, emit: EmitJoined): void {
    const d = this.deadline;
    if (d !== undefined && now >= d) this.flush(emit);
  }

  /** Takes over another joiner's pending entry (the stream's labels changed mid-entry). */
  adopt(other: MultilineJoiner): void {
    this.ts = other.ts;
    this.parts = other.parts;
    this.bytes = other.bytes;
    this.lastAt = other.lastAt;
    other.parts = [];
    other.bytes = 0;
  }

  flush(emit: EmitJoined): void {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    emit(this.ts, parts.length === 1 ? parts[0]! : parts.join('\n'), parts.length);
  }
}
