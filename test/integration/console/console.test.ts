import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Browser } from 'playwright-core';
import { DmsliteClient } from '../../../core/console/client.js';
import { launchChromium, openWatched, screenshot } from '../../support/browser.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { createBigTable, createShop, startShopTask, type ShopTask } from '../../support/shop.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { startLocalStack } from '../../../handlers/local.js';
import { REPO_ROOT } from '../../support/npm-start.js';
import { describeTask, stopTaskAndWait, waitForStatus } from '../../support/task-flow.js';
import type { WatchFrame } from '../../../core/console/watch.js';

// The console in Debian's headless Chromium: a running full-load-and-cdc task, live updates without
// reload, the stop button, no console errors, nothing requested from another origin.

/** Rows of the big tables and the CommitRate that loads them in small batches: long enough to be seen
 * between 0 and 100 % (the console polls every 1.5 s, watch every 0.3 s). The console's table had
 * 5,000 rows: under a loaded CI machine the page's first poll after the task started came after the
 * whole load (a missed window, not a wrong figure), so it loads for several polls now. */
const BIG_ROWS = 20_000;
const COMMIT_RATE = 100;
const CONSOLE_BIG_ROWS = 20_000;
const CONSOLE_COMMIT_RATE = 10;

let stack: TestStack;
let db: MariaDb;
let browser: Browser;
let shop: ShopTask;

beforeAll(async () => {
  [stack, db, browser] = await Promise.all([startTestStack({ runner: true }), startMariaDb(), launchChromium()]);
  await createShop(db, 'shop');
  await createBigTable(db, 'shop', 'items', CONSOLE_BIG_ROWS);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await db?.stop();
});

