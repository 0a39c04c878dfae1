// A real browser for end-to-end tests: Debian's Chromium driven by playwright-core, headless.
// playwright-core downloads no browser: it runs the system binary (`chromium` on PATH).
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findOnPath } from '../../src/tools/binaries.js';

export const CHROMIUM_PATH = process.env.VSTREAM_CHROMIUM ?? findOnPath('chromium') ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: tests run as root here, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

export interface OpenedPage {
  page: Page;
  /** Every response of 500 or more the page got (its document and its API calls), as `status url`. */
  serverErrors: string[];
}

/** A new page at `url`, once the network is quiet; its server errors are recorded as they come. */
export async function openPage(browser: Browser, url: string): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const serverErrors: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 500) serverErrors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(url, { waitUntil: 'networkidle', timeout: 60_000 });
  return { page, serverErrors };
}

/** A full-page screenshot `name`.png in `dir` (the test's temporary folder), its path printed as a diagnostic. */
export async function screenshot(
  t: { diagnostic(message: string): void },
  page: Page,
  dir: string,
  name: string,
): Promise<string> {
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot: ${path}`);
  return path;
}
