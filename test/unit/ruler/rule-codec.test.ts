import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuleCodec, INLINE_FORMAT_RULES, INLINE_PARSE_BYTES } from '../../../src/ruler/rule-codec.js';
import { formatNamespacesYaml, formatRuleGroupYaml, parseRuleGroup } from '../../../src/rules/parse.js';
import { isLogwharfError } from '../../../src/api/errors.js';

function bigGroup(rules: number, name = 'big'): string {
  return `name: ${name}\nrules:\n` + Array.from({ length: rules }, (_, i) => `  - alert: A${i}\n    expr: sum(count_over_time({app="a${i}"} |= "ERROR" [1m])) > ${i}\n    for: 5m\n`).join('');
}

test('large inputs go through the worker thread and give what the parser and printer give inline', async (t) => {
  const codec = createRuleCodec({ maxRulesPerGroup: 10_000 });
  t.after(() => codec.close());
  const text = bigGroup(300);
  assert.ok(text.length > INLINE_PARSE_BYTES);
  const spec = await codec.parseGroup(text);
  assert.deepEqual(spec, parseRuleGroup(text));
  assert.ok(spec.rules.length > INLINE_FORMAT_RULES);
  assert.equal(await codec.formatGroup(spec), formatRuleGroupYaml(spec));
  const namespaces = new Map([['a/b', [spec]], ['__proto__', [spec]]]);
  const record = Object.create(null) as Record<string, typeof spec[]>;
  record['a/b'] = [spec];
  record['__proto__'] = [spec];
  assert.equal(await codec.formatNamespaces(namespaces), formatNamespacesYaml(record));
  const files = await codec.parseFile('groups:\n' + text.replace(/^/gm, '    ').replace(/^    name/, '  - name'));
  assert.deepEqual(files, [spec]);
});

test('an invalid large group is a 400 with the parser\'s message and problems, from the worker as inline', async (t) => {
  const codec = createRuleCodec({ maxRulesPerGroup: 10_000 });
  t.after(() => codec.close());
  for (const text of [bigGroup(300) + '  - alert: Broken\n    expr: sum(count_over_time({app="x"}[1m]) >\n', 'name: small\nrules:\n  - alert: Broken\n    expr: sum(\n']) {
    let inlineMessage = '';
    try {
      parseRuleGroup(text);
    } catch (e) {
      inlineMessage = (e as Error).message;
    }
    assert.notEqual(inlineMessage, '');
    await assert.rejects(codec.parseGroup(text), (e: unknown) => {
      assert.ok(isLogwharfError(e));
      assert.equal(e.status, 400);
      assert.equal(e.message, inlineMessage);
      const problems = e.details?.problems as Array<{ rule?: string; line?: number }>;
      assert.ok(Array.isArray(problems) && problems.length > 0);
      assert.equal(problems[0]!.rule, 'Broken');
      assert.equal(typeof problems[0]!.line, 'number');
      return true;
    });
  }
});

test('max_rules_per_group is applied by the parser', async (t) => {
  const codec = createRuleCodec({ maxRulesPerGroup: 10 });
  t.after(() => codec.close());
  await assert.rejects(codec.parseGroup(bigGroup(11)), (e: unknown) => isLogwharfError(e) && e.status === 400);
  assert.equal((await codec.parseGroup(bigGroup(10))).rules.length, 10);
});

test('a parse that takes too long is stopped and answered with a 400', async (t) => {
  const codec = createRuleCodec({ maxRulesPerGroup: 100_000, timeoutMs: 1 });
  t.after(() => codec.close());
  await assert.rejects(codec.parseGroup(bigGroup(3000)), /took longer than 0\.001s to process; split it into smaller groups/);
});