describe('console at /_dmslite/', () => {
  it('shows the running task, its tables with their load in percent and new inserts live, and stops it', async () => {
    const { page, errors, requests, apiErrors } = await openWatched(browser, `${stack.url}/_dmslite/`);
    // Started with the page open, so it sees the full load of the big table in progress.
    shop = await startShopTask(stack.dms, db, inject('kinesisEndpoint'), uniqueName('console'), 'shop', { Logging: { EnableLogging: true }, FullLoadSettings: { CommitRate: CONSOLE_COMMIT_RATE } });
    const row = page.getByTestId(`row-${shop.id}`);
    await expect.poll(() => row.getByTestId('task-status').textContent(), { timeout: 30_000 }).toBe('running');
    await expect.poll(() => page.getByTestId('task-detail').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await page.locator('#detail-title').textContent()).toBe(shop.id);
    // The big table part-loaded: a share of the catalog's estimate, with its rows so far.
    await expect.poll(() => page.getByTestId('row-shop.items').getByTestId('table-progress').textContent(), { timeout: 60_000 }).toMatch(/^[1-9]\d? % \([\d,]+ rows\)$/);
    await screenshot(page, 'console-loading.png');
    for (const table of ['customers', 'orders', 'items']) {
      await expect.poll(() => page.getByTestId(`row-shop.${table}`).getByTestId('table-state').textContent(), { timeout: 240_000 }).toBe('Table completed');
    }
    // Endpoints never show a password.
    expect(await page.getByTestId('endpoints').textContent()).not.toContain(db.dmsUser.password);
    await expect.poll(() => page.getByTestId(`row-shop.customers`).getByTestId('table-inserts').textContent()).toBe('0');

    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await db.query('INSERT INTO shop.customers VALUES (101, ?), (102, ?), (103, ?)', ['a', 'b', 'c']);
    await expect.poll(() => page.getByTestId(`row-shop.customers`).getByTestId('table-inserts').textContent(), { timeout: 30_000 }).toBe('3');
    // The decoded record of the insert shows up in the stream panel.
    await expect.poll(() => page.getByTestId('records').textContent(), { timeout: 30_000 }).toContain('data insert shop.customers');
    expect(await page.getByTestId('records').textContent()).toContain('{"id":101,"name":"a"}');
    // A metric point with the CDC figures (points come every 5 s).
    await expect.poll(() => page.getByTestId('metric-latency-target').locator('b').textContent(), { timeout: 30_000 }).toMatch(/^\d+\.\d+ s$/);
    // Latency and throughput drawn by uPlot (its canvas), from the same points.
    for (const chart of ['#chart-latency', '#chart-throughput']) await expect.poll(() => page.locator(`${chart} canvas`).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    // The inserts were counted in a metric point (the console reads the same points).
    await expect
      .poll(async () => (await new DmsliteClient({ endpoint: stack.url }).console<{ Points: number[][] }>('GetTaskMetrics', { ReplicationTaskArn: shop.arn })).Points.some((p) => p[5] > 0), { timeout: 30_000 })
      .toBe(true);
    // The task's log tail (AWS's line format).
    await expect.poll(() => page.getByTestId('log').textContent(), { timeout: 30_000 }).toMatch(/\[TASK_MANAGER {4}\]I: /);
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

    // Chrome logs every 4xx answer as "Failed to load resource"; those must be exactly the API's
    // expected refusals (the deliberate stop, and DescribeReplications while it is not implemented).
    const refused = apiErrors.filter((e) => !(e.target === 'AmazonDMSv20160101.DescribeReplications' && e.code === 'UnknownOperationException'));
    expect(refused).toEqual([{ target: 'AmazonDMSv20160101.StopReplicationTask', code: 'InvalidResourceStateFault' }]);
    expect(errors.filter((e) => !/Failed to load resource: the server responded with a status of 400/.test(e))).toEqual([]);
    expect(errors.length).toBe(apiErrors.length);
    const origin = new URL(stack.url).origin;
    expect(requests.filter((u) => !u.startsWith(origin))).toEqual([]);
    await page.close();
    await waitForStatus(stack.dms, shop.arn, ['stopped']);
  }, 360_000); // the 20,000-row load at CommitRate 10 takes ~25 s on a quiet machine, a few times that in CI
});

describe('console with DMSLITE_CREDENTIALS', () => {
  it('asks for a key pair, signs its calls with it, and acts through the signed API', async () => {
    // A second edge on the same state table that requires signatures (the first one's runner runs the task).
    const secured = await startLocalStack({ port: 0, runner: false, credentials: new Map([['AKIDCONSOLE', 'console-secret']]) });
    try {
      const { page, errors, apiErrors } = await openWatched(browser, `${secured.url}/_dmslite/`);
      await expect.poll(() => page.getByTestId('login').isVisible(), { timeout: 30_000 }).toBe(true);
      expect(await page.getByTestId('error').textContent()).toContain('MissingAuthenticationTokenException');
      expect(await page.getByTestId('tasks').textContent()).not.toContain(shop.id);

      const signIn = async (secret: string) => {
        await page.fill('input[name=accessKeyId]', 'AKIDCONSOLE');
        await page.fill('input[name=secretAccessKey]', secret);
        await page.click('#login button[type=submit]');
      };
      await signIn('wrong-secret');
      await expect.poll(() => page.getByTestId('login').isVisible(), { timeout: 30_000 }).toBe(true);
      expect(await page.getByTestId('tasks').textContent()).not.toContain(shop.id);

      await signIn('console-secret');
      const row = page.getByTestId(`row-${shop.id}`);
      await expect.poll(() => row.getByTestId('task-status').textContent(), { timeout: 30_000 }).toBe('stopped');
      await expect.poll(() => page.getByTestId('connection').textContent(), { timeout: 30_000 }).toContain('signed as AKIDCONSOLE');
      // From here on every poll is signed with the right pair (calls made with the wrong one have answered).
      const signedFrom = apiErrors.length;
      await page.getByTestId(`resume-${shop.id}`).click();
      await expect.poll(() => row.getByTestId('task-status').textContent(), { timeout: 60_000 }).toBe('running');
      await page.getByTestId(`stop-${shop.id}`).click();
      await expect.poll(() => row.getByTestId('task-status').textContent(), { timeout: 60_000 }).toBe('stopped');
      await screenshot(page, 'console-signed.png');

      // Refusals for signatures happened only before signing in with the right pair.
      const authFaults = ['MissingAuthenticationTokenException', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'UnrecognizedClientException', 'IncompleteSignatureException'];
      expect(apiErrors.slice(signedFrom).filter((e) => authFaults.includes(e.code))).toEqual([]);
      expect(apiErrors.slice(0, signedFrom).some((e) => e.code === 'MissingAuthenticationTokenException')).toBe(true);
      expect(errors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e))).toEqual([]);
      await page.close();
    } finally {
      await secured.stop();
    }
  });
});

/** Runs `npx dmslite ...` (the package's bin) against the stack; resolves with its exit and output. */
function dmslite(args: string[]) {
  const child = spawn(process.execPath, ['bin/dmslite.mjs', ...args, '--endpoint-url', stack.url], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exit, output: () => ({ stdout, stderr }) };
}

