/**
 * Runs the plain-text golden cases in test/golden/syntax/*.txt (all but crosscheck.txt):
 *
 *   # name
 *   query (one or more lines)
 *   ==>
 *   canonical print, or `error: <message>`
 *
 * Every accepted query must also round-trip: parsing its printed form gives the same tree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isLogwharfError } from '../../../../src/api/errors.js';
import { parseExpr, printExpr } from '../../../../src/logql/syntax/index.js';
import { stripPos } from './strip-pos.js';

const dir = fileURLToPath(new URL('../../../golden/syntax/', import.meta.url));

interface Case {
  file: string;
  line: number;
  name: string;
  query: string;
  expected: string;
}

function readCases(file: string): Case[] {
  const lines = readFileSync(dir + file, 'utf8').split('\n');
  const cases: Case[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (!l.startsWith('# ')) {
      assert.equal(l.trim(), '', `${file}:${i + 1}: expected a "# name" line`);
      i++;
      continue;
    }
    const start = i;
    const name = l.slice(2).trim();
    const query: string[] = [];
    i++;
    while (i < lines.length && lines[i] !== '==>') query.push(lines[i++]!);
    assert.ok(i < lines.length, `${file}:${start + 1}: missing ==>`);
    i++;
    const expected = lines[i++] ?? '';
    cases.push({ file, line: start + 1, name, query: query.join('\n'), expected });
  }
  return cases;
}

const files = readdirSync(dir).filter((f) => f.endsWith('.txt') && f !== 'crosscheck.txt');

for (const file of files) {
  const cases = readCases(file);
  test(`golden ${file}: ${cases.length} cases`, () => {
    const failures: string[] = [];
    for (const c of cases) {
      let actual: string;
      try {
        const e = parseExpr(c.query);
        actual = printExpr(e);
        const again = parseExpr(actual);
        assert.deepEqual(stripPos(again), stripPos(e), `${c.name}: round trip through ${actual}`);
      } catch (err) {
        if (!isLogwharfError(err)) throw err;
        assert.equal(err.code, 'parse_error');
        actual = `error: ${err.message}`;
      }
      if (actual !== c.expected) failures.push(`${file}:${c.line} ${c.name}\n  query:    ${c.query}\n  expected: ${c.expected}\n  actual:   ${actual}`);
    }
    assert.equal(failures.length, 0, failures.join('\n'));
  });
}
