/**
 * The rule store on a full disk, for real: a 256 KiB tmpfs (needs root and mount(2); skipped with a
 * message otherwise). A write that cannot be made durable is rejected (ENOSPC, which the HTTP error
 * mapper answers as 503), the namespace keeps its previous groups in memory and on disk, no temp
 * file is left behind, and writing works again once space returns.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RuleStore } from '../../../src/ruler/rule-store.js';
import { namespaceFile, tenantRulesDir } from '../../../src/ruler/rule-paths.js';
import { toLogwharfError } from '../../../src/http/error-mapper.js';
import { createLogger } from '../../../src/util/logger.js';
import type { RuleGroupSpec } from '../../../src/rules/model.js';

let mnt = '';
let skip: string | false = false;

before(() => {
  mnt = mkdtempSync(join(tmpdir(), 'logwharf-rules-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (e) {
    skip = `cannot mount a 256 KiB tmpfs here (needs root): ${(e as Error).message.split('\n')[0]}`;
  }
});

after(() => {
  if (!skip) execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

function group(name: string, rules: number): RuleGroupSpec {
  return { name, rules: Array.from({ length: rules }, (_, i) => ({ alert: `A${i}`, expr: `sum(count_over_time({app="${name}"}[1m])) > ${i}` })) };
}

test('a write on a full disk is refused with ENOSPC and changes nothing; it works once space returns', async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  const store = await RuleStore.open({ dataDir: mnt, maxGroupsPerTenant: 100, maxRulesPerGroup: 10_000, log: createLogger({ level: 'silent' }) });
  await store.putGroup('fake', 'ns', group('small', 2));
  const file = namespaceFile(mnt, 'fake', 'ns');
  const before = readFileSync(file, 'utf8');
  // Fill what is left, then ask for a namespace file larger than any space that could remain.
  const filler = join(mnt, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(256 * 1024));
  } catch {
    // ENOSPC: the filler took what it could.
  }
  await assert.rejects(store.putGroup('fake', 'ns', group('big', 500)), (e: unknown) => {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    assert.equal(toLogwharfError(e).status, 503);
    return true;
  });
  assert.deepEqual((store.namespaces('fake').get('ns') ?? []).map((g) => g.name), ['small']);
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.deepEqual(readdirSync(tenantRulesDir(mnt, 'fake')), ['ns.yaml'], 'no temp file left behind');

  rmSync(filler);
  await store.putGroup('fake', 'ns', group('big', 500));
  const again = await RuleStore.open({ dataDir: mnt, maxGroupsPerTenant: 100, maxRulesPerGroup: 10_000, log: createLogger({ level: 'silent' }) });
  assert.deepEqual((again.namespaces('fake').get('ns') ?? []).map((g) => g.name), ['small', 'big']);
});
