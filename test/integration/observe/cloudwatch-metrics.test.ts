import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startMoto, type MotoServer } from '../../support/moto.js';
import { createShop, startShopTask } from '../../support/shop.js';
import { startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { stopTaskAndWait } from '../../support/task-flow.js';

// Task metrics published with PutMetricData to the CloudWatch named by AWS_ENDPOINT_URL_CLOUDWATCH
// (moto_server here): namespace AWS/DMS, AWS's dimensions, figures from a real task.

let moto: MotoServer;
let stack: TestStack;
let db: MariaDb;
let cloudwatch: CloudWatchClient;

beforeAll(async () => {
  [moto, db] = await Promise.all([startMoto(), startMariaDb()]);
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH = moto.endpoint;
  stack = await startTestStack({ runner: true });
  cloudwatch = new CloudWatchClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_CLOUDWATCH;
  cloudwatch?.destroy();
  await stack?.stop();
  await Promise.all([db?.stop(), moto?.stop()]);
});

describe('PutMetricData', () => {
  it('publishes the task metrics under AWS/DMS with the instance identifier and task resource id', async () => {
    await createShop(db, 'metrics', 20);
    const name = uniqueName('metrics');
    const shop = await startShopTask(stack.dms, db, inject('kinesisEndpoint'), name, 'metrics');
    for (let i = 0; i < 5; i++) await db.query('INSERT INTO metrics.orders (customer_id, amount) VALUES (?, 1.00)', [i]);
    const taskId = shop.arn.split(':').pop()!;
    const dimensions = [
      { Name: 'ReplicationInstanceIdentifier', Value: `${name}-ri` },
      { Name: 'ReplicationTaskIdentifier', Value: taskId },
    ];
    const sum = async (metric: string) => {
      const out = await cloudwatch.send(
        new GetMetricStatisticsCommand({ Namespace: 'AWS/DMS', MetricName: metric, Dimensions: dimensions, StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date(Date.now() + 60_000), Period: 60, Statistics: ['Sum', 'SampleCount'] }),
      );
      return (out.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
    };
    // Rows per second summed over 5-second points: 5 inserts give a positive sum.
    await expect.poll(() => sum('CDCThroughputRowsTarget'), { timeout: 60_000, interval: 1000 }).toBeGreaterThan(0);
    expect(await sum('CDCThroughputRowsSource')).toBeGreaterThan(0);
    expect(await sum('FullLoadThroughputRowsTarget')).toBeGreaterThan(0);
    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'AWS/DMS', Dimensions: [{ Name: 'ReplicationTaskIdentifier', Value: taskId }] }));
    expect(new Set(listed.Metrics?.map((m) => m.MetricName))).toEqual(
      new Set(['CDCLatencySource', 'CDCLatencyTarget', 'CDCIncomingChanges', 'CDCThroughputRowsSource', 'CDCThroughputRowsTarget', 'FullLoadThroughputRowsTarget']),
    );
    for (const m of listed.Metrics ?? []) expect(m.Dimensions).toEqual(expect.arrayContaining(dimensions));
    await stopTaskAndWait(stack.dms, shop.arn);
  });
});
