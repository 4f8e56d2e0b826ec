// Writes the default deployment files into deploy/ from the builders in src/deploy
// (test/unit/deploy/rendered.test.ts fails when they are stale).
import { rmSync } from 'node:fs';
import { parseDeployValues } from '../src/deploy/values.js';
import { DEPLOY_TARGETS, render } from '../src/deploy/render.js';
import { writeRendered } from '../src/deploy/write.js';
import { DEPLOY_DIRS } from '../src/deploy/defaults.js';

for (const target of DEPLOY_TARGETS) {
  const dir = new URL(`../${DEPLOY_DIRS[target]}/`, import.meta.url).pathname;
  // Files a builder no longer makes must go too.
  rmSync(dir, { recursive: true, force: true });
  for (const path of await writeRendered(render(target, parseDeployValues({})), dir)) console.log(`wrote ${path}`);
}
