/**
 * The Dockerfile agrees with src/deploy/layout.ts (the manifests run its launcher as its user) and
 * has what the issue asks: multi-stage on Node 20 slim, a non-root user, a HEALTHCHECK on /ready.
 * No base image can be pulled here, so `docker build` itself is not run (docs/deploy.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { APP_DIR, LAUNCHER, RUN_AS, SERVER_PORT } from '../../../src/deploy/layout.js';

const text = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
const lines = text.split('\n').filter((l) => !l.startsWith('#'));

test('multi-stage on Node 20 slim, runs as the non-root user the manifests expect, from the path they call', () => {
  const froms = lines.filter((l) => l.startsWith('FROM '));
  assert.equal(froms.length, 2);
  for (const f of froms) assert.match(f, /^FROM node:20-[a-z]+-slim\b/);
  assert.match(text, /^COPY --from=build /m);
  const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
  assert.equal(user, `USER ${RUN_AS}:${RUN_AS}`);
  assert.match(text, new RegExp(`useradd --uid ${RUN_AS}`));
  assert.match(text, new RegExp(`^WORKDIR ${APP_DIR}$`, 'm'));
  assert.match(text, new RegExp(`^ENTRYPOINT \\["${LAUNCHER}"\\]`, 'm'));
  assert.match(text, new RegExp(`^COPY --from=build /src/bin ./bin$`, 'm'));
});

test('HEALTHCHECK asks /ready on the server port and fails on anything but 2xx', () => {
  const hc = text.slice(text.indexOf('HEALTHCHECK'));
  assert.match(hc, new RegExp(`http://127\\.0\\.0\\.1:${SERVER_PORT}/ready`));
  assert.match(hc, /process\.exit\(r\.ok \? 0 : 1\)/);
  assert.match(text, new RegExp(`^EXPOSE ${SERVER_PORT}$`, 'm'));
});
