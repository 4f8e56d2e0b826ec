/**
 * A token store in a temporary directory for unit tests: `open()` opens (another handle on) the same
 * tokens.db, as the server and the CLI each do; everything opened is closed and the directory removed
 * after the test. The clock starts at T0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTokenStore, tokenDbPath, type TokenStore } from '../../../src/auth/token-store.js';
import { ManualClock } from '../../helpers/manual-clock.js';

export const T0 = Date.parse('2026-12-01T12:00:00Z');

export function tokenStoreFixture(t: { after(fn: () => void): void }, prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const opened: TokenStore[] = [];
  const open = () => {
    const s = openTokenStore(tokenDbPath(dir));
    opened.push(s);
    return s;
  };
  t.after(() => {
    for (const s of opened) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, open, clock: new ManualClock(T0) };
}
