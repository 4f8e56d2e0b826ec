/** deploy/ holds the defaults rendered by the builders; this fails when they are stale (run `npm run deploy:render`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDeployValues } from '../../../src/deploy/values.js';
import { DEPLOY_TARGETS, render } from '../../../src/deploy/render.js';
import { DEPLOY_DIRS } from '../../../src/deploy/defaults.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

for (const target of DEPLOY_TARGETS) {
  test(`${DEPLOY_DIRS[target]}/ is what \`logwharf deploy ${target}\` renders from the defaults`, () => {
    const dir = join(ROOT, DEPLOY_DIRS[target]);
    const expected = render(target, parseDeployValues({}));
    assert.deepEqual(filesUnder(dir), [...expected.keys()].sort(), 'files differ: run `npm run deploy:render`');
    for (const [name, text] of expected) {
      assert.equal(readFileSync(join(dir, name), 'utf8'), text, `${DEPLOY_DIRS[target]}/${name} is stale: run \`npm run deploy:render\``);
    }
  });
}
