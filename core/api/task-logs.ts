import { readTaskLogTail } from '../observe/log-store.js';
import { resourceKey } from '../state/resources.js';
import type { ApiContext } from './context.js';
import { maxRecords, page } from './describe.js';
import { mapStored } from './endpoints.js';
import { getInstance } from './instances.js';
import type { TaskDoc } from '../model/task.js';
import type { Input, Output } from './operations.js';

/**
 * DescribeReplicationInstanceTaskLogs: each task of the instance and the size in bytes of its log
 * (0 for a task that never logged). MaxRecords 20–100, default 100 (botocore).
 */
export async function describeReplicationInstanceTaskLogs(
  ctx: ApiContext,
  input: Input<'DescribeReplicationInstanceTaskLogs'>,
): Promise<Output<'DescribeReplicationInstanceTaskLogs'>> {
  const instance = await getInstance(ctx, input.ReplicationInstanceArn);
  const arn = instance.doc.ReplicationInstanceArn;
  const result = await page<TaskDoc>(
    (after) => mapStored(ctx.table.query<TaskDoc>(resourceKey('task', ctx.scope, '').pk, after)),
    (t) => t.ReplicationInstanceArn === arn,
    input.Marker,
    maxRecords(input.MaxRecords),
  );
  const logs = await Promise.all(
    result.items.map(async (t) => ({
      ReplicationTaskName: t.ReplicationTaskIdentifier,
      ReplicationTaskArn: t.ReplicationTaskArn,
      ReplicationInstanceTaskLogSize: (await readTaskLogTail(ctx.table, t.ReplicationTaskArn, 0)).size,
    })),
  );
  return { ReplicationInstanceArn: arn, ReplicationInstanceTaskLogs: logs, ...(result.marker ? { Marker: result.marker } : {}) };
}
