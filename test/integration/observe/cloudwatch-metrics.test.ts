import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DmsliteClient } from '../../../core/console/client.js';
import { METRIC_NAMES, pointValues, type MetricPoint } from '../../../core/observe/metrics.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startMoto, type MotoServer } from '../../support/moto.js';
import { createShop, startShopTask } from '../../support/shop.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { stopTaskAndWait, tableStatistics } from '../../support/task-flow.js';

// Task metrics published with PutMetricData to the CloudWatch named by AWS_ENDPOINT_URL_CLOUDWATCH
// (moto_server here): namespace AWS/DMS, AWS's dimensions, one datum per metric and point, the same
// figures the task keeps for the console, and throughputs that add up to the changes made.

let moto: MotoServer;
let stack: TestStack;
let db: MariaDb;
let cloudwatch: CloudWatchClient;

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startMariaDb()]);
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH = moto.endpoint;
  stack = await startTestStack({ runner: true });
  // The SDK's default protocol (JSON 1.0) reads back: moto speaks both.
  cloudwatch = new CloudWatchClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_CLOUDWATCH;
  cloudwatch?.destroy();
  await stack?.stop();
  await Promise.all([db?.stop(), moto?.stop()]);
});

describe('PutMetricData', () => {
  it('publishes every point of a full-load-and-cdc task under AWS/DMS with the instance identifier and task resource id', async () => {
    const LOADED = 50;
    await createShop(db, 'metrics', LOADED / 2);
    const name = uniqueName('metrics');
    const shop = await startShopTask(stack.dms, db, inject('kinesisEndpoint'), name, 'metrics');
    const consoleApi = new DmsliteClient({ endpoint: stack.url });
    const points = async () => (await consoleApi.console<{ Points: MetricPoint[] }>('GetTaskMetrics', { ReplicationTaskArn: shop.arn })).Points;
    const loaded = async () => (await tableStatistics(stack.dms, shop.arn)).reduce((n, s) => n + (s.FullLoadRows ?? 0), 0);
    await expect.poll(loaded, { timeout: 60_000 }).toBe(LOADED);
    // Changes only after the first point: every CDC row falls in a point whose interval is known.
    await expect.poll(async () => (await points()).length, { timeout: 30_000 }).toBeGreaterThan(0);

    const CHANGES = 30;
    for (let i = 0; i < 10; i++) {
      await db.query('INSERT INTO metrics.orders (customer_id, amount) VALUES (?, 1.00)', [i]);
      await db.query('UPDATE metrics.customers SET name = ? WHERE id = ?', [`renamed ${i}`, i + 1]);
    }
    await db.query('DELETE FROM metrics.orders WHERE amount = 1.00'); // one statement, 10 rows
    const applied = async () => (await tableStatistics(stack.dms, shop.arn)).reduce((n, s) => n + (s.AppliedInserts ?? 0) + (s.AppliedUpdates ?? 0) + (s.AppliedDeletes ?? 0), 0);
    await expect.poll(applied, { timeout: 60_000 }).toBe(CHANGES);
    // One more point after the last acknowledgement, so no change is left in the unfinished interval.
    const appliedAt = Date.now() / 1000;
    await expect.poll(async () => (await points()).at(-1)![0], { timeout: 30_000 }).toBeGreaterThan(appliedAt);
    await stopTaskAndWait(stack.dms, shop.arn);
    const kept = await points();

    const taskId = shop.arn.split(':').pop()!;
    const dimensions = [
      { Name: 'ReplicationInstanceIdentifier', Value: `${name}-ri` },
      { Name: 'ReplicationTaskIdentifier', Value: taskId },
    ];
    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'AWS/DMS', Dimensions: [{ Name: 'ReplicationTaskIdentifier', Value: taskId }] }));
    // moto lists a metric once per PutMetricData call; CloudWatch once.
    expect(new Set(listed.Metrics?.map((m) => m.MetricName))).toEqual(new Set(METRIC_NAMES));
    for (const m of listed.Metrics ?? []) expect(m.Dimensions).toEqual(expect.arrayContaining(dimensions));
    for (const m of listed.Metrics ?? []) expect(m.Dimensions).toHaveLength(2);

    // Each kept point was published once: same count and same total per metric.
    const window = { StartTime: new Date((kept[0][0] - 60) * 1000), EndTime: new Date((kept.at(-1)![0] + 60) * 1000) };
    const stats = async (metric: string) => {
      const out = await cloudwatch.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/DMS', MetricName: metric, Dimensions: dimensions, ...window, Period: 3600, Statistics: ['Sum', 'SampleCount'] }));
      const dps = out.Datapoints ?? [];
      return { count: dps.reduce((n, d) => n + (d.SampleCount ?? 0), 0), sum: dps.reduce((n, d) => n + (d.Sum ?? 0), 0), unit: dps[0]?.Unit };
    };
    const values = kept.map(pointValues);
    for (const metric of METRIC_NAMES) {
      const s = await stats(metric);
      expect(s.count, metric).toBe(kept.length);
      expect(s.sum, metric).toBeCloseTo(values.reduce((n, v) => n + v[metric], 0), 1);
      expect(s.unit, metric).toBe(metric.startsWith('CDCLatency') ? 'Seconds' : metric === 'CDCIncomingChanges' ? 'Count' : 'Count/Second');
    }

    // Rows per second times each point's interval add up to the rows: CDC changes read and
    // acknowledged, and (full load) rows loaded.
    const integrate = (metric: (typeof METRIC_NAMES)[number]) => values.slice(1).reduce((n, v, i) => n + v[metric] * (v.t - values[i].t), 0);
    expect(integrate('CDCThroughputRowsSource')).toBeCloseTo(CHANGES, -0.3);
    expect(integrate('CDCThroughputRowsTarget')).toBeCloseTo(CHANGES, -0.3);
    expect((await stats('FullLoadThroughputRowsTarget')).sum).toBeGreaterThan(0);
    expect(values.at(-1)!.CDCIncomingChanges).toBe(0);
  });
});
