/**
 * Real headless Chromium for the web UI's tests and benchmarks (Debian's `chromium` driven by
 * playwright-core; never a downloaded browser). `openUi` opens a page in a fresh context that records
 * what a user's console would show (errors, uncaught exceptions) and every request that leaves
 * 127.0.0.1, which it also blocks: the UI must work offline. `saveScreenshot` makes the README's
 * screenshots from the same tests, only when asked to (UPDATE_SCREENSHOTS=1).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
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
  return startChromium();
}

/** Launches Chromium as the tests and `bench/ui.bench.ts` both run it; throws when it is missing. */
export async function startChromium(): Promise<UiBrowser> {
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
  const p = await newUiPage(ui, opts);
  await p.page.goto(baseUrl + path);
  await p.page.waitForSelector('.topbar');
  return p;
}

/**
 * A blank page in a fresh context, recording problems as `openUi` does, not yet navigated: for
 * callers that must set things up before the first navigation (the benchmark's init scripts).
 */
export async function newUiPage(ui: UiBrowser, opts: OpenOptions = {}): Promise<UiPage> {
  const context = await ui.browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 }, timezoneId: opts.timezoneId ?? 'UTC', serviceWorkers: 'block' });
  // Tests run under tsx, which compiles with esbuild's keepNames: a function passed to page.evaluate
  // or addInitScript calls `__name(fn, "name")`, which the page must have.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
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

/** Where the README's screenshots live. */
export const SCREENSHOT_DIR = join(new URL('../../', import.meta.url).pathname, 'docs/images');

/**
 * Writes `<dir>/<name>.png` of the page's viewport when the environment has UPDATE_SCREENSHOTS=1
 * (`UPDATE_SCREENSHOTS=1 node scripts/run-tests.mjs test/e2e/ui/`), so ordinary test runs never
 * rewrite the committed images. Returns the file written, or undefined when it wrote nothing.
 */
export async function saveScreenshot(page: Page, name: string, dir = SCREENSHOT_DIR): Promise<string | undefined> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return undefined;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)}: use lower-case letters, digits and dashes`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  // No caret or running animation, so an unchanged page gives the same image.
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  return file;
}
