// The softphone page of test/softphone/page.ts in a browser: bundled once per file by Vite
// (the repository's bundler; JsSIP is CommonJS only) and served to the page by playwright's
// request interception at http://localhost/ (a secure context: getUserMedia needs one), so
// the page needs no server of its own, even inside a network namespace.
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';
import type { RtpCounters, SoftphoneState } from '../softphone/page.ts';

export type { RtpCounters, SoftphoneState };

let bundle: Promise<string> | undefined;

function bundled(): Promise<string> {
  bundle ??= (async () => {
    const out = await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        write: false,
        target: 'es2022',
        minify: false,
        lib: { entry: fileURLToPath(new URL('../softphone/page.ts', import.meta.url)), formats: ['iife'], name: 'softphonePage', fileName: 'softphone' },
      },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as Rolldown.RolldownOutput[];
    const chunk = outputs.flatMap((o) => o.output).find((c) => c.type === 'chunk');
    if (!chunk || chunk.type !== 'chunk') throw new Error('the softphone page did not bundle');
    return chunk.code;
  })();
  return bundle;
}

export const PAGE_URL = 'http://localhost/softphone.html';

/** A new page with the softphone loaded (not started); its errors go to `errors`. */
export async function openSoftphone(browser: Browser, errors: string[]): Promise<Page> {
  const code = await bundled();
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  // VM_DEBUG_SOFTPHONE=1: the page's console (JsSIP's SIP trace) on ours.
  if (process.env.VM_DEBUG_SOFTPHONE) page.on('console', (m) => console.log(`[softphone] ${m.text()}`));
  await page.route('http://localhost/**', (route) => {
    const url = route.request().url();
    if (url === PAGE_URL) return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>softphone</title><script src="/softphone.js"></script>' });
    if (url === 'http://localhost/softphone.js') return route.fulfill({ contentType: 'text/javascript', body: code });
    return route.fulfill({ status: 404, body: '' });
  });
  await page.goto(PAGE_URL);
  return page;
}

export const softphoneState = (page: Page): Promise<SoftphoneState> => page.evaluate(() => window.softphone.state());
export const softphoneStats = (page: Page): Promise<RtpCounters | undefined> => page.evaluate(() => window.softphone.stats());
