import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Browser } from 'playwright-core';
import { DmsliteClient } from '../../../core/console/client.js';
import { launchChromium, openWatched, screenshot } from '../../support/browser.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { createShop, startShopTask, type ShopTask } from '../../support/shop.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { describeTask, waitForStatus } from '../../support/task-flow.js';

// The console in Debian's headless Chromium: a running full-load-and-cdc task, live updates without
// reload, the stop button, no console errors, nothing requested from another origin.

let stack: TestStack;
let db: MariaDb;
let browser: Browser;
let shop: ShopTask;

beforeAll(async () => {
  [stack, db, browser] = await Promise.all([startTestStack({ runner: true }), startMariaDb(), launchChromium()]);
  await createShop(db, 'shop');
  shop = await startShopTask(stack.dms, db, inject('kinesisEndpoint'), uniqueName('console'), 'shop');
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await db?.stop();
});

describe('console at /_dmslite/', () => {
  it('shows the running task, its tables and new inserts live, and stops it', async () => {
    const { page, errors, requests } = await openWatched(browser, `${stack.url}/_dmslite/`);
    const row = page.getByTestId(`row-${shop.id}`);
    await expect.poll(() => row.getByTestId('task-status').textContent(), { timeout: 30_000 }).toBe('running');
    await expect.poll(() => page.getByTestId('task-detail').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await page.locator('#detail-title').textContent()).toBe(shop.id);
    for (const table of ['customers', 'orders']) {
      await expect.poll(() => page.getByTestId(`row-shop.${table}`).getByTestId('table-state').textContent(), { timeout: 60_000 }).toBe('Table completed');
    }
    // Endpoints never show a password.
    expect(await page.getByTestId('endpoints').textContent()).not.toContain(db.dmsUser.password);
    await expect.poll(() => page.getByTestId(`row-shop.customers`).getByTestId('table-inserts').textContent()).toBe('0');

    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await db.query('INSERT INTO shop.customers VALUES (101, ?), (102, ?), (103, ?)', ['a', 'b', 'c']);
    await expect.poll(() => page.getByTestId(`row-shop.customers`).getByTestId('table-inserts').textContent(), { timeout: 30_000 }).toBe('3');
    // The decoded record of the insert shows up in the stream panel.
    await expect.poll(() => page.getByTestId('records').textContent(), { timeout: 30_000 }).toContain('"operation": "insert"');
    // A metric point with the CDC figures (points come every 5 s).
    await expect.poll(() => page.getByTestId('metric-latency-target').locator('b').textContent(), { timeout: 30_000 }).toMatch(/^\d+\.\d+ s$/);
    // The inserts were counted in a metric point (the console reads the same points).
    await expect
      .poll(async () => (await new DmsliteClient({ endpoint: stack.url }).console<{ Points: number[][] }>('GetTaskMetrics', { ReplicationTaskArn: shop.arn })).Points.some((p) => p[5] > 0), { timeout: 30_000 })
      .toBe(true);
    expect(navigations).toEqual([]);
    await screenshot(page, 'console-running.png');

    await page.getByTestId(`stop-${shop.id}`).click();
    await expect.poll(() => row.getByTestId('task-status').textContent(), { timeout: 60_000 }).toBe('stopped');
    expect((await describeTask(stack.dms, shop.arn)).Status).toBe('stopped');
    await expect.poll(() => row.getByTestId('task-stop-reason').textContent()).toBe('Stop Reason NORMAL');

    // An action the API refuses shows the API's error.
    await page.getByTestId(`stop-${shop.id}`).click();
    await expect.poll(() => page.getByTestId('error').textContent(), { timeout: 15_000 }).toMatch(/StopReplicationTask failed: InvalidResourceStateFault/);
    await screenshot(page, 'console-stopped.png');

    expect(errors).toEqual([]);
    const origin = new URL(stack.url).origin;
    expect(requests.filter((u) => !u.startsWith(origin))).toEqual([]);
    await page.close();
    await waitForStatus(stack.dms, shop.arn, ['stopped']);
  });
});
