/**
 * Parsing a posted rule group without holding the server: YAML and LogQL parsing are synchronous
 * and a large group (max_body_bytes allows 16 MiB; 1 MiB of rules takes about half a second) would
 * stall every other request, so bodies above INLINE_PARSE_BYTES are parsed on a worker thread (one,
 * started on first use; rule writes are rare). A parse that runs past PARSE_TIMEOUT_MS has its
 * worker terminated and answers 400.
 */
import { LogwharfError } from '../api/errors.js';
import type { RuleGroupSpec } from '../rules/model.js';
import { parseRuleGroup } from '../rules/parse.js';
import { spawnModuleWorker } from '../util/spawn-worker.js';
import { createWorkerPool } from '../util/worker-pool.js';

/** Bodies up to this size parse in a few milliseconds: on the event loop, without a thread hop. */
export const INLINE_PARSE_BYTES = 32 * 1024;
export const PARSE_TIMEOUT_MS = 10_000;

export interface ParseJob {
  text: string;
  maxRulesPerGroup: number;
}

export type ParseReply = { ok: true; spec: RuleGroupSpec } | { ok: false; message: string; problems?: unknown };

export interface RuleGroupParser {
  /** The checked group, or a 400 naming the group, the rule and the reason. */
  parse(text: string): Promise<RuleGroupSpec>;
  close(): Promise<void>;
}

export function createRuleGroupParser(opts: { maxRulesPerGroup: number; timeoutMs?: number }): RuleGroupParser {
  const pool = createWorkerPool<ParseJob, ParseReply>({ size: 1, name: 'rule parse', spawn: () => spawnModuleWorker(import.meta.url, 'parse-worker') });
  const timeoutMs = opts.timeoutMs ?? PARSE_TIMEOUT_MS;
  return {
    async parse(text) {
      const job = { text, maxRulesPerGroup: opts.maxRulesPerGroup };
      let reply: ParseReply;
      if (text.length <= INLINE_PARSE_BYTES) reply = parseJob(job);
      else {
        try {
          reply = await pool.run(job, { signal: AbortSignal.timeout(timeoutMs) });
        } catch (e) {
          if ((e as Error).name === 'TimeoutError') {
            throw new LogwharfError('bad_request', `the rule group took longer than ${timeoutMs / 1000}s to parse; split it into smaller groups`);
          }
          throw e;
        }
      }
      if (reply.ok) return reply.spec;
      throw new LogwharfError('bad_request', reply.message, reply.problems !== undefined ? { problems: reply.problems } : undefined);
    },
    close: () => pool.close(),
  };
}

/** One parse, as a value (what the worker thread runs too). */
export function parseJob(job: ParseJob): ParseReply {
  try {
    return { ok: true, spec: parseRuleGroup(job.text, { maxRulesPerGroup: job.maxRulesPerGroup }) };
  } catch (e) {
    const problems = (e as { problems?: unknown }).problems;
    return { ok: false, message: e instanceof Error ? e.message : String(e), ...(problems !== undefined ? { problems } : {}) };
  }
}
