/**
 * Generations of a backup from a real directory (the offline source): unchanged files are hard
 * links, a grown file is the earlier copy plus its new tail, a file replaced under the same name
 * with a different prefix is copied whole (the checksum decides, never the name), and every
 * generation verifies and restores byte for byte.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { offlineSource } from '../../../src/lifecycle/backup-sources.js';
import { writeBackup } from '../../../src/lifecycle/backup-writer.js';
import { listGenerations, verifyGeneration } from '../../../src/lifecycle/backup-manifest.js';
import { restoreBackup } from '../../../src/lifecycle/restore.js';

const root = mkdtempSync(join(tmpdir(), 'logwharf-backup-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function backup(data: string, out: string, at: number) {
  const src = await offlineSource(data);
  try {
    return await writeBackup(out, src.source, new Date(at));
  } finally {
    await src.close();
  }
}

test('incremental generations: links, grown tails, replaced files, verify and restore', async () => {
  const data = join(root, 'data');
  const out = join(root, 'out');
  const seg = join(data, 'tenants', 'x', 'blocks');
  mkdirSync(seg, { recursive: true });
  writeFileSync(join(data, 'tenants', 'x', 'tenant'), 'x');
  writeFileSync(join(seg, '00000001.seg'), 'A'.repeat(10_000));
  writeFileSync(join(seg, '00000002.seg'), 'B'.repeat(5_000));
  const g1 = await backup(data, out, 1_000);
  assert.equal(g1.copied, 3);
  assert.equal(g1.linked, 0);

  appendFileSync(join(seg, '00000001.seg'), 'a'.repeat(100));
  writeFileSync(join(seg, '00000002.seg'), 'C'.repeat(6_000));
  const g2 = await backup(data, out, 2_000);
  assert.equal(g2.linked, 1, 'the tenant file is a link');
  assert.equal(g2.copiedBytes, 100 + 6_000, 'the grown file sends its tail; the replaced one is copied whole');
  const gens = await listGenerations(out);
  assert.equal(gens.length, 2);
  const tenant1 = statSync(join(gens[0]!.dir, 'data', 'tenants', 'x', 'tenant'));
  const tenant2 = statSync(join(gens[1]!.dir, 'data', 'tenants', 'x', 'tenant'));
  assert.equal(tenant1.ino, tenant2.ino, 'hard link');
  for (const g of gens) assert.deepEqual((await verifyGeneration(g)).problems, []);

  const restored = join(root, 'restored');
  await restoreBackup(out, restored);
  for (const f of ['tenants/x/tenant', 'tenants/x/blocks/00000001.seg', 'tenants/x/blocks/00000002.seg']) {
    assert.deepEqual(readFileSync(join(restored, f)), readFileSync(join(data, f)), f);
  }
  // The first generation is still what it was.
  assert.equal(readFileSync(join(gens[0]!.dir, 'data', 'tenants', 'x', 'blocks', '00000002.seg'), 'utf8'), 'B'.repeat(5_000));
  await assert.rejects(restoreBackup(out, restored), /not empty.*--force/);
});
