/**
 * Real headless Chromium for the web UI's tests (Debian's `chromium` driven by playwright-core; never
 * a downloaded browser). `openUi` opens a page in a fresh context that records what a user's console
 * would show (errors, uncaught exceptions) and every request that leaves 127.0.0.1, which it also
 * blocks: the UI must work offline.
 */
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { requireBinary } from './peer-process.js';

export const CHROMIUM_BIN = '/usr/bin/chromium';

export interface UiBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Launches Chromium (skips outside CI when it is not installed; `.ci/run` installs it). */
export async function launchBrowser(t: TestContext): Promise<UiBrowser | undefined> {
  if (!requireBinary(t, CHROMIUM_BIN, 'chromium')) return undefined;
  // playwright-core gives every launch a fresh temporary profile (a --user-data-dir of its own).
  const browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

export interface UiPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and requests that left 127.0.0.1, in order. */
  problems: string[];
  /** Fails the test when anything is in `problems`, listing it. */
  assertClean(): void;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Console error texts expected by this test (e.g. the failed request of a bad query); regexes. */
  allowConsole?: RegExp[];
  viewport?: { width: number; height: number };
  timezoneId?: string;
}

/** Opens `baseUrl + path` in a fresh context and waits for the shell to render. */
export async function openUi(ui: UiBrowser, baseUrl: string, path: string, opts: OpenOptions = {}): Promise<UiPage> {
  const context = await ui.browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 }, timezoneId: opts.timezoneId ?? 'UTC', serviceWorkers: 'block' });
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'data:' || u.hostname === '127.0.0.1') return route.continue();
    problems.push(`request left 127.0.0.1: ${route.request().method()} ${u.href}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (opts.allowConsole?.some((re) => re.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('websocket', (ws) => {
    if (!new URL(ws.url()).hostname.startsWith('127.0.0.1')) problems.push(`websocket left 127.0.0.1: ${ws.url()}`);
  });
  await page.goto(baseUrl + path);
  await page.waitForSelector('.topbar');
  return {
    page,
    context,
    problems,
    assertClean() {
      if (problems.length > 0) throw new Error(`the page had problems:\n${problems.join('\n')}`);
    },
    close: () => context.close(),
  };
}
