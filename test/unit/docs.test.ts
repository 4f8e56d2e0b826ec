/**
 * The project's docs stand on their own (issue #8): what a user gets from a clone or the npm
 * package points only at files in it, the license the package declares is the one shipped, and the
 * package description claims only what exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(new URL('../../', import.meta.url).pathname);
const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; description: string };

test('docs point only at files inside the repository', () => {
  const problems: string[] = [];
  for (const doc of docs) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const dir = join(ROOT, doc, '..');
    // Markdown links and `code` spans that look like relative paths.
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
    const spans = [...text.matchAll(/`(\.\.?\/[^`\s]+)`/g)].map((m) => m[1]!);
    for (const t of [...targets, ...spans]) {
      const abs = resolve(dir, t);
      if (relative(ROOT, abs).startsWith('..')) problems.push(`${doc}: ${t} is outside the repository`);
      else if (targets.includes(t) && !existsSync(abs)) problems.push(`${doc}: link ${t} does not exist`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the license package.json declares is the LICENSE file shipped', () => {
  assert.equal(pkg.license, 'Apache-2.0');
  const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(text, /^\s*Apache License\s+Version 2\.0, January 2004/);
  assert.match(text, /END OF TERMS AND CONDITIONS/);
});

test('the package description claims only what exists', () => {
  // Alerting (a ruler) and a web UI are planned (docs/architecture.md); say so once they exist.
  if (!existsSync(join(ROOT, 'src/ruler'))) assert.doesNotMatch(pkg.description, /alert/i);
  if (!existsSync(join(ROOT, 'src/ui'))) assert.doesNotMatch(pkg.description, /\bUI\b|web interface/i);
});
