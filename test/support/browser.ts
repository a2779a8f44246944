import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './npm-start.js';

// Debian's headless Chromium driven by playwright-core (`apt-get install -y chromium`; .ci/run installs it).

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots and other artefacts of a test run. */
export const TEST_OUTPUT = join(REPO_ROOT, 'test-results');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Answers of 400 and above: the X-Amz-Target (or URL) and the error code. */
  apiErrors: { target: string; code: string }[];
}

export async function openWatched(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => requests.push(r.url()));
  const apiErrors: { target: string; code: string }[] = [];
  page.on('response', async (r) => {
    if (r.status() < 400) return;
    const target = r.request().headers()['x-amz-target'] ?? r.url();
    const body = (await r.json().catch(() => ({}))) as { __type?: string };
    apiErrors.push({ target, code: String(body.__type) });
  });
  await page.goto(url);
  return { page, errors, requests, apiErrors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  const path = join(TEST_OUTPUT, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
