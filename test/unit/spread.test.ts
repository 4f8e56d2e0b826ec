/**
 * No array is spread into a call's arguments in src/ (issue #8): `push(...entries)` with a block of
 * ~260,000 entries threw "Maximum call stack size exceeded" on every start. Use pushAll, maxOf and
 * minOf from src/util/arrays.ts. A failure names the file and line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { maxOf, minOf, pushAll } from '../../src/util/arrays.js';
import { tsFiles } from '../helpers/source-files.js';

const SRC = new URL('../../src/', import.meta.url).pathname;

test('src/ spreads no array into push, unshift, Math.max/min or String.fromCharCode/fromCodePoint', () => {
  const found: string[] = [];
  for (const file of tsFiles(SRC)) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^\s*(\*|\/\/)/.test(line)) return;
        if (/\b(push|unshift|max|min|fromCharCode|fromCodePoint|apply)\(\s*\.\.\./.test(line)) found.push(`src/${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(found, []);
});

test('pushAll, maxOf and minOf handle arrays far beyond the call-argument limit', () => {
  const big = Array.from({ length: 1_000_000 }, (_, i) => i);
  assert.equal(pushAll([-1], big).length, 1_000_001);
  assert.equal(maxOf(big, (x) => x), 999_999);
  assert.equal(minOf(big, (x) => -x), -999_999);
  assert.equal(maxOf([], (x: number) => x), -Infinity);
  assert.ok(Number.isNaN(maxOf([1, NaN, 3], (x) => x)));
});
