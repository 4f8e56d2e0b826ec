/**
 * The Prometheus scrape configuration docs/agent.md gives for the agent and the server (issue #16)
 * is one Prometheus accepts: the real `promtool check config` (Debian's prometheus package) reads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireBinary } from '../../helpers/peer-process.js';

const PROMTOOL = '/usr/bin/promtool';
const DOC = resolve(new URL('../../../docs/agent.md', import.meta.url).pathname);

/** The yaml block of the "Scraping the agent and the server" section. */
function scrapeConfigFromDocs(): string {
  const text = readFileSync(DOC, 'utf8');
  const section = text.split('### Scraping the agent and the server')[1];
  assert.ok(section, 'docs/agent.md has the scraping section');
  const m = /```yaml\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'the section has a yaml block');
  return m[1]!;
}

test('the scrape configuration in docs/agent.md passes promtool check config, with jobs for the server and the agent', (t) => {
  if (!requireBinary(t, PROMTOOL, 'prometheus')) return;
  const yaml = scrapeConfigFromDocs();
  assert.match(yaml, /job_name: logwharf-server/);
  assert.match(yaml, /job_name: logwharf-agent/);
  const dir = mkdtempSync(join(tmpdir(), 'lw-scrape-'));
  try {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, yaml);
    const out = execFileSync(PROMTOOL, ['check', 'config', file], { encoding: 'utf8' });
    assert.match(out, /SUCCESS/);
    // The check can fail: a broken copy of the same block is refused.
    writeFileSync(file, yaml.replace('scrape_interval: 15s', 'scrape_interval: fifteen'));
    assert.throws(() => execFileSync(PROMTOOL, ['check', 'config', file], { encoding: 'utf8', stdio: 'pipe' }), /FAILED|not a valid duration/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
