/**
 * The README's screenshots come from the browser tests through `saveScreenshot`: it writes a PNG of
 * the viewport only when UPDATE_SCREENSHOTS=1, so ordinary runs leave the committed images alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, startServer, tempDir } from '../helpers/server.js';
import { launchBrowser, openUi, saveScreenshot } from '../../helpers/browser.js';

test('saveScreenshot writes the page as a PNG only when UPDATE_SCREENSHOTS=1', async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const dir = tempDir('logwharf-shots-');
  t.after(() => removeDir(dir));
  const before = process.env.UPDATE_SCREENSHOTS;
  t.after(() => (before === undefined ? delete process.env.UPDATE_SCREENSHOTS : (process.env.UPDATE_SCREENSHOTS = before)));

  const p = await openUi(ui, s.url, '/explore', { viewport: { width: 1000, height: 700 } });
  t.after(() => p.close());
  delete process.env.UPDATE_SCREENSHOTS;
  assert.equal(await saveScreenshot(p.page, 'explore', dir), undefined);
  assert.equal(existsSync(join(dir, 'explore.png')), false, 'an ordinary run wrote a screenshot');

  process.env.UPDATE_SCREENSHOTS = '1';
  const file = await saveScreenshot(p.page, 'explore', dir);
  assert.equal(file, join(dir, 'explore.png'));
  const png = readFileSync(file!);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'not a PNG');
  // The IHDR chunk: the viewport's size, not the whole page's.
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1000, 700]);
  await assert.rejects(saveScreenshot(p.page, '../escape', dir), /lower-case letters/);
  p.assertClean();
});
