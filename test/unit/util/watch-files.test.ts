/**
 * Noticing changed files (src/util/watch-files.ts), which the TLS reload and the runtime config of
 * per-tenant overrides share: a file replaced by rename in a watched directory is noticed without
 * waiting for the periodic check, and a directory that cannot be watched leaves the periodic check,
 * with a warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchFiles } from '../../../src/util/watch-files.js';
import { captureLog } from '../../helpers/log-capture.js';
import { waitFor } from '../../helpers/wait-for.js';

test('a file replaced by rename is noticed through the directory watch, debounced, long before the periodic check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'overrides.yaml');
  writeFileSync(file, 'a');
  let checks = 0;
  const w = watchFiles({ files: [file], check: () => checks++, pollMs: 3_600_000, log: captureLog('silent').log, what: 'test' });
  t.after(() => w.close());
  // An atomic replace, as ConfigMaps and careful editors do: several events, one settled change.
  writeFileSync(file + '.tmp', 'b');
  renameSync(file + '.tmp', file);
  await waitFor('a check after the rename', () => checks >= 1);
  assert.ok(checks <= 2, `debounced: ${checks} checks for one replace`);
});

test('a directory that cannot be watched leaves the periodic check, and says so', async (t) => {
  const captured = captureLog('warn');
  let checks = 0;
  const w = watchFiles({ files: [join(tmpdir(), 'logwharf-no-such-dir-' + process.pid, 'x.yaml')], check: () => checks++, pollMs: 20, log: captured.log, what: 'runtime config' });
  t.after(() => w.close());
  await waitFor('two periodic checks', () => checks >= 2);
  const warn = captured.lines.find((l) => l.level === 'warn');
  assert.match(String(warn?.msg), /^runtime config: cannot watch the directory; the periodic check remains$/);
});
