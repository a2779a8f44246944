import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { sideClientConfig } from '../aws-clients.js';
import { logger } from '../logger.js';
import type { DocumentTable } from '../state/dynamo.js';
import { resourceKey } from '../state/resources.js';
import { METRIC_NAMES, METRIC_UNITS, type MetricPoint } from './metrics.js';

// Publishes task metric points with PutMetricData, as AWS DMS does: namespace AWS/DMS, dimensions
// ReplicationInstanceIdentifier (the instance's identifier) and ReplicationTaskIdentifier (the task
// ARN's resource id, not its name). Only when a CloudWatch endpoint is configured: locally there is
// no CloudWatch unless one is named.

export const DMS_NAMESPACE = 'AWS/DMS';

export interface TaskDimensions {
  /** ReplicationInstanceIdentifier of the task's instance. */
  instance: string;
  /** The task ARN's last segment. */
  taskResourceId: string;
  region: string;
}

export interface MetricsPublisher {
  /** Fire and forget: a failing CloudWatch never slows or fails a task. */
  publish(dims: TaskDimensions, point: MetricPoint): void;
  /** Waits for calls in flight. */
  flush(): Promise<void>;
  close(): void;
}

/** The CloudWatch endpoint named by the environment, if any. */
export function cloudWatchEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_CLOUDWATCH || env.AWS_ENDPOINT_URL || undefined;
}

/** The datums of one point (every metric of it, at the point's time). */
export function metricData(dims: TaskDimensions, point: MetricPoint): MetricDatum[] {
  const Dimensions = [
    { Name: 'ReplicationInstanceIdentifier', Value: dims.instance },
    { Name: 'ReplicationTaskIdentifier', Value: dims.taskResourceId },
  ];
  const Timestamp = new Date(point[0] * 1000);
  return METRIC_NAMES.map((name, i) => ({ MetricName: name, Dimensions, Timestamp, Unit: METRIC_UNITS[name], Value: point[i + 1] ?? 0 }));
}

export function createMetricsPublisher(env: NodeJS.ProcessEnv = process.env): MetricsPublisher | null {
  const endpoint = cloudWatchEndpoint(env);
  if (!endpoint) return null;
  const clients = new Map<string, CloudWatchClient>();
  const client = (region: string) => {
    let c = clients.get(region);
    if (!c) {
      // awsQuery, not the SDK's default JSON 1.0: every CloudWatch speaks it (AWS, LocalStack, moto of
      // any version), while emulators learnt JSON 1.0 only in late 2025 (moto PR #9253).
      c = new CloudWatchClient({ ...sideClientConfig(endpoint, region, 10_000), protocol: AwsQueryProtocol });
      clients.set(region, c);
    }
    return c;
  };
  const inflight = new Set<Promise<void>>();
  let lastWarning = 0;
  return {
    publish(dims, point) {
      const p = client(dims.region)
        .send(new PutMetricDataCommand({ Namespace: DMS_NAMESPACE, MetricData: metricData(dims, point) }))
        .then(
          () => undefined,
          (e: Error) => {
            // One warning a minute at most: CloudWatch down must not flood the log.
            if (Date.now() - lastWarning > 60_000) {
              lastWarning = Date.now();
              logger.warn('PutMetricData failed', { endpoint, error: e.message });
            }
          },
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
    },
    async flush() {
      await Promise.all([...inflight]);
    },
    close() {
      for (const c of clients.values()) c.destroy();
    },
  };
}

/** The dimensions of a task's metrics: its instance's identifier is looked up once per run. */
export async function taskDimensions(
  table: DocumentTable,
  scope: { account: string; region: string },
  task: { ReplicationTaskArn: string; ReplicationInstanceArn: string },
): Promise<TaskDimensions | undefined> {
  const instance = await table.get<{ ReplicationInstanceIdentifier?: string }>(resourceKey('instance', scope, task.ReplicationInstanceArn));
  const id = instance?.doc.ReplicationInstanceIdentifier;
  if (!id) return undefined;
  return { instance: id, taskResourceId: task.ReplicationTaskArn.split(':').pop()!, region: scope.region };
}
