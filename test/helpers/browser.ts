// Debian's Chromium driven by playwright-core, as the browser tests use it.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** Says why a browser test file is skipped (only when Chromium is missing). */
export function warnIfNoChromium(file: string): void {
  if (!haveChromium) console.warn(`${file}: SKIPPED, ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`);
}

/** Headless Chromium; `extraArgs` adds switches (e.g. the fake media devices). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...extraArgs] });
}

/** A new page whose uncaught errors and console errors are pushed to `errors`. */
export async function openPage(browser: Browser, viewport: { width: number; height: number }, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return page;
}

export interface ServerAndPage {
  readonly s: TestServer;
  readonly browser: Browser;
  /** One page, opened before the tests. */
  readonly page: Page;
  /** The page's uncaught errors and console errors. */
  readonly pageErrors: string[];
}

/** In a describe: a test server with `fixtures`, Chromium and one page, all closed after it. */
export function useServerAndPage(fixtures: string[], viewport: { width: number; height: number }): ServerAndPage {
  let s: TestServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    s = await startTestServer(fixtures);
    browser = await launchChromium();
    page = await openPage(browser, viewport, pageErrors);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });
  return {
    get s() {
      return s!;
    },
    get browser() {
      return browser!;
    },
    get page() {
      return page!;
    },
    pageErrors,
  };
}
