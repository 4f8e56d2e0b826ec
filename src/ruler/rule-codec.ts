/**
 * Rule text work kept off the event loop. YAML and LogQL parsing and YAML printing are synchronous
 * and slow for big inputs (here: a 2,000-rule group, the default max_rules_per_group, takes about a
 * second to parse and a quarter of a second to print), so anything beyond a small size runs on a
 * worker thread (one, started on first use; rule writes and reads are rare), and the server keeps
 * answering meanwhile. Small inputs, the usual case, are handled inline without a thread hop. A
 * parse that runs past PARSE_TIMEOUT_MS has its worker terminated and answers 400.
 */
import { LogwharfError } from '../api/errors.js';
import type { RuleGroupSpec } from '../rules/model.js';
import { formatNamespacesYaml, formatRuleGroupYaml, parseRuleFile, parseRuleGroup } from '../rules/parse.js';
import { spawnModuleWorker } from '../util/spawn-worker.js';
import { createWorkerPool } from '../util/worker-pool.js';

/** Texts up to this size parse in about 15 ms: inline. */
export const INLINE_PARSE_BYTES = 4 * 1024;
/** Answers with up to this many rules print in about 10 ms: inline. */
export const INLINE_FORMAT_RULES = 50;
export const PARSE_TIMEOUT_MS = 10_000;

export type CodecJob =
  | { kind: 'group'; text: string; maxRulesPerGroup: number }
  | { kind: 'file'; text: string; maxRulesPerGroup: number }
  | { kind: 'formatGroup'; spec: RuleGroupSpec }
  | { kind: 'formatNamespaces'; namespaces: Array<[string, RuleGroupSpec[]]> };

/** Failures travel as values so the parser's `problems` cross the thread intact. */
export type CodecReply = { ok: true; value: unknown } | { ok: false; message: string; problems?: unknown };

export interface RuleCodec {
  /** One group as POSTed; a 400 naming the group, the rule and the reason when it is invalid. */
  parseGroup(text: string): Promise<RuleGroupSpec>;
  /** A rule file (`groups: [...]`); a 400 with every problem when it is invalid. */
  parseFile(text: string): Promise<RuleGroupSpec[]>;
  formatGroup(spec: RuleGroupSpec): Promise<string>;
  /** namespace → groups, as Loki's list answers. */
  formatNamespaces(namespaces: Map<string, RuleGroupSpec[]>): Promise<string>;
  close(): Promise<void>;
}

export function createRuleCodec(opts: { maxRulesPerGroup: number; timeoutMs?: number }): RuleCodec {
  const pool = createWorkerPool<CodecJob, CodecReply>({ size: 1, name: 'rule codec', spawn: () => spawnModuleWorker(import.meta.url, 'rule-codec-worker') });
  const timeoutMs = opts.timeoutMs ?? PARSE_TIMEOUT_MS;

  async function run(job: CodecJob, inline: boolean): Promise<unknown> {
    let reply: CodecReply;
    if (inline) reply = runCodecJob(job);
    else {
      try {
        reply = await pool.run(job, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (e) {
        if ((e as Error).name === 'TimeoutError') {
          throw new LogwharfError('bad_request', `the rule text took longer than ${timeoutMs / 1000}s to process; split it into smaller groups`);
        }
        throw e;
      }
    }
    if (reply.ok) return reply.value;
    throw new LogwharfError('bad_request', reply.message, reply.problems !== undefined ? { problems: reply.problems } : undefined);
  }

  const max = opts.maxRulesPerGroup;
  return {
    parseGroup: async (text) => (await run({ kind: 'group', text, maxRulesPerGroup: max }, text.length <= INLINE_PARSE_BYTES)) as RuleGroupSpec,
    parseFile: async (text) => (await run({ kind: 'file', text, maxRulesPerGroup: max }, text.length <= INLINE_PARSE_BYTES)) as RuleGroupSpec[],
    formatGroup: async (spec) => (await run({ kind: 'formatGroup', spec }, spec.rules.length <= INLINE_FORMAT_RULES)) as string,
    async formatNamespaces(namespaces) {
      let rules = 0;
      for (const groups of namespaces.values()) for (const g of groups) rules += g.rules.length;
      return (await run({ kind: 'formatNamespaces', namespaces: [...namespaces] }, rules <= INLINE_FORMAT_RULES)) as string;
    },
    close: () => pool.close(),
  };
}

/** One job, its failure as a value (what the worker thread runs too). */
export function runCodecJob(job: CodecJob): CodecReply {
  try {
    switch (job.kind) {
      case 'group':
        return { ok: true, value: parseRuleGroup(job.text, { maxRulesPerGroup: job.maxRulesPerGroup }) };
      case 'file':
        return { ok: true, value: parseRuleFile(job.text, { maxRulesPerGroup: job.maxRulesPerGroup }) };
      case 'formatGroup':
        return { ok: true, value: formatRuleGroupYaml(job.spec) };
      case 'formatNamespaces': {
        // No prototype: a namespace may be called __proto__.
        const record = Object.create(null) as Record<string, RuleGroupSpec[]>;
        for (const [ns, groups] of job.namespaces) record[ns] = groups;
        return { ok: true, value: formatNamespacesYaml(record) };
      }
    }
  } catch (e) {
    const problems = (e as { problems?: unknown }).problems;
    return { ok: false, message: e instanceof Error ? e.message : String(e), ...(problems !== undefined ? { problems } : {}) };
  }
}
