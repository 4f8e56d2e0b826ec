/**
 * Cross-check against Grafana's own LogQL grammar (@grafana/lezer-logql): for every query in
 * test/golden/syntax/crosscheck.txt, we accept it exactly when lezer parses it without an error
 * node. Lines starting with `!differ ` are the allow-list: cases where the two must disagree
 * (lezer skips Loki's semantic checks or lags behind Loki's lexer); the comment above each says why,
 * and the test asserts they still disagree so the list cannot go stale.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser } from '@grafana/lezer-logql';
import { parseExpr } from '../../../../src/logql/syntax/index.js';
import { isLogwharfError } from '../../../../src/api/errors.js';

const file = fileURLToPath(new URL('../../../golden/syntax/crosscheck.txt', import.meta.url));

function lezerAccepts(q: string): boolean {
  let ok = true;
  parser.parse(q).iterate({
    enter: (n) => {
      if (n.type.isError) ok = false;
    },
  });
  return ok;
}

function weAccept(q: string): boolean {
  try {
    parseExpr(q);
    return true;
  } catch (e) {
    if (!isLogwharfError(e)) throw e;
    return false;
  }
}

const entries = readFileSync(file, 'utf8')
  .split('\n')
  .map((l, i) => ({ line: i + 1, text: l }))
  .filter((e) => e.text.trim() !== '' && !e.text.startsWith('#'))
  .map((e) => (e.text.startsWith('!differ ') ? { ...e, query: e.text.slice(8), differ: true } : { ...e, query: e.text, differ: false }));

test(`crosscheck corpus has at least 300 queries (${entries.length})`, () => {
  assert.ok(entries.length >= 300);
  assert.ok(entries.some((e) => !lezerAccepts(e.query)), 'the corpus has rejected queries too');
});

test('we accept exactly what lezer-logql accepts, except the allow-list', () => {
  const bad: string[] = [];
  for (const e of entries) {
    const ours = weAccept(e.query);
    const theirs = lezerAccepts(e.query);
    if (e.differ && ours === theirs) bad.push(`line ${e.line}: allow-listed but both ${ours ? 'accept' : 'reject'}: ${e.query}`);
    if (!e.differ && ours !== theirs) bad.push(`line ${e.line}: we ${ours ? 'accept' : 'reject'}, lezer ${theirs ? 'accepts' : 'rejects'}: ${e.query}`);
  }
  assert.equal(bad.length, 0, bad.join('\n'));
});