describe('dmslite watch and status', () => {
  it("watch shows each table's load as a percentage up to 100 %, then CDC figures, and exits with the stop reason", async () => {
    await createShop(db, 'shop2', 50);
    // Large enough, in small commit batches, for the load to be seen between 0 and 100 %.
    await createBigTable(db, 'shop2', 'items', BIG_ROWS);
    const second = await startShopTask(stack.dms, db, inject('kinesisEndpoint'), uniqueName('watch'), 'shop2', { FullLoadSettings: { CommitRate: COMMIT_RATE } });
    const watch = dmslite(['watch', second.id, '--json', '--interval', '300']);
    const frames = () => watch.output().stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as WatchFrame);
    await expect
      .poll(() => frames().some((f) => f.tables.length === 3 && f.tables.every((t) => t.percent === 100)), { timeout: 60_000 })
      .toBe(true);
    // The big table was seen part-loaded: a share of its catalog estimate, matching its rows so far,
    // and the task's FullLoadProgressPercent (rows against estimates) in between too.
    const partial = frames().filter((f) => { const p = f.tables.find((t) => t.table === 'items')?.percent; return p !== null && p !== undefined && p > 0 && p < 100; });
    expect(partial.length).toBeGreaterThan(0);
    const { Tables } = await new DmsliteClient({ endpoint: stack.url }).console<{ Tables: { TableName: string; EstimatedRows?: number }[] }>('GetTableEstimates', { ReplicationTaskArn: second.arn });
    const estimate = Tables.find((t) => t.TableName === 'items')?.EstimatedRows ?? 0;
    // InnoDB's TABLE_ROWS is a sampled estimate.
    expect(estimate).toBeGreaterThan(BIG_ROWS / 2);
    expect(estimate).toBeLessThan(BIG_ROWS * 2);
    for (const f of partial) {
      const items = f.tables.find((t) => t.table === 'items')!;
      expect(items.percent).toBe(Math.min(99, Math.floor((100 * items.fullLoadRows) / estimate)));
    }
    expect(frames().some((f) => f.task.fullLoadPercent > 0 && f.task.fullLoadPercent < 100)).toBe(true);
    await db.query('INSERT INTO shop2.orders (customer_id, amount) VALUES (1, 1.00), (2, 2.00)');
    await expect.poll(() => frames().some((f) => f.tables.find((t) => t.table === 'orders')?.inserts === 2 && f.metrics !== null), { timeout: 60_000 }).toBe(true);
    await stopTaskAndWait(stack.dms, second.arn);
    expect(await watch.exit).toBe(0);
    const all = frames();
    const last = all[all.length - 1];
    expect(last.final).toBe(true);
    expect(last.task.status).toBe('stopped');
    expect(last.task.stopReason).toBe('Stop Reason NORMAL');
    // Progress first, CDC figures after it.
    const firstComplete = all.findIndex((f) => f.tables.length === 3 && f.tables.every((t) => t.percent === 100));
    const firstCdc = all.findIndex((f) => (f.tables.find((t) => t.table === 'orders')?.inserts ?? 0) > 0);
    expect(firstComplete).toBeGreaterThanOrEqual(0);
    expect(firstCdc).toBeGreaterThan(firstComplete);
    expect(Object.keys(last.metrics ?? {})).toEqual(expect.arrayContaining(['CDCLatencySource', 'CDCLatencyTarget', 'CDCIncomingChanges', 'CDCThroughputRowsSource', 'CDCThroughputRowsTarget', 'FullLoadThroughputRowsTarget']));

    // The live view (no --json) of a stopped task: bars at 100 % and the stop reason, then exit.
    const view = dmslite(['watch', second.task.ReplicationTaskArn!]);
    expect(await view.exit).toBe(0);
    const text = view.output().stdout;
    expect(text).toMatch(/shop2\.customers\s+\[#{24}\] 100%/);
    expect(text).toContain('stopped: Stop Reason NORMAL');
  });

  it('status lists instances, endpoints and tasks; watch of an unknown task fails clearly', async () => {
    const status = dmslite(['status']);
    expect(await status.exit).toBe(0);
    const text = status.output().stdout;
    expect(text).toMatch(/^KIND\s+IDENTIFIER\s+STATUS\s+DETAIL/);
    expect(text).toMatch(new RegExp(`instance\\s+${shop.id}-ri\\s+available`));
    expect(text).toMatch(new RegExp(`source endpoint\\s+${shop.id}-src\\s+active\\s+mariadb 127.0.0.1:${db.port}`));
    expect(text).toMatch(new RegExp(`task\\s+${shop.id}\\s+stopped\\s+full-load-and-cdc`));
    expect(text).not.toContain(db.dmsUser.password);

    const missing = dmslite(['watch', 'no-such-task']);
    expect(await missing.exit).toBe(1);
    expect(missing.output().stderr).toContain('No replication task no-such-task');
  });
});
